/**
 * Resource requests and node capacities: `cpus`, `gpus`, `memoryBytes` and custom labels, each an
 * amount. A request fits a node when every amount is at most what the node has left; it is
 * feasible when it fits the node's total (Ray's feasible / infeasible distinction).
 * CPU is oversubscribed so each slot has its next work queued on the node: batch subtasks by
 * {@link CPU_QUEUE_FACTOR}, remote-function tasks by {@link TASK_QUEUE_FACTOR}.
 */
export type Resources = Record<string, number>;

/** Batch subtasks placed on a node may reach this multiple of its slots (the rest wait in its queue). */
export const CPU_QUEUE_FACTOR = 2;
/**
 * Remote-function tasks placed on a node may reach this multiple of its slots. Tasks are often
 * tiny, and a deeper per-node queue keeps the slots busy across the head ↔ node round trip and
 * lets a slot take its calls in larger batches (bench:core, async no-op tasks on the embedded
 * cluster: factor 8 → 32 about +20%; 2 → 8 was about +50% before batching); the price is that
 * tasks already queued on a busy node do not move to one that frees up (Ray's spillback does).
 */
export const TASK_QUEUE_FACTOR = 32;

/** Sums two resource maps. */
export function add(a: Resources, b: Resources, sign = 1): Resources {
  const out: Resources = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = (out[k] ?? 0) + sign * v;
  return out;
}

/** The first resource of `req` that `capacity` lacks, or null when it fits. */
export function missing(req: Resources, capacity: Resources): string | null {
  for (const [k, v] of Object.entries(req)) {
    if (v > 0 && (capacity[k] ?? 0) + 1e-9 < v) return k;
  }
  return null;
}

/** What a node can hold at once: its totals, with CPU scaled by the queue factor of remote tasks. */
export function placeable(total: Resources): Resources {
  return { ...total, cpus: (total.cpus ?? 0) * TASK_QUEUE_FACTOR };
}

/** Renders a resource map for messages: `cpus: 1, gpus: 1`. */
export function describe(r: Resources): string {
  const parts = Object.entries(r)
    .filter(([, v]) => v > 0)
    .map(([k, v]) => `${k}: ${v}`);
  return parts.length ? parts.join(', ') : 'nothing';
}
