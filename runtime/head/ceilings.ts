/**
 * The cluster's ceilings (docs/security.md): each node states the largest operator linear memory
 * and call deadline it runs (`wrt start --max-operator-memory-mb`, `--max-deadline-ms`; in
 * RegisterNode), and a job or task may ask for no more than the lowest among the trusted nodes,
 * since its work may land on any of them. Limits are the nodes', not the submitter's.
 */
import { WrtError } from '../errors.js';

/** One node's ceilings; 0 = none. */
export interface NodeCeilings {
  operatorMemoryBytes: number;
  deadlineMs: number;
}

/** The lowest non-zero ceiling of each kind among `nodes`, with the node that sets it (0 and '' when none does). */
export interface ClusterCeilings {
  operatorMemoryBytes: number;
  memoryNode: string;
  deadlineMs: number;
  deadlineNode: string;
}

export function clusterCeilings(nodes: Iterable<{ name: string; ceilings: NodeCeilings }>): ClusterCeilings {
  const c: ClusterCeilings = { operatorMemoryBytes: 0, memoryNode: '', deadlineMs: 0, deadlineNode: '' };
  for (const n of nodes) {
    const m = n.ceilings.operatorMemoryBytes;
    if (m > 0 && (c.operatorMemoryBytes === 0 || m < c.operatorMemoryBytes)) [c.operatorMemoryBytes, c.memoryNode] = [m, n.name];
    const d = n.ceilings.deadlineMs;
    if (d > 0 && (c.deadlineMs === 0 || d < c.deadlineMs)) [c.deadlineMs, c.deadlineNode] = [d, n.name];
  }
  return c;
}

/**
 * The operator memory cap, bytes, for a job or task: what it asked for (0: `fallback`, the head's
 * default), never above the ceiling.
 * @throws WrtError `WRT_OVER_LIMIT` when it asked for more than the ceiling
 */
export function memoryWithin(asked: number, fallback: number, c: ClusterCeilings, what: string): number {
  if (c.operatorMemoryBytes > 0 && asked > c.operatorMemoryBytes) {
    throw new WrtError(
      'WRT_OVER_LIMIT',
      `${what} asks for ${mib(asked)} of operator memory; node "${c.memoryNode}" runs at most ${mib(c.operatorMemoryBytes)} ` +
        '(its --max-operator-memory-mb)',
    );
  }
  const v = asked || fallback;
  return c.operatorMemoryBytes > 0 ? Math.min(v, c.operatorMemoryBytes) : v;
}

/**
 * The call deadline, ms, for a job or task: what it asked for (0: `fallback`), never above the ceiling.
 * @throws WrtError `WRT_OVER_LIMIT` when it asked for more than the ceiling
 */
export function deadlineWithin(asked: number, fallback: number, c: ClusterCeilings, what: string): number {
  if (c.deadlineMs > 0 && asked > c.deadlineMs) {
    throw new WrtError(
      'WRT_OVER_LIMIT',
      `${what} asks for a ${asked} ms call deadline; node "${c.deadlineNode}" allows at most ${c.deadlineMs} ms (its --max-deadline-ms)`,
    );
  }
  const v = asked || fallback;
  return c.deadlineMs > 0 ? Math.min(v, c.deadlineMs) : v;
}

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(bytes % 2 ** 20 === 0 ? 0 : 1)} MiB`;
}
