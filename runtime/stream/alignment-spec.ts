/**
 * What a source's watermark alignment may say (job graph `watermarkAlignment`; the runtime is
 * watermark-alignment.ts). Checked where a graph is built (sdk/datastream.ts) and where the head
 * plans one (execution-graph.ts); kept free of the runtime so the DataStream API can load it alone.
 */
import { WrtError } from '../errors.js';
import type { WatermarkAlignmentSpec } from '../protocol/messages.js';

/** Bounds of an alignment's update interval, ms (Flink's default is 1000). */
export const MIN_ALIGNMENT_UPDATE_MS = 10;
export const MAX_ALIGNMENT_UPDATE_MS = 60_000;
export const DEFAULT_ALIGNMENT_UPDATE_MS = 1000;

/**
 * Checks a source's alignment as a job graph states it.
 * @throws WrtError `WRT_BAD_JOB_GRAPH` naming the source and the field: a group that is empty or
 *   over 128 characters, a max drift that is not an integer ≥ 0 ms, an update interval outside
 *   [{@link MIN_ALIGNMENT_UPDATE_MS}, {@link MAX_ALIGNMENT_UPDATE_MS}] ms.
 */
export function checkWatermarkAlignment(vertexId: string, a: WatermarkAlignmentSpec): void {
  const bad = (what: string): never => {
    throw new WrtError('WRT_BAD_JOB_GRAPH', `source "${vertexId}": watermark alignment ${what}`);
  };
  if (typeof a.group !== 'string' || a.group.length === 0 || a.group.length > 128)
    bad(`needs a group name of 1 to 128 characters, got ${JSON.stringify(a.group)}`);
  if (!(Number.isSafeInteger(a.maxDriftMs) && a.maxDriftMs >= 0)) bad(`maxDriftMs must be an integer ≥ 0 (ms), got ${a.maxDriftMs}`);
  const u = a.updateIntervalMs;
  if (!(Number.isSafeInteger(u) && u >= MIN_ALIGNMENT_UPDATE_MS && u <= MAX_ALIGNMENT_UPDATE_MS))
    bad(`updateIntervalMs must be an integer from ${MIN_ALIGNMENT_UPDATE_MS} to ${MAX_ALIGNMENT_UPDATE_MS} (ms), got ${u}`);
}
