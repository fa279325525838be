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
import { ExtraBytes, eventKind, type NexmarkEvent, type NexmarkEventKind, type NexmarkGenerator } from './generator.js';

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

/**
 * Makes the `nexmark` source's WRB1 batches in TypeScript: each event from the generator as an
 * object (its padding written as bytes into an {@link ExtraBytes}), then the batch. The fallback
 * where the WebAssembly maker (wasm-generator.ts) cannot compile, and the tests' second opinion on
 * it: the same rows, ~3× slower.
 */
export class NexmarkBatchMaker implements NexmarkBatches {
  private readonly types: ColumnType[];
  private readonly extras = new ExtraBytes();
  /** The id after the last event of the last {@link batch} (where the next one starts). */
  nextId = 0;
  /** The time of the last event of the last non-empty {@link batch}, ms since the epoch. */
  lastTimestamp = -Infinity;

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
    gen.extraBytes = this.extras;
  }

  batch(from: number, step: number, end: number, maxRows: number): Uint8Array | null {
    const events: NexmarkEvent[] = [];
    this.extras.reset();
    let id = from;
    for (; events.length < maxRows && id < end; id += step)
      if (this.table === 'all' || eventKind(id) === this.table) events.push(this.gen.event(id));
    this.nextId = id;
    if (events.length === 0) return null;
    this.lastTimestamp = events.at(-1)!.dateTime;
    return nexmarkBatch(events, this.table, this.types, this.extras);
  }
}

/** How a column's cells are written: an integer (I64, Timestamp), a double (F64), a string (Utf8). */
const INT = 0;
const FLOAT = 1;
const STRING = 2;

/**
 * `events` as one WRB1 batch of `types` (checked by {@link nexmarkColumnTypes} for `table`): row
 * i is events[i], timestamped with its `dateTime`. With `table` = all, every kind of event;
 * otherwise every event must be of that kind. The events were generated into `extras` (their
 * `extra` is '', the last field of every table) and event i's padding is its i-th entry.
 */
function nexmarkBatch(
  events: readonly NexmarkEvent[],
  table: NexmarkEventKind | 'all',
  types: readonly ColumnType[],
  extras: ExtraBytes,
): Uint8Array {
  const values = events.map(nexmarkValues);
  // The generator's strings are ASCII (nexmark-generator.test.ts checks): one byte a character.
  let heapBytes = 0;
  for (const row of values) for (const v of row) if (typeof v === 'string') heapBytes += v.length;
  // Every event's padding goes after the other strings, in one copy.
  const extraAt = heapBytes;
  heapBytes += extras.total;
  const w = new RowBatchWriter(types, events.length, heapBytes);
  // Each column's kind once per batch (the checked types), not a type name per cell.
  const kinds = types.map((t) => (t === 'Utf8' ? STRING : t === 'F64' ? FLOAT : INT));
  events.forEach((e, r) => {
    w.timestamp(r, e.dateTime);
    let base = 0;
    if (table === 'all') {
      w.int(0, r, NEXMARK_EVENT_TYPES[e.kind]);
      base = ALL_BASE[e.kind];
    }
    const row = values[r]!;
    const last = row.length - 1;
    for (let i = 0; i < last; i++) {
      const c = base + i;
      const v = row[i]!;
      const kind = kinds[c];
      if (kind === STRING) w.string(c, r, v as string, (v as string).length);
      else if (kind === FLOAT) w.float(c, r, v as number);
      else w.int(c, r, v as number);
    }
    w.placedCell(base + last, r, extraAt + extras.starts[r]!, extras.lengths[r]!);
  });
  w.heapCopy(extraAt, extras.bytes, 0, extras.total);
  return w.bytes;
}
