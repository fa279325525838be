/**
 * Rows copied from WRB1 batches (docs/batch-format.md) into a new one without decoding them: the
 * partitioner splits a batch by key ({@link selectRows}), an interval join's snapshot gathers its
 * buffered rows out of the many batches they came in ({@link gatherRows}). Timestamps and
 * fixed-width cells go as two 32-bit words through DataViews, strings a word at a time up to 256
 * bytes (a `subarray().set()` costs ~60 ns here however short; a DataView word a few ns).
 */
import type { ColumnType } from '../protocol/messages.js';
import { WrtError } from '../errors.js';
import { COLUMN_CODES, ROW_BATCH_MAGIC, type RowBatch, typesEnd } from './row-batch.js';

/**
 * The rows `rows` of `batch` (indices, in that order, repeats allowed) as a new batch.
 * @throws WrtError `WRT_BAD_BATCH` when a string runs past the batch.
 */
export function selectRows(batch: RowBatch, rows: readonly number[]): Uint8Array {
  return gather(batch.types, batch, null, rows);
}

/**
 * One batch of columns `types` whose row i is row `rows[i]` of `batches[i]`.
 * @throws WrtError `WRT_BAD_BATCH` when a batch's column types are not `types`, the arrays'
 *   lengths differ, or a string runs past its batch.
 */
export function gatherRows(types: readonly ColumnType[], batches: readonly RowBatch[], rows: readonly number[]): Uint8Array {
  if (batches.length !== rows.length) throw new WrtError('WRT_BAD_BATCH', `gatherRows: ${batches.length} batches for ${rows.length} rows`);
  let last: RowBatch | null = null;
  for (const b of batches) {
    if (b === last) continue;
    last = b;
    if (b.types.length !== types.length || b.types.some((t, c) => t !== types[c]))
      throw new WrtError('WRT_BAD_BATCH', `gatherRows: a batch of columns (${b.types.join(', ')}) among rows of (${types.join(', ')})`);
  }
  return gather(types, null, batches, rows);
}

/** Row i of the result is row `rows[i]` of `one`, or of `many[i]` when `one` is null. */
function gather(types: readonly ColumnType[], one: RowBatch | null, many: readonly RowBatch[] | null, rows: readonly number[]): Uint8Array {
  const n = rows.length;
  const cols = types.length;
  let heapBytes = 0;
  for (let c = 0; c < cols; c++) {
    if (types[c] !== 'Utf8') continue;
    for (let i = 0; i < n; i++) {
      const b = one ?? many![i]!;
      heapBytes += b.dv.getUint32(b.col[c]! + rows[i]! * 8 + 4, true);
    }
  }
  const start = typesEnd(cols);
  const heapAt = start + n * 8 * (1 + cols);
  const out = new Uint8Array(heapAt + ((heapBytes + 7) & ~7));
  const dv = new DataView(out.buffer);
  dv.setUint32(0, ROW_BATCH_MAGIC, true);
  dv.setUint32(4, n, true);
  dv.setUint32(8, cols, true);
  dv.setUint32(12, heapBytes, true);
  for (let c = 0; c < cols; c++) out[16 + c] = COLUMN_CODES[types[c]!];
  // Column −1 is the timestamps; fixed-width columns and string (offset, length) slots alike.
  let heap = 0;
  for (let c = -1; c < cols; c++) {
    const to = start + (1 + c) * n * 8;
    const utf8 = c >= 0 && types[c] === 'Utf8';
    for (let i = 0; i < n; i++) {
      const b = one ?? many![i]!;
      const a = (c < 0 ? b.ts : b.col[c]!) + rows[i]! * 8;
      const at = to + i * 8;
      if (!utf8) {
        dv.setInt32(at, b.dv.getInt32(a, true), true);
        dv.setInt32(at + 4, b.dv.getInt32(a + 4, true), true);
        continue;
      }
      const off = b.dv.getUint32(a, true);
      const len = b.dv.getUint32(a + 4, true);
      if (b.heap + off + len > b.bytes.byteLength)
        throw new WrtError('WRT_BAD_BATCH', `row batch: string (${c}, ${rows[i]}) runs past the batch`);
      copyBytes(b.bytes, b.dv, b.heap + off, out, dv, heapAt + heap, len);
      dv.setUint32(at, heap, true);
      dv.setUint32(at + 4, len, true);
      heap += len;
    }
  }
  return out;
}

/** Copies `len` bytes from `src` at `from` to `out` at `to`: short runs a word at a time, long ones with `set`. */
function copyBytes(src: Uint8Array, sdv: DataView, from: number, out: Uint8Array, dv: DataView, to: number, len: number): void {
  if (len > 256) {
    out.set(src.subarray(from, from + len), to);
    return;
  }
  let i = 0;
  for (; i + 4 <= len; i += 4) dv.setInt32(to + i, sdv.getInt32(from + i, true), true);
  for (; i < len; i++) out[to + i] = src[from + i]!;
}
