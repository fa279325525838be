/**
 * Placement policies over the {@link ResourceLedger} (the cluster-wide decision, as Ray's
 * `cluster_*` scheduling): each reads what the ledger says nodes have left and returns its outcome
 * as a value — `placed`, `wait` (feasible, not now: try again when capacity frees up) or
 * `infeasible` (no live node could ever run it) — never an exception. The caller records the grant.
 *
 * - tasks and actors: the node holding most of the argument bytes, then the least CPU in use;
 * - batch subtasks: the least loaded node, then the one holding most of the input bytes;
 * - stream slots: all of a job's slots at once, each on the node with most free cores left.
 */
import type { GrantKind, ResourceLedger } from './resource-ledger.js';
import type { Resources } from './resources.js';

export type Placement =
  { kind: 'placed'; nodeId: string } | { kind: 'wait' } | { kind: 'infeasible'; code: 'WRT_NO_NODES' | 'WRT_INFEASIBLE'; reason: string };

/**
 * Picks a node for one grant of `req` of `kind`.
 * Tasks and actors weigh locality first, then load; batch subtasks load first, then locality.
 * @param localBytes bytes of the work's inputs already on each node (by node id)
 */
export function placeOne(ledger: ResourceLedger, req: Resources, kind: GrantKind, localBytes?: ReadonlyMap<string, number>): Placement {
  const preferLocal = kind !== 'batch';
  let best: string | null = null;
  let bestScore = Infinity;
  let any = false;
  let feasible = false;
  for (const n of ledger.capacities()) {
    any = true;
    if (!ledger.feasibleOn(n.id, req)) continue;
    feasible = true;
    if (!ledger.fits(n.id, req, kind)) continue;
    const load = (n.used.cpus ?? 0) / Math.max(1, n.total.cpus ?? 1);
    const local = localBytes?.get(n.id) ?? 0;
    // Lower is better. Load is a fraction in [0, 1]; locality counts bytes.
    const score = preferLocal ? -local * 1e3 + load : load * 1e15 - local;
    if (score < bestScore) {
      bestScore = score;
      best = n.id;
    }
  }
  if (best) return { kind: 'placed', nodeId: best };
  if (feasible) return { kind: 'wait' };
  return any
    ? { kind: 'infeasible', code: 'WRT_INFEASIBLE', reason: ledger.infeasible(req) ?? 'no live node offers what it needs' }
    : { kind: 'infeasible', code: 'WRT_NO_NODES', reason: 'the cluster has no live node' };
}

export type GangPlacement = { kind: 'placed'; nodeIds: string[] } | { kind: 'wait'; free: number; capacity: number; nodes: number };

/**
 * Places `slots` stream slots (one core each) at once, or none: each goes to the node with the most
 * free cores left, which spreads a job over the cluster. `free` counts whole free cores.
 */
export function placeSlots(ledger: ResourceLedger, slots: number): GangPlacement {
  const free = new Map<string, number>();
  let capacity = 0;
  for (const n of ledger.capacities()) {
    const cores = n.total.cpus ?? 0;
    capacity += cores;
    free.set(n.id, Math.max(0, Math.floor(cores - (n.used.cpus ?? 0) + 1e-9)));
  }
  const room = [...free.values()].reduce((a, b) => a + b, 0);
  if (room < slots) return { kind: 'wait', free: room, capacity, nodes: free.size };
  const nodeIds: string[] = [];
  for (let s = 0; s < slots; s++) {
    let best = '';
    for (const [id, n] of free) if (!best || n > free.get(best)!) best = id;
    free.set(best, free.get(best)! - 1);
    nodeIds.push(best);
  }
  return { kind: 'placed', nodeIds };
}
