/**
 * Row batches (WRB1, docs/batch-format.md): the rows stream operators exchange, columnar and
 * fixed-width so host and wasm read them in place. Every row has an event timestamp (i64 ms since
 * the epoch); columns are i64, f64, UTF-8 strings or timestamps (i64 ms). Integers are read as JS
 * numbers and must stay within ±2^53. The AssemblyScript side is kernels/row-batch.ts.
 */
import type { ColumnType } from '../protocol/messages.js';
import { WrtError } from '../errors.js';

export const ROW_BATCH_MAGIC = 0x31425257; // "WRB1"
export const COLUMN_CODES: Record<ColumnType, number> = { I64: 0, F64: 1, Utf8: 2, Timestamp: 3 };
const TYPE_OF_CODE: ColumnType[] = ['I64', 'F64', 'Utf8', 'Timestamp'];

export type Value = number | string;

/** Byte offset of the timestamp column: the 16-byte header and the type codes, padded to 8. */
export const typesEnd = (columns: number): number => 16 + ((columns + 7) & ~7);
const utf8 = new TextDecoder();
const encoder = new TextEncoder();

/** Rows of a WRB1 batch, read from its header alone (0 for bytes too short to hold one). */
export function rowsOf(bytes: Uint8Array): number {
  if (bytes.byteLength < 8) return 0;
  return new DataView(bytes.buffer, bytes.byteOffset, 8).getUint32(4, true);
}

/** A WRB1 batch read in place. */
export class RowBatch {
  readonly rows: number;
  readonly types: ColumnType[];
  /** @internal The bytes as a DataView, and byte offsets of the timestamp column, each column and the string heap (row-gather.ts copies through them). */
  readonly dv: DataView;
  /** @internal */
  readonly ts: number;
  /** @internal */
  readonly col: number[] = [];
  /** @internal */
  readonly heap: number;

  /** @throws WrtError `WRT_BAD_BATCH` when `bytes` is not a whole WRB1 batch. */
  constructor(readonly bytes: Uint8Array) {
    const bad = (why: string): never => {
      throw new WrtError('WRT_BAD_BATCH', `row batch: ${why}`);
    };
    if (bytes.byteLength < 16) bad(`${bytes.byteLength} bytes is too short`);
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (this.dv.getUint32(0, true) !== ROW_BATCH_MAGIC) bad('the bytes lack the WRB1 magic');
    this.rows = this.dv.getUint32(4, true);
    const columns = this.dv.getUint32(8, true);
    const heapBytes = this.dv.getUint32(12, true);
    let at = typesEnd(columns);
    if (at > bytes.byteLength) bad('truncated column types');
    this.types = [];
    for (let c = 0; c < columns; c++) {
      const t = TYPE_OF_CODE[bytes[16 + c]!];
      if (!t) bad(`column ${c} has unknown type code ${bytes[16 + c]}`);
      this.types.push(t!);
    }
    this.ts = at;
    at += this.rows * 8;
    for (let c = 0; c < columns; c++) {
      this.col.push(at);
      at += this.rows * 8;
    }
    this.heap = at;
    if (at + heapBytes > bytes.byteLength) bad(`${bytes.byteLength} bytes cannot hold ${this.rows} rows and a ${heapBytes}-byte heap`);
  }

  /** Event timestamp of row `r` (ms). */
  timestamp(r: number): number {
    return readI64(this.dv, this.ts + r * 8);
  }
  /** Column `c` of row `r`: a number for I64/F64/Timestamp, a string for Utf8. */
  value(c: number, r: number): Value {
    const t = this.types[c];
    if (t === 'Utf8') return utf8.decode(this.strBytes(c, r));
    if (t === 'F64') return this.dv.getFloat64(this.col[c]! + r * 8, true);
    return readI64(this.dv, this.col[c]! + r * 8);
  }
  /** The UTF-8 bytes of string `(c, r)` (a view). */
  strBytes(c: number, r: number): Uint8Array {
    const at = this.col[c]! + r * 8;
    const start = this.heap + this.dv.getUint32(at, true);
    const end = start + this.dv.getUint32(at + 4, true);
    if (end > this.bytes.byteLength) throw new WrtError('WRT_BAD_BATCH', `row batch: string (${c}, ${r}) runs past the batch`);
    return this.bytes.subarray(start, end);
  }
  /** Row `r` as values in column order. */
  row(r: number): Value[] {
    const out: Value[] = [];
    for (let c = 0; c < this.types.length; c++) out.push(this.value(c, r));
    return out;
  }
}

const NON_ASCII = /[^\x00-\x7f]/;

/** Bytes of `s` in UTF-8 (lone surrogates count 3, as TextEncoder writes U+FFFD). */
function utf8Length(s: string): number {
  if (s.length > 16 && !NON_ASCII.test(s)) return s.length; // the native scan is quicker than the loop below
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 2; // a pair: 2 code units, 4 bytes
      i++;
    } else n += 2;
  }
  return n;
}

function readI64(dv: DataView, at: number): number {
  return dv.getInt32(at + 4, true) * 4294967296 + dv.getUint32(at, true);
}

/** Writes integer `v` (|v| < 2^53, truncated) as a little-endian i64 in two 32-bit halves: no BigInt per cell. */
function writeI64(dv: DataView, at: number, v: number): void {
  const x = Math.trunc(v);
  const hi = Math.floor(x / 4294967296);
  dv.setUint32(at, x - hi * 4294967296, true);
  dv.setInt32(at + 4, hi, true);
}

/**
 * Writes a WRB1 batch of `rows` rows cell by cell, straight into its bytes: the layout is fixed
 * by the column types, the row count and the string heap's size in bytes (the sum of
 * {@link utf8Length} over every string cell), all known before the first cell. Cells not written
 * read as 0 (numbers and timestamps) and '' (strings); each string cell is written once, in any
 * order (its bytes go to the heap in the order written). Values are not checked: callers write
 * what the column types say (integers within ±2^53).
 */
export class RowBatchWriter {
  /** The batch (whole from the start; cells fill in as they are written). */
  readonly bytes: Uint8Array;
  private readonly dv: DataView;
  private readonly ts: number;
  private readonly col: number[] = [];
  private readonly heapAt: number;
  private heap = 0;

  constructor(types: readonly ColumnType[], rows: number, heapBytes: number) {
    let at = typesEnd(types.length);
    this.ts = at;
    at += rows * 8;
    for (let c = 0; c < types.length; c++) {
      this.col.push(at);
      at += rows * 8;
    }
    this.heapAt = at;
    this.bytes = new Uint8Array(at + ((heapBytes + 7) & ~7));
    this.dv = new DataView(this.bytes.buffer);
    this.dv.setUint32(0, ROW_BATCH_MAGIC, true);
    this.dv.setUint32(4, rows, true);
    this.dv.setUint32(8, types.length, true);
    this.dv.setUint32(12, heapBytes, true);
    types.forEach((t, c) => (this.bytes[16 + c] = COLUMN_CODES[t]));
  }

  /** Row `r`'s event timestamp, ms since the epoch. */
  timestamp(r: number, ms: number): void {
    writeI64(this.dv, this.ts + r * 8, ms);
  }

  /** An I64 or Timestamp cell (truncated to an integer). */
  int(c: number, r: number, v: number): void {
    writeI64(this.dv, this.col[c]! + r * 8, v);
  }

  /** An F64 cell. */
  float(c: number, r: number, v: number): void {
    this.dv.setFloat64(this.col[c]! + r * 8, v, true);
  }

  /** A Utf8 cell; `n` is `utf8Length(v)`. */
  string(c: number, r: number, v: string, n: number): void {
    const p = this.stringCell(c, r, n);
    // Short ASCII strings byte by byte; longer ones through the native encoder (a copy loop).
    if (n === v.length && n <= 24) for (let i = 0; i < n; i++) this.bytes[p + i] = v.charCodeAt(i);
    else if (n > 0) encoder.encodeInto(v, this.bytes.subarray(p, p + n));
  }

  /**
   * Points Utf8 cell (c, r) at `n` bytes from heap offset `offset` that {@link heapCopy} writes
   * (or wrote): past the bytes that {@link string} places one after another, which the heap size
   * given to the constructor must leave room for.
   */
  placedCell(c: number, r: number, offset: number, n: number): void {
    const at = this.col[c]! + r * 8;
    this.dv.setUint32(at, offset, true);
    this.dv.setUint32(at + 4, n, true);
  }

  /** Copies `n` bytes of `src` from `start` to heap offset `offset`. */
  heapCopy(offset: number, src: Uint8Array, start: number, n: number): void {
    this.bytes.set(src.subarray(start, start + n), this.heapAt + offset);
  }

  /** Points Utf8 cell (c, r) at the next `n` bytes of the heap; returns where in the batch to write them. */
  private stringCell(c: number, r: number, n: number): number {
    this.placedCell(c, r, this.heap, n);
    const p = this.heapAt + this.heap;
    this.heap += n;
    return p;
  }

  /** Any cell, by its column's type (`t`): a string for Utf8 (`n` its UTF-8 length), else a number. */
  value(t: ColumnType, c: number, r: number, v: Value, n = 0): void {
    if (t === 'Utf8') this.string(c, r, v as string, n);
    else if (t === 'F64') this.float(c, r, v as number);
    else this.int(c, r, v as number);
  }
}

/** Builds a WRB1 batch from rows of values (numbers for numeric columns, strings for Utf8). */
export class RowBatchBuilder {
  private readonly timestamps: number[] = [];
  private readonly cells: Value[][] = [];

  constructor(readonly types: readonly ColumnType[]) {}

  get rows(): number {
    return this.timestamps.length;
  }

  add(timestampMs: number, values: readonly Value[]): void {
    this.timestamps.push(timestampMs);
    this.cells.push(values as Value[]);
  }

  /** @throws WrtError `WRT_BAD_BATCH` when a row's arity or a value's type does not fit the columns. */
  finish(): Uint8Array {
    const rows = this.rows;
    const types = this.types;
    // UTF-8 length of every string, by column then row; strings are written straight into the batch.
    const lengths = types.map((t) => (t === 'Utf8' ? new Uint32Array(rows) : null));
    let heapBytes = 0;
    for (let r = 0; r < rows; r++) {
      const row = this.cells[r]!;
      if (row.length !== types.length) throw new WrtError('WRT_BAD_BATCH', `a row has ${row.length} values for ${types.length} columns`);
      for (let c = 0; c < types.length; c++) {
        const v = row[c]!;
        if (types[c] === 'Utf8') {
          if (typeof v !== 'string') throw new WrtError('WRT_BAD_BATCH', `column ${c} is Utf8, got ${typeof v}`);
          const n = utf8Length(v);
          lengths[c]![r] = n;
          heapBytes += n;
        } else if (typeof v !== 'number') throw new WrtError('WRT_BAD_BATCH', `column ${c} is ${types[c]}, got a ${typeof v}`);
        else if (types[c] !== 'F64' && !Number.isFinite(v)) throw new WrtError('WRT_BAD_BATCH', `column ${c} is ${types[c]}, got ${v}`);
      }
    }
    const w = new RowBatchWriter(types, rows, heapBytes);
    for (let r = 0; r < rows; r++) w.timestamp(r, this.timestamps[r]!);
    types.forEach((t, c) => {
      const lens = lengths[c];
      for (let r = 0; r < rows; r++) w.value(t, c, r, this.cells[r]![c]!, lens ? lens[r]! : 0);
    });
    return w.bytes;
  }
}
