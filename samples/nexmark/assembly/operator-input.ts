// What every Nexmark operator starts from: the operator input frame (WOI1) with its port and one
// row batch (WRB1), and the loop that writes one output batch from it.
import { RowBatchReader, RowBatchWriter, COL_I64 } from '../../../kernels/row-batch';
import { readInputFrame } from '../../../kernels/kv-batch';
import { returnOk, returnErr } from '../../../kernels/cabi';

/** The source's wide rows (graphs.ts EVENTS): column 0 is event_type, each table's columns start here. */
export const PERSON: u32 = 1;
export const AUCTION: u32 = 9;
export const BID: u32 = 19;
/** event_type of each table (Flink Nexmark's codes). */
export const EVENT_PERSON: i64 = 0;
export const EVENT_AUCTION: i64 = 1;
export const EVENT_BID: i64 = 2;

/** The port of fired timers (ports 0 and 1 carry the elements of the first and second input). */
export const PORT_TIMERS: u32 = 2;

/** The frame's port (0, 1: elements of that input; 2: fired timers) and its row batch. */
export class Input {
  port: u32 = 0;
  batch: RowBatchReader | null = null;
  error: string | null = null;
}

export function input(ptr: usize, len: usize): Input {
  const r = new Input();
  const f = readInputFrame(ptr, len);
  if (f.error != null) {
    r.error = f.error;
    return r;
  }
  if (f.count != 1) {
    r.error = 'a stream operator takes exactly one row batch';
    return r;
  }
  r.port = load<u32>(ptr, 12);
  const b = new RowBatchReader(f.inputPtr(0), f.inputLen(0));
  if (b.error != null) r.error = b.error;
  else r.batch = b;
  return r;
}

/**
 * Runs `each` on every row of the input batch with a writer of `types` (`rowsHint` 0: as many
 * rows as the input) and returns the written batch, or the frame's error.
 */
export function eachRow(
  ptr: usize,
  len: usize,
  types: StaticArray<u8>,
  rowsHint: u32,
  each: (i: Input, b: RowBatchReader, r: u32, w: RowBatchWriter) => void,
): usize {
  const i = input(ptr, len);
  if (i.error != null) return returnErr(i.error!);
  const b = i.batch!;
  const w = new RowBatchWriter(types, rowsHint == 0 ? b.rows : rowsHint);
  for (let r: u32 = 0; r < b.rows; r++) each(i, b, r, w);
  const p = w.finish();
  return returnOk(p, w.len);
}

export function types2(a: u8, b: u8): StaticArray<u8> {
  const t = new StaticArray<u8>(2);
  t[0] = a;
  t[1] = b;
  return t;
}

/** A one-column projection of i64 `column` of the source's rows of event type `kind`. */
export function projectOne(ptr: usize, len: usize, kind: i64, column: u32): usize {
  const i = input(ptr, len);
  if (i.error != null) return returnErr(i.error!);
  const b = i.batch!;
  const t = new StaticArray<u8>(1);
  t[0] = COL_I64;
  const w = new RowBatchWriter(t, b.rows);
  for (let r: u32 = 0; r < b.rows; r++) {
    if (b.i64(0, r) != kind) continue;
    w.row(b.timestamp(r));
    w.i64(b.i64(column, r));
  }
  const out = w.finish();
  return returnOk(out, w.len);
}
