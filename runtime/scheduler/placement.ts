/**
 * Placement of subtasks on nodes (the cluster-wide decision, as Ray's `cluster_*` scheduling):
 * a node may hold up to `CPU_QUEUE_FACTOR` subtasks per slot (one running, the rest with their
 * inputs arriving), the least loaded feasible node wins, and data locality breaks ties in favour of
 * the node that already holds the most input bytes. The outcome is a value, not an exception.
 */
import { CPU_QUEUE_FACTOR } from './resources.js';

export interface NodeLoad {
  id: string;
  cpus: number;
  inFlight: number;
  alive: boolean;
}

export type Placement = { kind: 'placed'; nodeId: string } | { kind: 'wait' } | { kind: 'infeasible'; reason: string };

/**
 * Picks a node for one subtask.
 * @param localBytes bytes of the subtask's inputs already on each node (by node id)
 */
export function placeSubtask(nodes: Iterable<NodeLoad>, localBytes?: Map<string, number>): Placement {
  let best: NodeLoad | null = null;
  let bestScore = Infinity;
  let any = false;
  for (const n of nodes) {
    if (!n.alive) continue;
    any = true;
    if (n.inFlight >= n.cpus * CPU_QUEUE_FACTOR) continue;
    // Load first (fraction of capacity in use), then locality: more local bytes is better.
    const load = n.inFlight / n.cpus;
    const local = localBytes?.get(n.id) ?? 0;
    const score = load * 1e15 - local;
    if (score < bestScore) {
      bestScore = score;
      best = n;
    }
  }
  if (best) return { kind: 'placed', nodeId: best.id };
  return any ? { kind: 'wait' } : { kind: 'infeasible', reason: 'the cluster has no live node' };
}
