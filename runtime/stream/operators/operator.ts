/**
 * What every operator of a stream subtask is (runtime/stream/operators/): it is fed row batches (WRB1)
 * per input port and watermarks (after its inputs' valve), and emits batches through its
 * {@link Output}, only rows with timestamps at or after the last watermark it passed on (windows
 * and timers fire before the watermark is forwarded). Also the key helpers the keyed operators share.
 */
import type { ColumnType, JobGraphVertex, StreamColumn } from '../../protocol/messages.js';
import { RowBatch, type Value } from '../row-batch.js';
import type { StateKey } from '../keyed-state.js';
import { WrtError } from '../../errors.js';

/** Where an operator's output goes. */
export interface Output {
  emit(batch: Uint8Array): void;
  /** A Window's late side output (absent: no edge reads it, late elements are dropped). */
  emitLate?(batch: Uint8Array): void;
}

export interface StreamOperator {
  processBatch(port: number, batch: RowBatch): void;
  /** The subtask's combined watermark advanced to `t` (ms). */
  advanceWatermark(t: number): void;
  /** Every input ended (after the final watermark). */
  endInput(): void;
  /** The operator's state as plain values and `StateBytes` (state-codec.ts writes them), taken at a checkpoint barrier. */
  snapshot(): unknown;
  /** Takes the state of {@link snapshot} into a fresh operator. */
  restore(state: unknown): void;
  /** The earliest processing-time timer (ms since the epoch), or null; absent: the operator has none. */
  nextProcessingTime?(): number | null;
  /** Fires the processing-time timers due at `now` (ms since the epoch); true when any fired. */
  onProcessingTime?(now: number): boolean;
}

/** The key of row `r` from key columns `cols` (one column: its value; several: a JSON array; none: 0). */
export function keyOfRow(batch: RowBatch, cols: readonly number[], r: number): StateKey {
  if (cols.length === 0) return 0;
  if (cols.length === 1) return batch.value(cols[0]!, r);
  return JSON.stringify(cols.map((c) => batch.value(c, r)));
}

/** The key's column values back from {@link keyOfRow}. */
export function keyValues(key: StateKey, arity: number): Value[] {
  if (arity === 0) return [];
  if (arity === 1) return [key];
  return JSON.parse(key as string) as Value[];
}

export const columnTypes = (cols: readonly StreamColumn[]): ColumnType[] => cols.map((c) => c.type);

/** Checks a batch a wasm operator returned against the vertex's declared columns. */
export function checkOutput(v: JobGraphVertex, bytes: Uint8Array): RowBatch {
  const b = new RowBatch(bytes);
  const want = columnTypes(v.columns ?? []);
  if (b.types.length !== want.length || b.types.some((t, i) => t !== want[i]))
    throw new WrtError(
      'WRT_OPERATOR_ERROR',
      `operator "${v.operator}" of vertex "${v.id}" returned columns (${b.types.join(', ')}), but the job graph declares (${want.join(', ')})`,
    );
  return b;
}
