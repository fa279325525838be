/**
 * A running stream job (the role of Flink's JobMaster for one job): plans the job graph, gets one
 * slot per parallel pipeline (the largest parallelism of any vertex; Flink's slot sharing), deploys
 * all of them at once — a stream job runs whole or not at all — and follows its subtasks to the
 * end. Between slots, elements flow node to node through the head's relay (head.ts) with credit
 * (stream-slot.ts).
 *
 * Checkpoints (when `checkpointIntervalMs` > 0) and savepoints are the job's
 * {@link CheckpointCoordinator}'s (checkpoint-coordinator.ts): the head sends TriggerCheckpoint to
 * the slots; the sources inject barrier N, subtasks align and acknowledge with their snapshots; the
 * completed checkpoint is written and only then is the sink output it covers committed (sent on to
 * the client): a two-phase sink.
 *
 * Failure: a lost node (or a slot thread that died) restarts the job from its latest completed
 * checkpoint, up to {@link MAX_RESTARTS} times: every slot is cancelled, pending output dropped,
 * and the slots deployed again with the checkpoint's states (sources rewind to their positions).
 * Each deployment is an *attempt*; the slots of attempt k run as `JOB@k`, so nothing of an old
 * attempt is mistaken for the new one. A failure of user code fails the job. Without checkpoints
 * any failure fails the job.
 *
 * Savepoints (`wrt savepoint`, `wrt stop`; Flink's): a checkpoint triggered on request, at once
 * (after one in flight), even in a job without periodic checkpoints, written where wrt never
 * removes it. Stop commits exactly the output its savepoint covers and ends the job (state
 * Stopped), so a job started from that savepoint (`restoreFrom`) continues the output with nothing
 * lost or repeated; its sinks begin new part files.
 */
import type { JobGraph, MessageOf } from '../protocol/messages.js';
import type { WrtError, FailureRecord } from '../errors.js';
import { NO_NODE_GRACE_MS, type JobHost } from './job-host.js';
import { ClusterJob } from './cluster-job.js';
import { placeSlots } from './placement.js';
import { planStreamJob, resolvedGraph, type StreamPlan } from '../stream/execution-graph.js';
import type { CheckpointStore, CompletedCheckpoint } from '../platform/checkpoint-store.js';
import { CheckpointCoordinator, type SavepointRequest } from './checkpoint-coordinator.js';
import { WatermarkAligner } from './watermark-aligner.js';
import { deployMessage, parseExecutionId, type SlotDeployment } from './slot-deployment.js';

export type { SavepointRequest };
import { JetStreamCommitter } from '../stream/nats/jetstream-committer.js';
import type { ConnectJetStream } from '../platform/platform.js';

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
  /** Deadline of one operator call, ms; 0 = none. */
  deadlineMs: number;
  /** 0: no checkpoints. */
  checkpointIntervalMs: number;
  /** Trigger to last acknowledgement, ms, before a checkpoint expires. @default 10 min */
  checkpointTimeoutMs?: number;
  checkpoints?: CheckpointStore;
  /** For `nats` sinks, whose committed output the head publishes (absent: such jobs are refused). */
  connectJetStream?: ConnectJetStream;
}

export class StreamJob extends ClusterJob {
  readonly plan: StreamPlan;
  /** The plan as a graph, what every slot gets (DeployStreamSlot `graph`). */
  private readonly planned: JobGraph;
  /** Slots the job needs: the largest parallelism of its vertices. */
  readonly slots: number;
  /** Output partitions: the subtasks of every sink, sink vertices in plan order (StreamSlot numbers them so). */
  readonly partitions: number;
  /** Node of each slot of the current attempt once deployed. */
  private slotNodes: string[] = [];
  private attempt = 1;
  restarts = 0;
  private readonly finished = new Map<string, Uint8Array>();
  private waitingSince: number | null = null;
  private released = false;
  private readonly checkpoints: CheckpointCoordinator;
  private readonly aligner: WatermarkAligner;
  /** Publishes the committed output of `nats` sinks. */
  private readonly committer: JetStreamCommitter;
  /** The job has ended and waits for its committed output to be published before it says so. */
  private ending = false;

  /** @throws WrtError `WRT_BAD_JOB_GRAPH` / `WRT_INVALID_ARGUMENT` from planning. */
  constructor(
    private readonly host: JobHost,
    readonly spec: StreamJobSpec,
  ) {
    super(host, spec.jobId);
    this.plan = planStreamJob(spec.graph, spec.args, spec.parallelism);
    this.planned = resolvedGraph(this.plan);
    this.slots = Math.max(...this.plan.vertices.map((v) => v.parallelism));
    this.partitions = this.plan.vertices.reduce((n, v) => n + (v.vertex.kind === 'Sink' ? v.parallelism : 0), 0);
    const sinks = this.plan.vertices.filter((pv) => pv.vertex.kind === 'Sink');
    this.checkpoints = new CheckpointCoordinator(
      {
        jobId: spec.jobId,
        plan: this.plan,
        checkpointIntervalMs: spec.checkpointIntervalMs,
        attempt: () => this.attempt,
        terminal: () => this.terminal,
        finishedState: (key) => this.finished.get(key),
        allFinished: () => this.finished.size === this.total,
        trigger: (id) => this.toSlotNodes({ type: 'TriggerCheckpoint', jobId: this.executionId, checkpointId: id }),
        commit: (partition, data) => this.commitPiece(partition, data),
        stopped: (message) => this.end('Stopped', message, Date.now()),
        checkpointTimeoutMs: spec.checkpointTimeoutMs,
        expired: (failure) => this.restart(failure, Date.now()),
        log: (line) => this.host.log(line),
      },
      spec.checkpoints,
    );
    this.aligner = new WatermarkAligner(
      this.plan,
      (index) => this.slotNodes[index],
      (group, minWatermark) => this.toSlotNodes({ type: 'AlignWatermarks', jobId: this.executionId, group, minWatermark }),
      (why) => this.host.log(`job ${spec.jobId}: ${why}; ignored`),
    );
    const run = globalThis.crypto.randomUUID().slice(0, 8);
    this.committer = new JetStreamCommitter(
      sinks.map((pv) => ({ vertex: pv.vertex, parallelism: pv.parallelism })),
      spec.connectJetStream,
      `${spec.jobId}-${run}`,
    );
  }

  /**
   * Starts the job from savepoint `cp` (before the first {@link pump}): its subtasks' states must be
   * exactly those of this job's plan, vertex by vertex at the same parallelism.
   * @throws WrtError `WRT_BAD_CHECKPOINT` naming the vertex that does not fit.
   */
  restoreFrom(cp: CompletedCheckpoint): void {
    this.checkpoints.restoreFrom(cp);
  }

  /** The latest completed checkpoint, or the savepoint the job started from. */
  get latest(): CompletedCheckpoint | null {
    return this.checkpoints.latest;
  }

  /** Checkpoint history, counts and the latest completed checkpoint's state bytes by subtask (checkpoint-coordinator.ts). */
  get checkpointStats(): Pick<CheckpointCoordinator, 'history' | 'counts' | 'stateBytes'> & { intervalMs: number } {
    const c = this.checkpoints;
    return { history: c.history, counts: c.counts, stateBytes: c.stateBytes, intervalMs: this.spec.checkpointIntervalMs };
  }

  /** The attempt running now (its slots run as `JOB@ATTEMPT`). */
  get currentAttempt(): number {
    return this.attempt;
  }

  /** Node id of each slot of the running attempt (empty before it is deployed). */
  get slotPlacement(): readonly string[] {
    return this.slotNodes;
  }

  /** Asks for a savepoint; triggered at the next {@link pump} once no checkpoint is in flight. */
  requestSavepoint(r: SavepointRequest): void {
    if (this.terminal)
      return r.done(
        { code: 'WRT_INVALID_ARGUMENT', message: `job ${this.spec.jobId} is ${this.state.toLowerCase()}`, retryable: false },
        '',
      );
    this.checkpoints.requestSavepoint(r);
  }

  get executionId(): string {
    return `${this.spec.jobId}@${this.attempt}`;
  }

  /** The ledger key of slot `s` of the running attempt. */
  private slotGrant(s: number): string {
    return `stream:${this.executionId}/${s}`;
  }

  get total(): number {
    return this.plan.vertices.reduce((n, v) => n + v.parallelism, 0);
  }

  get done(): number {
    return this.finished.size;
  }

  private get terminal(): boolean {
    return this.state !== 'Running' || this.ending;
  }

  /** Deploys every slot once the cluster has room for all of them; triggers checkpoints when due. */
  pump(now: number): void {
    if (this.terminal) return;
    if (this.slotNodes.length > 0) {
      this.checkpoints.maybeTrigger(now);
      return;
    }
    const placed = placeSlots(this.host.ledger, this.slots);
    if (placed.kind === 'wait') {
      const { free: room, capacity } = placed;
      if (this.waitingSince === null)
        this.host.log(
          `job ${this.spec.jobId}: needs ${this.slots} slots, ${room} of ${capacity} free; waiting up to ${NO_NODE_GRACE_MS} ms`,
        );
      this.waitingSince ??= now;
      if (now - this.waitingSince > NO_NODE_GRACE_MS)
        this.fail({
          code: 'WRT_INFEASIBLE',
          message: `the stream job needs ${this.slots} slots at once (its largest parallelism) but the cluster has ${room} free of ${capacity} on ${placed.nodes} node(s); lower the parallelism or add nodes`,
          retryable: false,
        });
      return;
    }
    this.waitingSince = null;
    this.released = false;
    // Spread: each slot goes to the node with the most free slots left.
    for (let s = 0; s < this.slots; s++) {
      const nodeId = placed.nodeIds[s]!;
      this.slotNodes.push(nodeId);
      this.nodesUsed.add(this.host.nodeName(nodeId));
      this.host.ledger.grant(this.slotGrant(s), nodeId, { cpus: 1 }, 'stream');
    }
    const d: SlotDeployment = {
      executionId: this.executionId,
      spec: this.spec,
      graph: this.planned,
      slotNodes: this.slotNodes,
      channelCredits: CHANNEL_CREDITS,
      from: this.latest,
      freshOutput: this.checkpoints.freshOutput,
    };
    this.slotNodes.forEach((n, s) => this.host.sendToNode(n, deployMessage(d, s, this.host.needsModule(n, this.spec.moduleHash))));
    const where = this.slotNodes.map((n, s) => `slot ${s} on ${this.host.nodeName(n)}`).join(', ');
    const from = this.latest ? ` from checkpoint ${this.latest.id}` : '';
    this.host.log(`job ${this.spec.jobId}: attempt ${this.attempt}${from}: ${this.total} subtasks; ${where}`);
    this.checkpoints.deployed(now);
    this.progress(now, true);
  }

  /** Whether a message of execution `id` is of the running attempt. */
  private current(id: string): boolean {
    return !this.terminal && parseExecutionId(id)[1] === this.attempt && this.slotNodes.length > 0;
  }

  /** A piece of sink output from a node: committed at once without checkpoints, else when a checkpoint covers it. */
  onOutput(m: MessageOf<'JobOutput'>, now: number): void {
    if (!this.current(m.jobId)) return;
    this.checkpoints.output(m.partition, m.data, m.epoch ?? 0);
    this.progress(now, false);
  }

  private commitPiece(partition: number, data: Uint8Array): void {
    this.bytesDone += data.byteLength;
    if (this.committer.handles(partition)) this.committer.commit(partition, data);
    else this.host.sendToClient({ type: 'JobOutput', jobId: this.spec.jobId, partition, data });
  }

  /** Node `nodeId` reported aligned sources' watermarks (watermark-aligner.ts checks what it may report). */
  onReportWatermarks(nodeId: string, m: MessageOf<'ReportWatermarks'>): void {
    if (this.current(m.jobId)) this.aligner.report(nodeId, m.sources);
  }

  onCheckpointAck(m: MessageOf<'CheckpointAck'>): void {
    if (!this.current(m.jobId)) return;
    this.checkpoints.acknowledge(m.checkpointId, `${m.state.vertex}#${m.state.index}`, m.state.state);
  }

  /**
   * Ends the job (finished, stopped or cancelled): gives its slots back (cancelling them unless
   * they finished), drops the checkpoints once the last write is done, answers savepoint requests
   * still open and reports the final state.
   */
  private end(state: 'Finished' | 'Stopped' | 'Cancelled', message: string, now: number): void {
    if (this.terminal) return;
    this.ending = true;
    this.releaseSlots(state === 'Finished' ? undefined : message);
    this.checkpoints.rejectSavepoints(state);
    this.checkpoints.end();
    const jobId = this.spec.jobId;
    const report = (s: 'Finished' | 'Stopped' | 'Cancelled' | 'Failed', m: string, at: number): void => {
      this.state = s;
      this.message = m;
      this.progress(at, true);
    };
    if (!this.committer.hasSinks) return report(state, message, now);
    // Committed output must be published before the job says it ended.
    this.committer
      .flush()
      .then(
        () => {
          const c = this.committer;
          this.host.log(`job ${jobId}: ${c.published} NATS message(s) published (${c.duplicates} dropped by the stream as duplicates)`);
          report(state, message, Date.now());
        },
        (err: WrtError) => {
          this.host.log(`job ${jobId} failed: ${err.code}: ${err.message}`);
          report('Failed', `${err.code}: ${err.message}`, Date.now());
        },
      )
      .finally(() => void this.committer.close());
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
    this.checkpoints.complete();
    if (this.finished.size === this.total) {
      this.checkpoints.commitAll();
      const restarts = this.restarts ? `, ${this.restarts} restart(s)` : '';
      this.end('Finished', `${this.total} subtasks in ${this.slots} slot(s) on ${new Set(this.slotNodes).size} node(s)${restarts}`, now);
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
    if (!this.checkpoints.checkpointing) {
      this.fail({ ...f, message: `${f.message} (the job takes no checkpoints, so it cannot restart)` });
      return;
    }
    if (this.restarts >= MAX_RESTARTS) {
      this.fail({ ...f, message: `${f.message}; restarted ${MAX_RESTARTS} times already` });
      return;
    }
    this.restarts++;
    this.recordException(f, 'restarted');
    this.releaseSlots(`restarting: ${f.message}`);
    this.host.log(
      `job ${this.spec.jobId}: ${f.message}; restarting from ${this.latest ? `checkpoint ${this.latest.id}` : 'the beginning'}`,
    );
    this.attempt++;
    this.slotNodes = [];
    this.finished.clear();
    this.checkpoints.restart();
    this.aligner.reset();
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
    if (cancelReason !== undefined) this.toSlotNodes({ type: 'CancelJob', jobId: this.executionId, reason: cancelReason });
    for (let s = 0; s < this.slotNodes.length; s++) this.host.ledger.release(this.slotGrant(s));
  }

  /** Sends `m` to every node that runs a slot of the current attempt, once each. */
  private toSlotNodes(m: MessageOf<'TriggerCheckpoint' | 'AlignWatermarks' | 'CancelJob'>): void {
    for (const n of new Set(this.slotNodes)) this.host.sendToNode(n, m);
  }

  fail(f: FailureRecord): void {
    if (this.terminal) return;
    this.state = 'Failed';
    this.recordException(f, 'failed');
    this.message = `${f.code}: ${f.message}`;
    this.host.log(`job ${this.spec.jobId} failed: ${this.message}`);
    this.releaseSlots(this.message);
    this.checkpoints.rejectSavepoints(this.state);
    void this.committer.close();
    this.progress(0, true);
  }

  /** Stops every slot; the checkpoints go (Flink's default retention: deleted on cancellation). */
  cancel(reason: string): void {
    if (this.terminal) return;
    this.end('Cancelled', reason, Date.now());
  }
}
