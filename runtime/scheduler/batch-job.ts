/**
 * A running batch job (the role of Flink's JobMaster / Spark's DAGScheduler for one job):
 * stage 1 runs the map operator once per input chunk, on the node the head places it on, keeping
 * its partitioned output in that node's store; stage 2 runs the reduce operator once per hash
 * partition, where most of its input lies, pulling the rest; reduce outputs go to the client.
 *
 * Failure: a node that dies takes its running subtasks and its stored map outputs with it; those
 * subtasks run again elsewhere (lineage: a lost map output is recomputed from its input chunk,
 * which the client serves again). A failure of user code (trap, error, cap, deadline) is
 * deterministic and fails the job at once.
 */
import type { Message, ObjectLocation, MessageOf } from '../protocol/messages.js';
import type { BatchPlan } from '../protocol/job-graph-codec.js';
import type { FailureRecord } from '../errors.js';
import { placeOne } from './placement.js';
import type { ResourceLedger } from './resource-ledger.js';
import type { Resources } from './resources.js';
import { ClusterJob } from './cluster-job.js';

/** Attempts of one subtask lost to node failures before the job fails. */
export const MAX_TASK_ATTEMPTS = 4;
/** How long a job waits with no live node before it fails, in milliseconds. */
export const NO_NODE_GRACE_MS = 10_000;

type TaskState = 'pending' | 'fetching' | 'running' | 'done';

interface Subtask {
  id: string;
  index: number;
  state: TaskState;
  nodeId: string | null;
  attempt: number;
  outputs: ObjectLocation[];
  inputBytes: number;
}

/** The ledger key of a batch subtask attempt (`SUBTASK#ATTEMPT`, as in its TaskStatus's `taskId`). */
export function batchGrantKey(attemptId: string): string {
  return `batch:${attemptId}`;
}

/** What a job needs from the head. */
export interface JobHost {
  /** The cluster's one ledger: placed subtasks hold grants in it (keys `batch:SUBTASK#ATTEMPT`, `stream:…`). */
  ledger: ResourceLedger;
  /** Sends to a node. */
  sendToNode(nodeId: string, m: Message): void;
  sendToClient(m: Message): void;
  nodeName(nodeId: string): string;
  /** True the first time a node is asked for `hash` (the module must then travel with the task). */
  needsModule(nodeId: string, hash: string): boolean;
  log(line: string): void;
}

export interface BatchJobSpec {
  jobId: string;
  name: string;
  module: Uint8Array;
  moduleHash: string;
  plan: BatchPlan;
  inputChunks: number;
  maxMemoryBytes: { map: number; reduce: number };
  deadlineMs: { map: number; reduce: number };
}

export class BatchJob extends ClusterJob {
  readonly maps: Subtask[];
  readonly reduces: Subtask[];
  readonly partitions: number;
  private noNodeSince: number | null = null;

  constructor(
    private readonly host: JobHost,
    readonly spec: BatchJobSpec,
  ) {
    super(host, spec.jobId);
    this.partitions = spec.plan.reduce.parallelism || 4;
    const mk = (kind: string, i: number): Subtask => ({
      id: `${spec.jobId}/${kind}-${i}`,
      index: i,
      state: 'pending',
      nodeId: null,
      attempt: 0,
      outputs: [],
      inputBytes: 0,
    });
    this.maps = Array.from({ length: spec.inputChunks }, (_, i) => mk('map', i));
    this.reduces = Array.from({ length: this.partitions }, (_, i) => mk('reduce', i));
  }

  get done(): number {
    return this.maps.filter((t) => t.state === 'done').length + this.reduces.filter((t) => t.state === 'done').length;
  }

  get total(): number {
    return this.maps.length + this.reduces.length;
  }

  private get terminal(): boolean {
    return this.state !== 'Running';
  }

  /** Places whatever can run now. Called on every event that may free capacity. */
  pump(now: number): void {
    if (this.terminal) return;
    const mapsDone = this.maps.every((t) => t.state === 'done');
    const stage = mapsDone ? this.reduces : this.maps;
    const gpus = (mapsDone ? this.spec.plan.reduce : this.spec.plan.map).gpus;
    const req: Resources = gpus > 0 ? { cpus: 1, gpus } : { cpus: 1 };
    for (const t of stage) {
      if (t.state !== 'pending') continue;
      const local = mapsDone ? this.localBytes(t.index) : undefined;
      const p = placeOne(this.host.ledger, req, 'batch', local);
      if (p.kind !== 'placed') {
        if (p.kind === 'infeasible') {
          // Nodes may still join (a volunteer tab with a GPU): wait a grace period first.
          if (this.noNodeSince === null) this.host.log(`job ${this.spec.jobId}: waiting up to ${NO_NODE_GRACE_MS} ms: ${p.reason}`);
          this.noNodeSince ??= now;
          if (now - this.noNodeSince > NO_NODE_GRACE_MS)
            this.fail({ code: p.code, message: `${mapsDone ? 'reduce' : 'map'} stage: ${p.reason}`, retryable: false });
        }
        return;
      }
      this.noNodeSince = null;
      t.nodeId = p.nodeId;
      t.attempt++;
      this.host.ledger.grant(batchGrantKey(`${t.id}#${t.attempt}`), p.nodeId, req, 'batch');
      if (mapsDone) this.deployReduce(t);
      else {
        t.state = 'fetching';
        this.host.sendToClient({ type: 'ChunkRequest', jobId: this.spec.jobId, index: t.index });
      }
    }
    if (mapsDone && this.reduces.every((t) => t.state === 'done')) this.finish();
  }

  private localBytes(partition: number): Map<string, number> {
    const m = new Map<string, number>();
    for (const t of this.maps) {
      const o = t.outputs[partition];
      if (o) m.set(o.nodeId, (m.get(o.nodeId) ?? 0) + o.sizeBytes);
    }
    return m;
  }

  private deploy(t: Subtask, operator: string, fields: Partial<MessageOf<'DeployTask'>>, stage: 'map' | 'reduce'): void {
    const nodeId = t.nodeId!;
    t.state = 'running';
    this.host.sendToNode(nodeId, {
      type: 'DeployTask',
      jobId: this.spec.jobId,
      taskId: `${t.id}#${t.attempt}`,
      moduleHash: this.spec.moduleHash,
      module: this.host.needsModule(nodeId, this.spec.moduleHash) ? this.spec.module : new Uint8Array(0),
      operator,
      partitions: this.partitions,
      inputs: [],
      inlineInput: null,
      output: 'store',
      maxMemoryBytes: this.spec.maxMemoryBytes[stage],
      deadlineMs: this.spec.deadlineMs[stage],
      args: [],
      returnId: '',
      actorId: '',
      kind: 'Operator',
      gpus: this.gpusOf(t),
      ...fields,
    });
  }

  private deployReduce(t: Subtask): void {
    const inputs = this.maps.map((m) => m.outputs[t.index]!);
    this.deploy(t, this.spec.plan.reduce.operator, { inputs, output: 'head' }, 'reduce');
  }

  /** The client sent input chunk `index`. */
  onInputChunk(index: number, data: Uint8Array): void {
    const t = this.maps[index];
    if (this.terminal || !t || t.state !== 'fetching' || !t.nodeId) return;
    this.deploy(t, this.spec.plan.map.operator, { inlineInput: data }, 'map');
  }

  private find(taskId: string): Subtask | null {
    const [base, attempt] = taskId.split('#');
    const t = this.maps.find((m) => m.id === base) ?? this.reduces.find((r) => r.id === base);
    return t && String(t.attempt) === attempt ? t : null;
  }

  /** GPUs a subtask of this job holds while placed (its stage's vertex's `gpus`). */
  private gpusOf(t: Subtask | string): number {
    const id = typeof t === 'string' ? t : t.id;
    return id.startsWith(`${this.spec.jobId}/reduce-`) ? this.spec.plan.reduce.gpus : this.spec.plan.map.gpus;
  }

  /** A node reported on one of this job's subtasks. */
  onTaskStatus(nodeId: string, s: MessageOf<'TaskStatus'>, now: number): void {
    const t = this.find(s.taskId);
    if (s.state === 'Running') return;
    this.host.ledger.release(batchGrantKey(s.taskId));
    if (this.terminal) {
      // Objects of a job that has ended are not wanted.
      if (s.outputs.length) this.host.sendToNode(nodeId, { type: 'ReleaseObjects', objectIds: s.outputs.map((o) => o.objectId) });
      return;
    }
    if (!t || t.nodeId !== nodeId || t.state !== 'running') {
      if (s.outputs.length) this.host.sendToNode(nodeId, { type: 'ReleaseObjects', objectIds: s.outputs.map((o) => o.objectId) });
      return;
    }
    if (s.state === 'Failed') {
      const f = s.failure ?? { code: 'WRT_JOB_FAILED', message: 'unknown failure', retryable: false };
      if (f.retryable && t.attempt < MAX_TASK_ATTEMPTS) {
        this.host.log(`job ${this.spec.jobId}: ${t.id} failed (${f.message}); retrying`);
        this.recordException({ ...f, message: `${t.id} on node ${this.host.nodeName(nodeId)}: ${f.message}` }, 'retried');
        t.state = 'pending';
        t.nodeId = null;
      } else {
        this.fail({ ...f, message: `subtask ${t.id.split('/')[1]} on node ${this.host.nodeName(nodeId)}: ${f.message}` });
      }
      this.pump(now);
      return;
    }
    t.state = 'done';
    this.nodesUsed.add(this.host.nodeName(nodeId));
    const isMap = this.maps.includes(t);
    if (isMap) {
      t.outputs = s.outputs;
      t.inputBytes = s.inputBytes;
      this.bytesDone += s.inputBytes;
    } else {
      this.host.sendToClient({ type: 'JobOutput', jobId: this.spec.jobId, partition: t.index, data: s.data ?? new Uint8Array(0) });
    }
    this.progress(now, false);
    this.pump(now);
  }

  /** A node died or stopped heartbeating. */
  onNodeLost(nodeId: string, now: number): void {
    if (this.terminal) return;
    const reducesLeft = this.reduces.some((r) => r.state !== 'done');
    for (const t of [...this.maps, ...this.reduces]) {
      const runningThere = t.nodeId === nodeId && (t.state === 'running' || t.state === 'fetching');
      const lostOutput = t.state === 'done' && reducesLeft && t.outputs.some((o) => o.nodeId === nodeId);
      if (!runningThere && !lostOutput) continue;
      if (t.attempt >= MAX_TASK_ATTEMPTS) {
        this.fail({ code: 'WRT_NODE_LOST', message: `${t.id} lost its node ${MAX_TASK_ATTEMPTS} times`, retryable: false });
        return;
      }
      if (lostOutput) this.bytesDone -= t.inputBytes;
      t.state = 'pending';
      t.nodeId = null;
      t.outputs = [];
    }
    // Reduces still running elsewhere may be pulling from the dead node; they fail with
    // WRT_OBJECT_LOST and are retried once the lost map outputs exist again.
    this.pump(now);
  }

  /** Every object this job left on nodes, by node. */
  storedObjects(): Map<string, string[]> {
    const byNode = new Map<string, string[]>();
    for (const t of this.maps) {
      for (const o of t.outputs) byNode.set(o.nodeId, [...(byNode.get(o.nodeId) ?? []), o.objectId]);
    }
    return byNode;
  }

  private finish(): void {
    this.state = 'Finished';
    this.message = `${this.total} subtasks on ${this.nodesUsed.size} node(s)`;
    this.progress(0, true);
  }

  fail(f: FailureRecord): void {
    if (this.terminal) return;
    this.state = 'Failed';
    this.recordException(f, 'failed');
    this.message = `${f.code}: ${f.message}`;
    this.host.log(`job ${this.spec.jobId} failed: ${this.message}`);
    this.releaseUndeployed();
    this.stopRunning(this.message);
    this.progress(0, true);
  }

  /** Ends the job; its client (if still connected: `wrt cancel` comes from another) gets the final status. */
  cancel(reason: string): void {
    if (this.terminal) return;
    this.state = 'Cancelled';
    this.message = reason;
    this.releaseUndeployed();
    this.stopRunning(reason);
    this.progress(0, true);
  }

  /**
   * Tells the nodes still running subtasks of the ended job to stop them (their slots are replaced);
   * the nodes then report those subtasks failed, which frees their room here.
   */
  private stopRunning(reason: string): void {
    const nodes = new Set([...this.maps, ...this.reduces].flatMap((t) => (t.state === 'running' && t.nodeId ? [t.nodeId] : [])));
    for (const n of nodes) this.host.sendToNode(n, { type: 'CancelJob', jobId: this.spec.jobId, reason });
  }

  /** Placed subtasks still waiting for their input chunk will never be deployed: free their room. */
  private releaseUndeployed(): void {
    for (const t of this.maps) if (t.state === 'fetching' && t.nodeId) this.host.ledger.release(batchGrantKey(`${t.id}#${t.attempt}`));
  }
}
