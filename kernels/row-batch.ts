// Row batches (WRB1, docs/batch-format.md): the rows that stream operators take and return,
// columnar and fixed-width so they are read in place. The host side is runtime/stream/row-batch.ts.
import { ByteBuffer } from './byte-buffer';

export const ROW_BATCH_MAGIC: u32 = 0x31425257; // "WRB1"
export const COL_I64: u8 = 0;
export const COL_F64: u8 = 1;
export const COL_UTF8: u8 = 2;
export const COL_TIMESTAMP: u8 = 3;

/** Byte offset, from the batch start, of the timestamps (the first section after the types). */
@inline function typesEnd(columns: u32): usize {
  return 16 + ((<usize>columns + 7) & ~7);
}

/** Reads a WRB1 batch in place; `error` is set when the bytes are not one. */
export class RowBatchReader {
  base: usize = 0;
  rows: u32 = 0;
  columns: u32 = 0;
  error: string | null = null;
  private ts: usize = 0;
  private heap: usize = 0;
  private col: StaticArray<usize> = new StaticArray<usize>(0);

  constructor(ptr: usize, len: usize) {
    this.base = ptr;
    this.error = this.open(ptr, len);
  }

  private open(ptr: usize, len: usize): string | null {
    if (len < 16 || load<u32>(ptr) != ROW_BATCH_MAGIC) return 'input is not a row batch (WRB1)';
    const rows = load<u32>(ptr, 4);
    const columns = load<u32>(ptr, 8);
    this.rows = rows;
    this.columns = columns;
    let at = typesEnd(columns);
    if (at > len) return 'row batch is truncated';
    this.ts = ptr + at;
    at += <usize>rows * 8;
    this.col = new StaticArray<usize>(columns);
    for (let c: u32 = 0; c < columns; c++) {
      this.col[c] = ptr + at;
      at += <usize>rows * 8;
    }
    this.heap = ptr + at;
    if (at + <usize>load<u32>(ptr, 12) > len) return 'row batch is truncated';
    return null;
  }

  @inline type(c: u32): u8 {
    return load<u8>(this.base + 16 + c);
  }
  @inline timestamp(r: u32): i64 {
    return load<i64>(this.ts + <usize>r * 8);
  }
  @inline i64(c: u32, r: u32): i64 {
    return load<i64>(unchecked(this.col[c]) + <usize>r * 8);
  }
  @inline f64(c: u32, r: u32): f64 {
    return load<f64>(unchecked(this.col[c]) + <usize>r * 8);
  }
  /** Start of string `(c, r)` (bytes, UTF-8) in the heap. */
  @inline strPtr(c: u32, r: u32): usize {
    return this.heap + <usize>load<u32>(unchecked(this.col[c]) + <usize>r * 8);
  }
  /** Byte length of string `(c, r)`. */
  @inline strLen(c: u32, r: u32): usize {
    return <usize>load<u32>(unchecked(this.col[c]) + <usize>r * 8, 4);
  }
  str(c: u32, r: u32): string {
    return String.UTF8.decodeUnsafe(this.strPtr(c, r), this.strLen(c, r));
  }
}

/**
 * Builds a WRB1 batch row by row: `row(timestamp)`, then one `i64`/`f64`/`bytes`/`str` per column
 * in column order; `finish()` lays the batch out and returns it as a heap block (`len` bytes).
 */
export class RowBatchWriter {
  rows: u32 = 0;
  len: usize = 0;
  private types: StaticArray<u8>;
  private ts: ByteBuffer;
  private cols: StaticArray<ByteBuffer>;
  private heap: ByteBuffer;
  private c: u32 = 0;

  constructor(types: StaticArray<u8>, rowsHint: u32 = 256) {
    this.types = types;
    this.ts = new ByteBuffer(<usize>rowsHint * 8);
    this.heap = new ByteBuffer(<usize>rowsHint * 16);
    const cols = new StaticArray<ByteBuffer>(types.length);
    for (let c = 0; c < types.length; c++) cols[c] = new ByteBuffer(<usize>rowsHint * 8);
    this.cols = cols;
  }

  row(timestamp: i64): void {
    this.ts.writeU64(<u64>timestamp);
    this.rows++;
    this.c = 0;
  }
  @inline i64(v: i64): void {
    unchecked(this.cols[this.c++]).writeU64(<u64>v);
  }
  @inline f64(v: f64): void {
    unchecked(this.cols[this.c++]).writeU64(reinterpret<u64>(v));
  }
  bytes(ptr: usize, n: usize): void {
    const col = unchecked(this.cols[this.c++]);
    col.writeU32(<u32>this.heap.len);
    col.writeU32(<u32>n);
    this.heap.writeBytes(ptr, n);
  }
  str(s: string): void {
    const b = String.UTF8.encode(s);
    this.bytes(changetype<usize>(b), <usize>b.byteLength);
  }

  /** Lays the batch out in one heap block (the caller hands it on or frees it); frees the parts. */
  finish(): usize {
    const columns = <u32>this.types.length;
    const heapLen = this.heap.len;
    let size = typesEnd(columns) + <usize>this.rows * 8;
    for (let c: u32 = 0; c < columns; c++) size += this.cols[c].len;
    size += (heapLen + 7) & ~7;
    const out = heap.alloc(size);
    memory.fill(out, 0, size);
    store<u32>(out, ROW_BATCH_MAGIC);
    store<u32>(out, this.rows, 4);
    store<u32>(out, columns, 8);
    store<u32>(out, <u32>heapLen, 12);
    for (let c: u32 = 0; c < columns; c++) store<u8>(out + 16 + c, this.types[c]);
    let at = typesEnd(columns);
    memory.copy(out + at, this.ts.ptr, this.ts.len);
    at += this.ts.len;
    this.ts.dispose();
    for (let c: u32 = 0; c < columns; c++) {
      const b = this.cols[c];
      memory.copy(out + at, b.ptr, b.len);
      at += b.len;
      b.dispose();
    }
    memory.copy(out + at, this.heap.ptr, heapLen);
    this.heap.dispose();
    this.len = size;
    return out;
  }
}
