/**
 * A running stream job (the role of Flink's JobMaster for one job): plans the job graph, gets one
 * slot per parallel pipeline (the largest parallelism of any vertex; Flink's slot sharing), deploys
 * all of them at once — a stream job runs whole or not at all — and follows its subtasks to the
 * end. Between slots, elements flow node to node through the head's relay (head.ts) with credit
 * (stream-slot.ts); sink output comes back as JobOutput pieces that go on to the client.
 *
 * Failure: a failed subtask or a lost node fails the job (restarting from a checkpoint is the next
 * step of #4); the slots still running are cancelled.
 */
import type { JobGraph, MessageOf } from '../protocol/messages.js';
import type { FailureRecord } from '../errors.js';
import type { JobHost } from './batch-job.js';
import { NO_NODE_GRACE_MS } from './batch-job.js';
import { planStreamJob, type StreamPlan } from '../stream/execution-graph.js';

/** Batches a sender may have in flight on one channel between slots. */
export const CHANNEL_CREDITS = 8;

export interface StreamJobSpec {
  jobId: string;
  name: string;
  module: Uint8Array;
  moduleHash: string;
  graph: JobGraph;
  args: Record<string, string>;
  /** Subtasks of vertices that set no parallelism. */
  parallelism: number;
  maxMemoryBytes: number;
}

export class StreamJob {
  state: 'Running' | 'Finished' | 'Failed' | 'Cancelled' = 'Running';
  message = '';
  readonly plan: StreamPlan;
  /** Slots the job needs: the largest parallelism of its vertices. */
  readonly slots: number;
  /** Node of each slot once deployed. */
  private slotNodes: string[] = [];
  private readonly finished = new Set<string>();
  private waitingSince: number | null = null;
  private lastProgress = 0;
  private released = false;
  bytesDone = 0;

  /** @throws WrtError `WRT_BAD_JOB_GRAPH` / `WRT_INVALID_ARGUMENT` from planning. */
  constructor(
    private readonly host: JobHost,
    readonly spec: StreamJobSpec,
  ) {
    this.plan = planStreamJob(spec.graph, spec.args, spec.parallelism);
    this.slots = Math.max(...this.plan.vertices.map((v) => v.parallelism));
  }

  get total(): number {
    return this.plan.vertices.reduce((n, v) => n + v.parallelism, 0);
  }

  get done(): number {
    return this.finished.size;
  }

  private get terminal(): boolean {
    return this.state !== 'Running';
  }

  /** Deploys every slot once the cluster has room for all of them. */
  pump(now: number): void {
    if (this.terminal || this.slotNodes.length > 0) return;
    const loads = [...this.host.loads()].filter((n) => n.alive);
    const free = new Map(loads.map((n) => [n.id, Math.max(0, n.cpus - n.inFlight)]));
    const room = [...free.values()].reduce((a, b) => a + b, 0);
    if (room < this.slots) {
      const capacity = loads.reduce((a, n) => a + n.cpus, 0);
      if (this.waitingSince === null)
        this.host.log(
          `job ${this.spec.jobId}: needs ${this.slots} slots, ${room} of ${capacity} free; waiting up to ${NO_NODE_GRACE_MS} ms`,
        );
      this.waitingSince ??= now;
      if (now - this.waitingSince > NO_NODE_GRACE_MS)
        this.fail({
          code: 'WRT_INFEASIBLE',
          message: `the stream job needs ${this.slots} slots at once (its largest parallelism) but the cluster has ${room} free of ${capacity} on ${loads.length} node(s); lower the parallelism or add nodes`,
          retryable: false,
        });
      return;
    }
    // Spread: each slot goes to the node with the most free slots left.
    for (let s = 0; s < this.slots; s++) {
      let best = '';
      for (const [id, n] of free) if (!best || n > free.get(best)!) best = id;
      free.set(best, free.get(best)! - 1);
      this.slotNodes.push(best);
      this.host.taskStarted(best, 0);
    }
    for (let s = 0; s < this.slots; s++) {
      const nodeId = this.slotNodes[s]!;
      this.host.sendToNode(nodeId, {
        type: 'DeployStreamSlot',
        jobId: this.spec.jobId,
        slot: s,
        moduleHash: this.spec.moduleHash,
        module: this.host.needsModule(nodeId, this.spec.moduleHash) ? this.spec.module : new Uint8Array(0),
        graph: this.spec.graph,
        args: this.spec.args,
        parallelism: this.spec.parallelism,
        slotNodes: this.slotNodes,
        maxMemoryBytes: this.spec.maxMemoryBytes,
        channelCredits: CHANNEL_CREDITS,
        restore: [],
      });
    }
    this.host.log(`job ${this.spec.jobId}: ${this.total} subtasks in ${this.slots} slot(s) on ${new Set(this.slotNodes).size} node(s)`);
    this.progress(now, true);
  }

  /** A piece of sink output from a node: on to the client. */
  onOutput(m: MessageOf<'JobOutput'>, now: number): void {
    if (this.terminal) return;
    this.bytesDone += m.data.byteLength;
    this.host.sendToClient(m);
    this.progress(now, false);
  }

  onTaskStatus(nodeId: string, s: MessageOf<'TaskStatus'>, now: number): void {
    if (this.terminal || s.state === 'Running') return;
    if (s.state === 'Failed') {
      const f = s.failure ?? { code: 'WRT_JOB_FAILED', message: 'unknown failure', retryable: false };
      this.fail({ ...f, message: `${s.taskId.slice(this.spec.jobId.length + 1)} on node ${this.host.nodeName(nodeId)}: ${f.message}` });
      return;
    }
    this.finished.add(s.taskId);
    if (this.finished.size === this.total) {
      this.state = 'Finished';
      this.message = `${this.total} subtasks in ${this.slots} slot(s) on ${new Set(this.slotNodes).size} node(s)`;
      this.releaseSlots();
      this.progress(now, true);
    } else this.progress(now, false);
  }

  onNodeLost(nodeId: string): void {
    if (this.terminal || !this.slotNodes.includes(nodeId)) return;
    const slots = this.slotNodes.flatMap((n, s) => (n === nodeId ? [s] : []));
    this.fail({
      code: 'WRT_NODE_LOST',
      message: `node ${this.host.nodeName(nodeId)} running slot(s) ${slots.join(', ')} was lost (restart from a checkpoint is not implemented yet)`,
      retryable: false,
    });
  }

  private progress(now: number, force: boolean): void {
    if (!force && now - this.lastProgress < 100) return;
    this.lastProgress = now;
    this.host.sendToClient(this.statusMessage());
  }

  statusMessage(): MessageOf<'JobStatus'> {
    return {
      type: 'JobStatus',
      jobId: this.spec.jobId,
      state: this.state,
      tasksTotal: this.total,
      tasksDone: this.done,
      bytesDone: this.bytesDone,
      message: this.message,
      nodes: [...new Set(this.slotNodes.map((n) => this.host.nodeName(n)))].sort(),
    };
  }

  /** Stream jobs keep nothing in object stores. */
  storedObjects(): Map<string, string[]> {
    return new Map();
  }

  /** Gives the slots back and stops any still running. */
  private releaseSlots(cancelReason?: string): void {
    if (this.released) return;
    this.released = true;
    for (const n of new Set(this.slotNodes)) {
      if (cancelReason !== undefined) this.host.sendToNode(n, { type: 'CancelJob', jobId: this.spec.jobId, reason: cancelReason });
    }
    for (const n of this.slotNodes) this.host.taskEnded(n, 0);
  }

  fail(f: FailureRecord): void {
    if (this.terminal) return;
    this.state = 'Failed';
    this.message = `${f.code}: ${f.message}`;
    this.host.log(`job ${this.spec.jobId} failed: ${this.message}`);
    this.releaseSlots(this.message);
    this.progress(0, true);
  }

  cancel(reason: string): void {
    if (this.terminal) return;
    this.state = 'Cancelled';
    this.message = reason;
    this.releaseSlots(reason);
  }
}
