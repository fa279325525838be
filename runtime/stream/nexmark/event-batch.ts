/**
 * Nexmark events written straight into a WRB1 row batch (runtime/stream/row-batch.ts), for the
 * `nexmark` source: each event's own cells only — in the wide `all` layout a bid fills its 7
 * columns and `event_type`, and the 18 columns of the other two tables keep the batch's zeros,
 * which read as 0 and '' (what NEXMARK_ALL_COLUMNS promises for them). No per-cell type checks:
 * the column types are checked once, by {@link nexmarkColumnTypes}.
 */
import type { ColumnType } from '../../protocol/messages.js';
import { WrtError } from '../../errors.js';
import { RowBatchWriter } from '../row-batch.js';
import { NEXMARK_ALL_COLUMNS, NEXMARK_COLUMNS, NEXMARK_EVENT_TYPES, isStringField, nexmarkValues } from './csv.js';
import { ExtraBytes, eventKind, type BidDraw, type NexmarkEvent, type NexmarkEventKind, type NexmarkGenerator } from './generator.js';

/** The first column of each table's cells in the `all` layout (column 0 is `event_type`). */
const ALL_BASE: Record<NexmarkEventKind, number> = {
  person: 1,
  auction: 1 + NEXMARK_COLUMNS.person.length,
  bid: 1 + NEXMARK_COLUMNS.person.length + NEXMARK_COLUMNS.auction.length,
};

/**
 * Checks the declared `types` of a `table` source's columns (named as the table's, in order):
 * strings must be Utf8, numbers and times any numeric type.
 * @throws WrtError `WRT_BAD_JOB_GRAPH` naming the first column whose type cannot hold its field
 */
export function nexmarkColumnTypes(source: string, table: NexmarkEventKind | 'all', types: readonly ColumnType[]): ColumnType[] {
  const names = table === 'all' ? NEXMARK_ALL_COLUMNS : NEXMARK_COLUMNS[table];
  names.forEach((name, c) => {
    const field = table === 'all' ? name.slice(name.indexOf('_') + 1) : name;
    const isString = name !== 'event_type' && isStringField(field);
    if (isString !== (types[c] === 'Utf8'))
      throw new WrtError(
        'WRT_BAD_JOB_GRAPH',
        `source "${source}": column "${name}" must be ${isString ? 'Utf8' : 'I64, F64 or Timestamp'}, got ${types[c]}`,
      );
  });
  return [...types];
}

/** How a column's cells are written: an integer (I64, Timestamp), a double (F64), a string (Utf8). */
const INT = 0;
const FLOAT = 1;
const STRING = 2;

const encoder = new TextEncoder();

/** Channels a bid can name: the generator's 10 000 plus its 4 hot ones. */
const CHANNEL_SLOTS = 10_004;

/** What makes the `nexmark` source's batches: {@link NexmarkBatchMaker} or the WebAssembly one (wasm-generator.ts). */
export interface NexmarkBatches {
  /** The id after the last event of the last {@link batch} (where the next one starts). */
  readonly nextId: number;
  /** The time of the last event of the last non-empty {@link batch}, ms since the epoch. */
  readonly lastTimestamp: number;
  /**
   * The next batch of up to `maxRows` events of the source's table among ids `from`, `from +
   * step`, … below `end`; row i is the i-th such event, timestamped with its time. Sets
   * {@link nextId}. Null when no id in range is of the table.
   */
  batch(from: number, step: number, end: number, maxRows: number): Uint8Array | null;
}

/** A growable typed array's next size: at least `need`, doubling. */
const grownTo = (have: number, need: number): number => Math.max(need, have * 2);

/**
 * Makes the `nexmark` source's WRB1 batches straight from a generator: bids (92 % of the stream)
 * without an event object or a string — numbers from {@link NexmarkGenerator.drawBid}, channel and
 * URL bytes cached per channel, padding written as bytes by the generator; persons and auctions
 * through their event objects. Two passes a batch: the events' cells into reused scratch (numbers,
 * string bytes, and where each goes), then the batch of exactly the right size, filled from them.
 *
 * A batch's strings lie in its heap in row order and, within a row, column order, then every row's
 * padding in row order (the layout `RowBatch` reads; nexmark-generator.test.ts checks it cell by
 * cell against the events).
 */
export class NexmarkBatchMaker implements NexmarkBatches {
  private readonly types: ColumnType[];
  /** Each column's kind (INT, FLOAT, STRING), from the checked types. */
  private readonly kinds: number[];
  private readonly extras = new ExtraBytes();
  private readonly bid: BidDraw = { auction: 0, bidder: 0, price: 0, channel: 0 };
  /**
   * Channel c's name and URL as bytes in {@link channelText}, made the first time a bid names it:
   * at k = c + 4 (hot channels are -1..-4), the name at channelAt[2k] of length channelLen[2k],
   * the URL at channelAt[2k + 1] of length channelLen[2k + 1]; length -1 until made.
   */
  private readonly channelAt = new Int32Array(2 * CHANNEL_SLOTS);
  private readonly channelLen = new Int32Array(2 * CHANNEL_SLOTS).fill(-1);
  private channelText = new Uint8Array(1 << 16);
  private channelTextUsed = 0;
  // Scratch, reused batch to batch: numeric cells (column, row, value), string cells (column,
  // row, heap offset, length), the padding cell's column per row, the strings' bytes.
  private numCol = new Int32Array(1024);
  private numRow = new Int32Array(1024);
  private numVal = new Float64Array(1024);
  private nums = 0;
  private strCol = new Int32Array(1024);
  private strRow = new Int32Array(1024);
  private strAt = new Int32Array(1024);
  private strLen = new Int32Array(1024);
  private strs = 0;
  private extraCol = new Int32Array(1024);
  private timestamps = new Float64Array(1024);
  private heap = new Uint8Array(1 << 16);
  private heapUsed = 0;

  /**
   * @param gen the generator (its `extraBytes` is set to this maker's own)
   * @param table the source's table: every kind of event (`all`) or one kind
   * @param types the source's column types, checked by {@link nexmarkColumnTypes} for `table`
   */
  constructor(
    private readonly gen: NexmarkGenerator,
    private readonly table: NexmarkEventKind | 'all',
    types: readonly ColumnType[],
  ) {
    this.types = [...types];
    this.kinds = types.map((t) => (t === 'Utf8' ? STRING : t === 'F64' ? FLOAT : INT));
    gen.extraBytes = this.extras;
  }

  /** The time of the last event of the last non-empty {@link batch}, ms since the epoch. */
  lastTimestamp = -Infinity;

  /** The id after the last event of the last {@link batch} (where the next one starts). */
  nextId = 0;

  /**
   * The next batch of up to `maxRows` events of the source's table among ids `from`, `from +
   * step`, … below `end`; row i is the i-th such event, timestamped with its time. Sets
   * {@link nextId}. Returns null when no id in range is of the table.
   */
  batch(from: number, step: number, end: number, maxRows: number): Uint8Array | null {
    this.nums = 0;
    this.strs = 0;
    this.heapUsed = 0;
    this.extras.reset();
    if (this.extraCol.length < maxRows) this.extraCol = new Int32Array(grownTo(this.extraCol.length, maxRows));
    if (this.timestamps.length < maxRows) this.timestamps = new Float64Array(grownTo(this.timestamps.length, maxRows));
    const gen = this.gen;
    let count = 0;
    let id = from;
    for (; count < maxRows && id < end; id += step) {
      const kind = eventKind(id);
      if (this.table !== 'all' && kind !== this.table) continue;
      this.timestamps[count] = gen.timestamp(id);
      if (kind === 'bid') this.bidCells(count, id);
      else this.eventCells(count, gen.event(id));
      count++;
    }
    this.nextId = id;
    if (count === 0) return null;
    this.lastTimestamp = this.timestamps[count - 1]!;
    const heapBytes = this.heapUsed + this.extras.total;
    const w = new RowBatchWriter(this.types, count, heapBytes);
    for (let r = 0; r < count; r++) w.timestamp(r, this.timestamps[r]!);
    const kinds = this.kinds;
    for (let i = 0; i < this.nums; i++) {
      const c = this.numCol[i]!;
      if (kinds[c] === FLOAT) w.float(c, this.numRow[i]!, this.numVal[i]!);
      else w.int(c, this.numRow[i]!, this.numVal[i]!);
    }
    for (let i = 0; i < this.strs; i++) w.placedCell(this.strCol[i]!, this.strRow[i]!, this.strAt[i]!, this.strLen[i]!);
    const { starts, lengths } = this.extras;
    for (let r = 0; r < count; r++) w.placedCell(this.extraCol[r]!, r, this.heapUsed + starts[r]!, lengths[r]!);
    w.heapCopy(0, this.heap, 0, this.heapUsed);
    w.heapCopy(this.heapUsed, this.extras.bytes, 0, this.extras.total);
    return w.bytes;
  }

  private bidCells(r: number, id: number): void {
    const d = this.bid;
    this.gen.drawBid(id, d);
    const base = this.table === 'all' ? ALL_BASE.bid : 0;
    if (this.table === 'all') this.num(0, r, NEXMARK_EVENT_TYPES.bid);
    this.num(base, r, d.auction);
    this.num(base + 1, r, d.bidder);
    this.num(base + 2, r, d.price);
    const k = 2 * (d.channel + 4);
    if (this.channelLen[k]! < 0) this.learnChannel(d.channel, k);
    // The name and URL lie together in channelText, as they will in the heap: one copy.
    const nameLength = this.channelLen[k]!;
    const urlLength = this.channelLen[k + 1]!;
    const at = this.stringAt(base + 3, r, nameLength);
    this.stringAt(base + 4, r, urlLength);
    const from = this.channelAt[k]!;
    this.heap.set(this.channelText.subarray(from, from + nameLength + urlLength), at);
    this.num(base + 5, r, this.timestamps[r]!);
    this.extraCol[r] = base + 6;
  }

  /** A person's or an auction's cells, from its event object (its `extra` is in the padding). */
  private eventCells(r: number, e: NexmarkEvent): void {
    let base = 0;
    if (this.table === 'all') {
      this.num(0, r, NEXMARK_EVENT_TYPES[e.kind]);
      base = ALL_BASE[e.kind];
    }
    const row = nexmarkValues(e);
    const last = row.length - 1;
    for (let i = 0; i < last; i++) {
      const v = row[i]!;
      if (typeof v === 'string') this.string(base + i, r, v);
      else this.num(base + i, r, v);
    }
    this.extraCol[r] = base + last;
  }

  private num(c: number, r: number, v: number): void {
    const i = this.nums++;
    if (i === this.numVal.length) {
      const n = grownTo(i, i + 1);
      this.numCol = grown(this.numCol, new Int32Array(n));
      this.numRow = grown(this.numRow, new Int32Array(n));
      this.numVal = grown(this.numVal, new Float64Array(n));
    }
    this.numCol[i] = c;
    this.numRow[i] = r;
    this.numVal[i] = v;
  }

  /** Records string cell (c, r) at the next `length` bytes of the scratch heap; returns where to write them. */
  private stringAt(c: number, r: number, length: number): number {
    const i = this.strs++;
    if (i === this.strAt.length) {
      const n = grownTo(i, i + 1);
      this.strCol = grown(this.strCol, new Int32Array(n));
      this.strRow = grown(this.strRow, new Int32Array(n));
      this.strAt = grown(this.strAt, new Int32Array(n));
      this.strLen = grown(this.strLen, new Int32Array(n));
    }
    const at = this.heapUsed;
    if (at + length > this.heap.length) this.heap = grown(this.heap, new Uint8Array(grownTo(this.heap.length, at + length)));
    this.strCol[i] = c;
    this.strRow[i] = r;
    this.strAt[i] = at;
    this.strLen[i] = length;
    this.heapUsed = at + length;
    return at;
  }

  /** Records channel `c`'s name and URL (at `k` and `k` + 1 of the channel tables). */
  private learnChannel(c: number, k: number): void {
    const name = this.gen.channelName(c);
    const url = this.gen.channelUrl(c);
    const need = this.channelTextUsed + name.length + url.length;
    if (need > this.channelText.length) this.channelText = grown(this.channelText, new Uint8Array(grownTo(this.channelText.length, need)));
    for (const [i, text] of [name, url].entries()) {
      this.channelAt[k + i] = this.channelTextUsed;
      this.channelLen[k + i] = text.length;
      for (let j = 0; j < text.length; j++) this.channelText[this.channelTextUsed++] = text.charCodeAt(j);
    }
  }

  /** An ASCII string's cell (the generator's strings are ASCII: nexmark-generator.test.ts checks). */
  private string(c: number, r: number, v: string): void {
    const at = this.stringAt(c, r, v.length);
    const heap = this.heap;
    // Short strings byte by byte; longer ones through the native encoder (a byte loop costs ≈ 2.5 ns a byte).
    if (v.length <= 16) for (let i = 0; i < v.length; i++) heap[at + i] = v.charCodeAt(i);
    else encoder.encodeInto(v, heap.subarray(at, at + v.length));
  }
}

/** `into` with `from`'s elements at its start. */
function grown<T extends Uint8Array | Int32Array | Float64Array>(from: T, into: T): T {
  into.set(from);
  return into;
}
