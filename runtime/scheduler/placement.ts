/**
 * Placement of subtasks on nodes (the cluster-wide decision, as Ray's `cluster_*` scheduling):
 * a node may hold up to `CPU_QUEUE_FACTOR` subtasks per slot (one running, the rest with their
 * inputs arriving), the least loaded feasible node wins, and data locality breaks ties in favour of
 * the node that already holds the most input bytes. A subtask that needs `gpus` goes only to a node
 * that offers them, and a node runs at most `gpus` such subtasks at once (a GPU subtask has the
 * device to itself, as a Ray task with `num_gpus=1`). The outcome is a value, not an exception.
 */
import { CPU_QUEUE_FACTOR, type Resources } from './resources.js';

export interface NodeLoad {
  id: string;
  cpus: number;
  inFlight: number;
  alive: boolean;
  /** What the node offers (`gpus` among them). */
  total: Resources;
  /** GPUs that placed subtasks hold. */
  gpusInFlight: number;
}

export type Placement =
  { kind: 'placed'; nodeId: string } | { kind: 'wait' } | { kind: 'infeasible'; code: 'WRT_NO_NODES' | 'WRT_INFEASIBLE'; reason: string };

/**
 * Picks a node for one subtask.
 * @param localBytes bytes of the subtask's inputs already on each node (by node id)
 * @param gpus GPUs the subtask needs (0 or more)
 */
export function placeSubtask(nodes: Iterable<NodeLoad>, localBytes?: Map<string, number>, gpus = 0): Placement {
  let best: NodeLoad | null = null;
  let bestScore = Infinity;
  let any = false;
  let feasible = false;
  for (const n of nodes) {
    if (!n.alive) continue;
    any = true;
    const offered = n.total.gpus ?? 0;
    if (gpus > offered) continue;
    feasible = true;
    if (n.inFlight >= n.cpus * CPU_QUEUE_FACTOR) continue;
    if (gpus > 0 && n.gpusInFlight + gpus > offered) continue;
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
  if (feasible) return { kind: 'wait' };
  return any
    ? {
        kind: 'infeasible',
        code: 'WRT_INFEASIBLE',
        reason: `no live node offers gpus: ${gpus} (nodes without a WebGPU adapter offer none)`,
      }
    : { kind: 'infeasible', code: 'WRT_NO_NODES', reason: 'the cluster has no live node' };
}
