/** Reading the partitioned batch layout (WPB1, docs/batch-format.md) that map operators return. */
import { WrtError } from '../errors.js';

export const PARTITIONED_MAGIC = 0x31425057; // "WPB1"

/**
 * Splits a partitioned batch into its `partitions` parts (views into `batch`).
 * @throws WrtError `WRT_OPERATOR_ERROR` naming `operator` when the batch is malformed.
 */
export function splitPartitioned(batch: Uint8Array, partitions: number, operator: string): Uint8Array[] {
  const bad = (why: string): never => {
    throw new WrtError('WRT_OPERATOR_ERROR', `operator "${operator}" returned a malformed partitioned batch: ${why}`);
  };
  if (batch.byteLength < 8) bad('shorter than its header');
  const dv = new DataView(batch.buffer, batch.byteOffset, batch.byteLength);
  if (dv.getUint32(0, true) !== PARTITIONED_MAGIC) bad('wrong magic (want WPB1)');
  if (dv.getUint32(4, true) !== partitions) bad(`${dv.getUint32(4, true)} partitions, want ${partitions}`);
  const dataStart = (8 + partitions * 4 + 7) & ~7;
  if (dataStart > batch.byteLength) bad('truncated partition table');
  const parts: Uint8Array[] = [];
  let start = 0;
  for (let p = 0; p < partitions; p++) {
    const end = dv.getUint32(8 + p * 4, true);
    if (end < start || dataStart + end > batch.byteLength) bad(`partition ${p} ends outside the batch`);
    parts.push(batch.subarray(dataStart + start, dataStart + end));
    start = end;
  }
  return parts;
}
