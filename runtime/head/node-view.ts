/**
 * The head's record of a node (NodeEntry) and how the API shows it (NodeView): its identity,
 * capacity, the grants it holds, what it reported with its heartbeats and the calls the head sent
 * it. Plain data; the head keeps the entries (head.ts).
 */
import type { Connection } from '../platform/platform.js';
import type { Resources } from '../scheduler/resources.js';
import type { JobStatusView } from './job-registry.js';
import type { NodeCeilings } from './ceilings.js';
import type { VolunteerView } from '../scheduler/volunteer-pool.js';

export interface NodeEntry {
  id: string;
  alive: boolean;
  cpus: number;
  /** What the node offers (`gpus` among them); the ledger holds what is granted of it. */
  total: Resources;
  name: string;
  platform: 'node' | 'browser';
  conn: Connection;
  lastSeen: number;
  modules: Set<string>;
  tasksFinished: number;
  tasksFailed: number;
  gpuKernels: number;
  /** Actor calls drivers made directly to the node (ADR 0009), as its last heartbeat said. */
  directCalls: number;
  /** Where drivers may call its actors directly ('' for none: browsers, volunteers, `--no-direct`). */
  directAddress: string;
  bytesPulled: number;
  storeUsedBytes: number;
  spill: { spilledBytes: number; restoredBytes: number; onDiskBytes: number };
  joinedAt: number;
  gpuAdapter: string;
  /** Joined with a volunteer credential: untrusted, given work only by jobs and tasks that allow volunteers. */
  volunteer: boolean;
  /** What the node runs at most (its RegisterNode). */
  ceilings: NodeCeilings;
}

/** One node as `GET /api/v1/nodes` (and `/api/status`) shows it. */
export interface NodeView {
  id: string;
  name: string;
  platform: string;
  /** `volunteer`: an untrusted worker (docs/volunteers.md); `node`: a trusted one. */
  role: 'node' | 'volunteer';
  cpus: number;
  /** GPUs offered (1 when the node has a WebGPU adapter). */
  gpus: number;
  /** The adapter, or why the node has none. */
  gpuAdapter: string;
  /** Grants the node holds in the resource ledger: queued and running tasks, actors, batch subtasks, stream slots. */
  running: number;
  /** Calls the head sent to the node (task attempts, actor calls and constructors), and task attempts beyond a task's first among them: since it joined. */
  tasksSubmitted: number;
  tasksRetried: number;
  /** Calls finished and failed on the node, GPU kernels it ran, bytes of objects it pulled from others: since it started. */
  tasksFinished: number;
  tasksFailed: number;
  gpuKernels: number;
  bytesPulled: number;
  /** Actor calls drivers made directly to the node, not through the head (ADR 0009): since it started. */
  directCalls: number;
  /** Object-store arena bytes in use. */
  storeUsedBytes: number;
  /** Spilling: bytes written to and read back from disk since the node started, and on disk now. */
  spill: { spilledBytes: number; restoredBytes: number; onDiskBytes: number };
  alive: boolean;
  /** Volunteers only: their trust record and what they offer now (docs/volunteers.md). */
  trust?: VolunteerView;
}

/** JSON shape of `GET /api/status`. */
export interface ClusterStatus {
  nodes: NodeView[];
  jobs: JobStatusView[];
}

/**
 * `n` as the API shows it: `grants` it holds in the ledger, `calls` the head sent it (task
 * attempts, actor calls and constructors) and the retried task attempts among them.
 */
export function nodeView(n: NodeEntry, grants: number, calls: { submitted: number; retried: number }, trust?: VolunteerView): NodeView {
  return {
    ...(trust ? { trust } : {}),
    id: n.id,
    name: n.name,
    platform: n.platform,
    role: n.volunteer ? 'volunteer' : 'node',
    cpus: n.cpus,
    gpus: n.total.gpus ?? 0,
    gpuAdapter: n.gpuAdapter,
    running: grants,
    tasksSubmitted: calls.submitted,
    tasksRetried: calls.retried,
    tasksFinished: n.tasksFinished,
    tasksFailed: n.tasksFailed,
    gpuKernels: n.gpuKernels,
    bytesPulled: n.bytesPulled,
    directCalls: n.directCalls,
    storeUsedBytes: n.storeUsedBytes,
    spill: n.spill,
    alive: n.alive,
  };
}

/** The node kind the API shows: a Node process, a browser tab, or a volunteer (tab). */
export function kindOf(n: NodeView): 'process' | 'browser' | 'volunteer' {
  if (n.role === 'volunteer') return 'volunteer';
  return n.platform === 'browser' ? 'browser' : 'process';
}
