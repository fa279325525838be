/**
 * A running stream job (the role of Flink's JobMaster for one job): plans the job graph, gets one
 * slot per parallel pipeline (the largest parallelism of any vertex; Flink's slot sharing), deploys
 * all of them at once — a stream job runs whole or not at all — and follows its subtasks to the
 * end. Between slots, elements flow node to node through the head's relay (head.ts) with credit
 * (stream-slot.ts).
 *
 * Checkpoints (when `checkpointIntervalMs` > 0; Flink's checkpoint coordinator): every interval,
 * once the previous one is done, the head sends TriggerCheckpoint to the slots; the sources inject
 * barrier N, subtasks align and acknowledge with their snapshots; when every subtask has — or had
 * finished before, its final state standing in — the checkpoint is written to the store and only
 * then is the sink output it covers committed (sent on to the client): a two-phase sink. Output
 * written after the last completed checkpoint stays pending.
 *
 * Failure: a lost node (or a slot thread that died) restarts the job from its latest completed
 * checkpoint, up to {@link MAX_RESTARTS} times: every slot is cancelled, pending output dropped,
 * and the slots deployed again with the checkpoint's states (sources rewind to their positions).
 * Each deployment is an *attempt*; the slots of attempt k run as `JOB@k`, so nothing of an old
 * attempt is mistaken for the new one. A failure of user code fails the job. Without checkpoints
 * any failure fails the job.
 */
import type { JobGraph, MessageOf } from '../protocol/messages.js';
import type { FailureRecord } from '../errors.js';
import type { JobHost } from './batch-job.js';
import { ClusterJob } from './cluster-job.js';
import { NO_NODE_GRACE_MS } from './batch-job.js';
import { planStreamJob, type StreamPlan } from '../stream/execution-graph.js';
import { memoryCheckpointStore, type CheckpointStore, type CompletedCheckpoint } from './checkpoint-store.js';

/** Batches a sender may have in flight on one channel between slots. */
export const CHANNEL_CREDITS = 8;
/** Restarts from a checkpoint before the job fails (Flink's fixed-delay strategy, no delay). */
export const MAX_RESTARTS = 3;

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
  /** 0: no checkpoints. */
  checkpointIntervalMs: number;
  checkpoints?: CheckpointStore;
}

interface PendingPiece {
  partition: number;
  data: Uint8Array;
  epoch: number;
}

/** "JOB@ATTEMPT" → [JOB, ATTEMPT]. */
export function parseExecutionId(id: string): [string, number] {
  const at = id.lastIndexOf('@');
  return at < 0 ? [id, 0] : [id.slice(0, at), Number(id.slice(at + 1))];
}

export class StreamJob extends ClusterJob {
  readonly plan: StreamPlan;
  /** Slots the job needs: the largest parallelism of its vertices. */
  readonly slots: number;
  /** Node of each slot of the current attempt once deployed. */
  private slotNodes: string[] = [];
  private attempt = 1;
  restarts = 0;
  private readonly finished = new Map<string, Uint8Array>();
  private waitingSince: number | null = null;
  private released = false;
  private readonly sinkKeys: string[] = [];
  private readonly store: CheckpointStore;
  /** Checkpoint ids grow across attempts. */
  private nextCheckpoint = 1;
  private pendingCheckpoint: { id: number; acks: Map<string, Uint8Array>; writing: boolean } | null = null;
  private lastTrigger = 0;
  latest: CompletedCheckpoint | null = null;
  private pieces: PendingPiece[] = [];
  /** The store's last write (a finished job's checkpoints are removed only after it). */
  private storeWork: Promise<unknown> = Promise.resolve();

  /** @throws WrtError `WRT_BAD_JOB_GRAPH` / `WRT_INVALID_ARGUMENT` from planning. */
  constructor(
    private readonly host: JobHost,
    readonly spec: StreamJobSpec,
  ) {
    super(host, spec.jobId);
    this.plan = planStreamJob(spec.graph, spec.args, spec.parallelism);
    this.slots = Math.max(...this.plan.vertices.map((v) => v.parallelism));
    this.store = spec.checkpoints ?? memoryCheckpointStore;
    for (const pv of this.plan.vertices) {
      if (pv.vertex.kind === 'Sink') for (let i = 0; i < pv.parallelism; i++) this.sinkKeys.push(`${pv.vertex.id}#${i}`);
    }
  }

  get executionId(): string {
    return `${this.spec.jobId}@${this.attempt}`;
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

  private get checkpointing(): boolean {
    return this.spec.checkpointIntervalMs > 0;
  }

  /** Deploys every slot once the cluster has room for all of them; triggers checkpoints when due. */
  pump(now: number): void {
    if (this.terminal) return;
    if (this.slotNodes.length > 0) {
      this.maybeTrigger(now);
      return;
    }
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
    this.waitingSince = null;
    this.released = false;
    // Spread: each slot goes to the node with the most free slots left.
    for (let s = 0; s < this.slots; s++) {
      let best = '';
      for (const [id, n] of free) if (!best || n > free.get(best)!) best = id;
      free.set(best, free.get(best)! - 1);
      this.slotNodes.push(best);
      this.nodesUsed.add(this.host.nodeName(best));
      this.host.taskStarted(best, 0);
    }
    for (let s = 0; s < this.slots; s++) {
      const nodeId = this.slotNodes[s]!;
      const restore = [...(this.latest?.states ?? [])].flatMap(([key, state]) => {
        const at = key.lastIndexOf('#');
        const index = Number(key.slice(at + 1));
        return index === s ? [{ vertex: key.slice(0, at), index, state }] : [];
      });
      this.host.sendToNode(nodeId, {
        type: 'DeployStreamSlot',
        jobId: this.executionId,
        slot: s,
        moduleHash: this.spec.moduleHash,
        module: this.host.needsModule(nodeId, this.spec.moduleHash) ? this.spec.module : new Uint8Array(0),
        graph: this.spec.graph,
        args: this.spec.args,
        parallelism: this.spec.parallelism,
        slotNodes: this.slotNodes,
        maxMemoryBytes: this.spec.maxMemoryBytes,
        channelCredits: CHANNEL_CREDITS,
        restore,
      });
    }
    const where = this.slotNodes.map((n, s) => `slot ${s} on ${this.host.nodeName(n)}`).join(', ');
    const from = this.latest ? ` from checkpoint ${this.latest.id}` : '';
    this.host.log(`job ${this.spec.jobId}: attempt ${this.attempt}${from}: ${this.total} subtasks; ${where}`);
    this.lastTrigger = now;
    this.progress(now, true);
  }

  private maybeTrigger(now: number): void {
    if (!this.checkpointing || this.pendingCheckpoint || now - this.lastTrigger < this.spec.checkpointIntervalMs) return;
    if (this.finished.size === this.total) return;
    this.lastTrigger = now;
    const id = this.nextCheckpoint++;
    this.pendingCheckpoint = { id, acks: new Map(), writing: false };
    for (const n of new Set(this.slotNodes))
      this.host.sendToNode(n, { type: 'TriggerCheckpoint', jobId: this.executionId, checkpointId: id });
  }

  /** Whether a message of execution `id` is of the running attempt. */
  private current(id: string): boolean {
    return !this.terminal && parseExecutionId(id)[1] === this.attempt && this.slotNodes.length > 0;
  }

  /** A piece of sink output from a node: committed at once without checkpoints, else when a checkpoint covers it. */
  onOutput(m: MessageOf<'JobOutput'>, now: number): void {
    if (!this.current(m.jobId)) return;
    if (this.checkpointing) this.pieces.push({ partition: m.partition, data: m.data.slice(), epoch: m.epoch ?? 0 });
    else this.commitPiece(m.partition, m.data);
    this.progress(now, false);
  }

  private commitPiece(partition: number, data: Uint8Array): void {
    this.bytesDone += data.byteLength;
    this.host.sendToClient({ type: 'JobOutput', jobId: this.spec.jobId, partition, data });
  }

  onCheckpointAck(m: MessageOf<'CheckpointAck'>): void {
    const p = this.pendingCheckpoint;
    if (!this.current(m.jobId) || !p || p.id !== m.checkpointId) return;
    p.acks.set(`${m.state.vertex}#${m.state.index}`, m.state.state.slice());
    this.completeCheckpoint();
  }

  /** Writes the pending checkpoint once every subtask acknowledged it or had finished, then commits what it covers. */
  private completeCheckpoint(): void {
    const p = this.pendingCheckpoint;
    if (!p || p.writing) return;
    const states = new Map<string, Uint8Array>();
    for (const pv of this.plan.vertices) {
      for (let i = 0; i < pv.parallelism; i++) {
        const key = `${pv.vertex.id}#${i}`;
        const state = p.acks.get(key) ?? this.finished.get(key);
        if (!state) return;
        states.set(key, state);
      }
    }
    p.writing = true;
    const attempt = this.attempt;
    const write = this.store.write(this.spec.jobId, p.id, states);
    this.storeWork = write.catch(() => {});
    write.then(
      (path) => {
        if (this.terminal || attempt !== this.attempt || this.pendingCheckpoint !== p) return;
        this.pendingCheckpoint = null;
        this.latest = { jobId: this.spec.jobId, id: p.id, states, path };
        // Commit: pieces a sink wrote before barrier p.id, and everything of sinks that finished before it.
        const covered = (piece: PendingPiece): boolean => piece.epoch < p.id || !p.acks.has(this.sinkKeys[piece.partition]!);
        for (const piece of this.pieces.filter(covered)) this.commitPiece(piece.partition, piece.data);
        this.pieces = this.pieces.filter((piece) => !covered(piece));
        this.host.log(`job ${this.spec.jobId}: checkpoint ${p.id} completed (${states.size} subtasks) at ${path}`);
      },
      (err: Error) => {
        if (this.pendingCheckpoint === p) this.pendingCheckpoint = null;
        this.host.log(`job ${this.spec.jobId}: checkpoint ${p.id} could not be written: ${err.message}`);
      },
    );
  }

  onTaskStatus(nodeId: string, s: MessageOf<'TaskStatus'>, now: number): void {
    if (!this.current(s.jobId) || s.state === 'Running') return;
    const task = s.taskId.slice(s.taskId.indexOf('/') + 1);
    if (s.state === 'Failed') {
      const f = s.failure ?? { code: 'WRT_JOB_FAILED', message: 'unknown failure', retryable: false };
      const failure = { ...f, message: `${task} on node ${this.host.nodeName(nodeId)}: ${f.message}` };
      if (f.retryable) this.restart(failure, now);
      else this.fail(failure);
      return;
    }
    this.finished.set(task, (s.data ?? new Uint8Array(0)).slice());
    this.completeCheckpoint();
    if (this.finished.size === this.total) {
      for (const piece of this.pieces) this.commitPiece(piece.partition, piece.data);
      this.pieces = [];
      this.state = 'Finished';
      const restarts = this.restarts ? `, ${this.restarts} restart(s)` : '';
      this.message = `${this.total} subtasks in ${this.slots} slot(s) on ${new Set(this.slotNodes).size} node(s)${restarts}`;
      this.releaseSlots();
      const jobId = this.spec.jobId;
      void this.storeWork
        .then(() => this.store.discard(jobId))
        .then(
          () => this.host.log(`job ${jobId}: checkpoints removed`),
          (err: Error) => this.host.log(`job ${jobId}: checkpoints could not be removed: ${err.message}`),
        );
      this.progress(now, true);
    } else this.progress(now, false);
  }

  onNodeLost(nodeId: string, now = Date.now()): void {
    if (this.terminal || !this.slotNodes.includes(nodeId)) return;
    const slots = this.slotNodes.flatMap((n, s) => (n === nodeId ? [s] : []));
    this.restart(
      {
        code: 'WRT_NODE_LOST',
        message: `node ${this.host.nodeName(nodeId)} running slot(s) ${slots.join(', ')} was lost`,
        retryable: true,
      },
      now,
    );
  }

  /** Cancels the running attempt and deploys the next from the latest checkpoint (or fails the job). */
  private restart(f: FailureRecord, now: number): void {
    if (!this.checkpointing) {
      this.fail({ ...f, message: `${f.message} (the job takes no checkpoints, so it cannot restart)` });
      return;
    }
    if (this.restarts >= MAX_RESTARTS) {
      this.fail({ ...f, message: `${f.message}; restarted ${MAX_RESTARTS} times already` });
      return;
    }
    this.restarts++;
    this.releaseSlots(`restarting: ${f.message}`);
    this.host.log(
      `job ${this.spec.jobId}: ${f.message}; restarting from ${this.latest ? `checkpoint ${this.latest.id}` : 'the beginning'}`,
    );
    this.attempt++;
    this.slotNodes = [];
    this.finished.clear();
    this.pieces = [];
    this.pendingCheckpoint = null;
    this.pump(now);
  }

  /** Stream jobs keep nothing in object stores. */
  storedObjects(): Map<string, string[]> {
    return new Map();
  }

  /** Gives the slots of the running attempt back and stops any still running. */
  private releaseSlots(cancelReason?: string): void {
    if (this.released) return;
    this.released = true;
    for (const n of new Set(this.slotNodes)) {
      if (cancelReason !== undefined) this.host.sendToNode(n, { type: 'CancelJob', jobId: this.executionId, reason: cancelReason });
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
