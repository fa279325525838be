/**
 * Resource requests and node capacities: `cpus`, `gpus`, `memoryBytes` and custom labels, each an
 * amount. A request fits a node when every amount is at most what the node has left; it is
 * feasible when it fits the node's total (Ray's feasible / infeasible distinction).
 * How much CPU each kind of work may queue per slot, and who holds what, is the
 * ResourceLedger's (resource-ledger.ts).
 */
export type Resources = Record<string, number>;

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

/** Renders a resource map for messages: `cpus: 1, gpus: 1`. */
export function describe(r: Resources): string {
  const parts = Object.entries(r)
    .filter(([, v]) => v > 0)
    .map(([k, v]) => `${k}: ${v}`);
  return parts.length ? parts.join(', ') : 'nothing';
}
