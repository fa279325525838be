/**
 * The one resource ledger of a cluster: every node's capacity and every grant placed on it — task
 * attempts, actor lifetimes, batch subtasks, stream slots. All placement decisions read it and all
 * of them write their grants into it, so no two kinds of work can hold the same GPU or the same
 * CPU share at once (Ray keeps one such table per cluster in its `ClusterResourceManager`; Flink's
 * `SlotManager` plays the same role for TaskManager slots).
 *
 * Units: `cpus` and `gpus` count devices (slots, adapters), `memoryBytes` bytes, custom resources
 * whatever their label means. CPU is the one resource queued past its size: a grant of kind
 * `task`, `actor` or `batch` takes `cpus / queueFactor(kind)` of a node's cores, so a one-slot node
 * holds 32 queued tasks, or 2 batch subtasks, or 16 tasks and 1 batch subtask, or one stream slot
 * (a stream slot is a thread of its own that runs for the job's life: factor 1). Everything else
 * (`gpus`, `memoryBytes`, custom labels) is granted at most once: a GPU grant has the device to
 * itself, as a Ray task with `num_gpus=1`.
 *
 * Grants are named by a key the caller chooses (a task attempt id, an actor id, a slot id):
 * releasing a key twice, or a key of a node that is gone, does nothing.
 */
import { add, describe, missing, type Resources } from './resources.js';

/** What a grant is for; it decides how deep CPU may be queued. */
export type GrantKind = 'task' | 'actor' | 'batch' | 'stream';

/**
 * How many grants of one CPU of each kind one slot holds at once (the rest of a node's work waits
 * at the head). Tasks are often tiny, so a deep per-node queue keeps slots busy across the
 * head ↔ node round trip and lets a slot take its calls in batches (bench:core, async no-op tasks
 * on the embedded cluster: factor 8 → 32 about +20%); the price is that tasks queued on a busy node
 * do not move to one that frees up (Ray's spillback does). Batch subtasks carry megabytes: two per
 * slot (one running, one with its input arriving). A stream slot owns its thread.
 */
export const QUEUE_FACTOR: Readonly<Record<GrantKind, number>> = { task: 32, actor: 32, batch: 2, stream: 1 };

interface Grant {
  nodeId: string;
  /** What it takes from the node (cpus as cores). */
  req: Resources;
}

interface NodeAccount {
  total: Resources;
  /** Sum of the node's grants; `cpus` in cores, i.e. each grant's cpus divided by its queue factor. */
  used: Resources;
  grants: Set<string>;
}

/** One node as placement policies see it. */
export interface NodeCapacity {
  readonly id: string;
  /** What the node offers. */
  readonly total: Readonly<Resources>;
  /** What its grants hold; `cpus` in cores (queued grants count a fraction of a core each). */
  readonly used: Readonly<Resources>;
  /** Number of grants on the node. */
  readonly grants: number;
}

const EPSILON = 1e-9;

export class ResourceLedger {
  private readonly nodes = new Map<string, NodeAccount>();
  private readonly grants = new Map<string, Grant>();

  /** A node joined with `total` (its `cpus`, `gpus`, `memoryBytes` and custom labels). */
  addNode(nodeId: string, total: Resources): void {
    this.removeNode(nodeId);
    this.nodes.set(nodeId, { total: { ...total }, used: {}, grants: new Set() });
  }

  /** A node left: it and every grant on it are gone. */
  removeNode(nodeId: string): void {
    const n = this.nodes.get(nodeId);
    if (!n) return;
    for (const key of n.grants) this.grants.delete(key);
    this.nodes.delete(nodeId);
  }

  /** Every node with its capacity and use, in the order they joined. */
  *capacities(): IterableIterator<NodeCapacity> {
    for (const [id, n] of this.nodes) yield { id, total: n.total, used: n.used, grants: n.grants.size };
  }

  /** Slots (cpus) the nodes offer, and how many their grants hold (queued grants count a fraction each). */
  slotUse(): { total: number; busy: number } {
    let total = 0;
    let busy = 0;
    for (const c of this.capacities()) {
      total += c.total.cpus ?? 0;
      busy += c.used.cpus ?? 0;
    }
    return { total, busy: Math.round(busy * 100) / 100 };
  }

  capacity(nodeId: string): NodeCapacity | null {
    const n = this.nodes.get(nodeId);
    return n ? { id: nodeId, total: n.total, used: n.used, grants: n.grants.size } : null;
  }

  /** What a grant of `req` of `kind` takes from a node: its cpus as cores. */
  private static charge(req: Resources, kind: GrantKind): Resources {
    return req.cpus ? { ...req, cpus: req.cpus / QUEUE_FACTOR[kind] } : req;
  }

  /** True when `req` of `kind` fits what `nodeId` has left now. */
  fits(nodeId: string, req: Resources, kind: GrantKind): boolean {
    const n = this.nodes.get(nodeId);
    if (!n) return false;
    const after = add(n.used, ResourceLedger.charge(req, kind));
    for (const [k, v] of Object.entries(after)) if (v > 0 && v > (n.total[k] ?? 0) + EPSILON) return false;
    return true;
  }

  /** True when `req` fits the node's total (it may run there once the node is idle). */
  feasibleOn(nodeId: string, req: Resources): boolean {
    const n = this.nodes.get(nodeId);
    return !!n && missing(req, n.total) === null;
  }

  /**
   * Why no node could ever hold `req`, or null when one could (or when no node has joined yet:
   * nodes may still come). Names the first missing resource and what each node offers.
   */
  infeasible(req: Resources): string | null {
    if (this.nodes.size === 0) return null;
    for (const n of this.nodes.values()) if (missing(req, n.total) === null) return null;
    const first = this.nodes.values().next().value!;
    const lacking = missing(req, first.total) ?? '?';
    const offers = [...this.nodes.values()].map((n) => describe(n.total)).join(' | ');
    const hint = lacking === 'gpus' ? '; nodes without a WebGPU adapter offer none' : '';
    return `no live node offers ${lacking}: ${req[lacking]} (asked for ${describe(req)}, short of ${lacking}; nodes offer: ${offers}${hint})`;
  }

  /**
   * Records that `key` holds `req` of `kind` on `nodeId`. Placement policies call it only after
   * {@link fits}; a key already granted is released first (a retried attempt replaces its grant).
   * @returns false (nothing recorded) when the node is unknown
   */
  grant(key: string, nodeId: string, req: Resources, kind: GrantKind): boolean {
    this.release(key);
    const n = this.nodes.get(nodeId);
    if (!n) return false;
    const charged = ResourceLedger.charge(req, kind);
    n.used = add(n.used, charged);
    n.grants.add(key);
    this.grants.set(key, { nodeId, req: charged });
    return true;
  }

  /** Gives `key`'s grant back; unknown keys are ignored. */
  release(key: string): void {
    const g = this.grants.get(key);
    if (!g) return;
    this.grants.delete(key);
    const n = this.nodes.get(g.nodeId);
    if (!n) return;
    n.grants.delete(key);
    n.used = add(n.used, g.req, -1);
    // Round away the float dust of many fractional cpu charges.
    for (const [k, v] of Object.entries(n.used)) if (Math.abs(v) < EPSILON) n.used[k] = 0;
  }
}
