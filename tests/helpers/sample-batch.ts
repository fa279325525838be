// A small WRB1 batch with a cell of every kind (negative, 2^53 − 1, NaN, −1.5e300, multi-byte and
// empty strings), for the row-batch and row-gather tests.
import { RowBatchBuilder } from '../../runtime/stream/row-batch.js';

/** [timestamp, cells] of each row; columns I64, Utf8, F64, Timestamp. */
export const SAMPLE_ROWS: [number, (number | string)[]][] = [
  [1_436_918_400_000, [-5, 'héllo, "world"', 0.25, 1_436_918_400_123]],
  [1_436_918_400_001, [2 ** 53 - 1, '', -1.5e300, 0]],
  [-7, [0, '日本', Number.NaN, -1]],
  [8, [1, 'pair 😀 then ascii', 1, 2]],
];

/** {@link SAMPLE_ROWS} as a batch's bytes. */
export function sampleBatch(): Uint8Array {
  const b = new RowBatchBuilder(['I64', 'Utf8', 'F64', 'Timestamp']);
  for (const [t, r] of SAMPLE_ROWS) b.add(t, r);
  return b.finish();
}
