/**
 * The checkpoint coordinator of one stream job (Flink's `CheckpointCoordinator`): triggers
 * checkpoints every `checkpointIntervalMs` once the previous one is done, and savepoints on request
 * (at once, after one in flight, also in jobs without periodic checkpoints); collects the
 * subtasks' acknowledgements — a subtask that finished before stands in with its final state —;
 * writes the completed checkpoint to the store and only then commits the sink output it covers
 * (the second phase of the two-phase sink); output written after the last completed checkpoint
 * stays pending. It also validates a savepoint a job starts from and drops a job's checkpoints
 * once it ended (Flink's default retention).
 */
import { WrtError, type FailureRecord } from '../errors.js';
import type { StreamPlan } from '../stream/execution-graph.js';
import { memoryCheckpointStore, type CheckpointStore, type CompletedCheckpoint } from '../platform/checkpoint-store.js';

/** A savepoint asked for; `done` gets its path or why there is none. */
export interface SavepointRequest {
  /** Where to write it ('' = the store's default). */
  dir: string;
  /** End the job once it is written (`wrt stop`). */
  stop: boolean;
  done(err: FailureRecord | null, path: string): void;
}

interface PendingCheckpoint {
  id: number;
  acks: Map<string, Uint8Array>;
  writing: boolean;
  savepoint: SavepointRequest | null;
  record: CheckpointRecord;
}

/** One checkpoint or savepoint of a job, as the REST API shows it (Flink's checkpoint history). */
export interface CheckpointRecord {
  id: number;
  kind: 'checkpoint' | 'savepoint';
  /** When it was triggered, ms since the epoch. */
  triggeredAt: number;
  /** Trigger to written (or to failure), ms; null while in progress. */
  durationMs: number | null;
  /** Bytes of all its subtasks' states; 0 until completed. */
  sizeBytes: number;
  status: 'in_progress' | 'completed' | 'failed';
  /** Where it was written ('' unless completed). */
  path: string;
  /** Why it failed ('' unless failed). */
  failure: string;
}

/** How long a checkpoint may take unless the head says otherwise, ms (Flink's default). */
export const DEFAULT_CHECKPOINT_TIMEOUT_MS = 10 * 60_000;

/** Checkpoints a job's history keeps (the oldest go first; the counts keep counting). */
export const CHECKPOINT_HISTORY = 50;

/** A piece of sink output waiting for the checkpoint that covers it. */
interface PendingPiece {
  partition: number;
  data: Uint8Array;
  /** The last checkpoint its sink passed before it (0: none). */
  epoch: number;
}

/** What the coordinator needs of its job. */
export interface CoordinatedJob {
  readonly jobId: string;
  readonly plan: StreamPlan;
  /** 0: no periodic checkpoints. */
  readonly checkpointIntervalMs: number;
  /** The running attempt (a write that completes after a restart is not the new attempt's). */
  attempt(): number;
  /** The job ended or is ending. */
  terminal(): boolean;
  /** The final state of a finished subtask, by "VERTEX#INDEX". */
  finishedState(key: string): Uint8Array | undefined;
  /** Every subtask of the attempt finished. */
  allFinished(): boolean;
  /** Sends TriggerCheckpoint `id` to the running attempt's slots. */
  trigger(id: number): void;
  /** Commits one piece of sink output (to the client, or the NATS committer). */
  commit(partition: number, data: Uint8Array): void;
  /** A stop-with-savepoint completed: the job ends as Stopped. */
  stopped(message: string): void;
  /**
   * How long a checkpoint or savepoint may take from trigger to the last acknowledgement, ms
   * (Flink's `execution.checkpointing.timeout`, default 10 min there and here).
   */
  readonly checkpointTimeoutMs?: number;
  /**
   * A periodic checkpoint expired (`failure`: `WRT_TIMEOUT`, retryable): the job
   * restarts from its latest completed checkpoint, as Flink does with no tolerable checkpoint
   * failures — an acknowledgement that never comes would otherwise stop every later checkpoint.
   */
  expired(failure: FailureRecord): void;
  log(line: string): void;
}

export class CheckpointCoordinator {
  private readonly store: CheckpointStore;
  /** Sink subtask keys ("VERTEX#INDEX") by sink partition. */
  private readonly sinkKeys: string[];
  /** Every subtask's key ("VERTEX#INDEX"), vertices in plan order: what a checkpoint must hold. */
  private readonly subtaskKeys: string[];
  /** Checkpoint ids grow across attempts. */
  private nextCheckpoint = 1;
  private pending: PendingCheckpoint | null = null;
  /** Savepoints asked for and not yet triggered. */
  private savepointRequests: SavepointRequest[] = [];
  /** The savepoint the job was started from, while it is still the latest checkpoint. */
  private restoredFrom: CompletedCheckpoint | null = null;
  private lastTrigger = 0;
  /** The latest completed checkpoint (or the savepoint the job started from). */
  latest: CompletedCheckpoint | null = null;
  private pieces: PendingPiece[] = [];
  /** The store's last write (a finished job's checkpoints are removed only after it). */
  private storeWork: Promise<unknown> = Promise.resolve();
  /** The latest {@link CHECKPOINT_HISTORY} checkpoints and savepoints, oldest first. */
  readonly history: CheckpointRecord[] = [];
  /** Checkpoints and savepoints completed and failed since the job started. */
  readonly counts = { completed: 0, failed: 0 };
  /** Bytes of each subtask's state ("VERTEX#INDEX") in the latest completed checkpoint. */
  stateBytes = new Map<string, number>();

  constructor(
    private readonly job: CoordinatedJob,
    store: CheckpointStore | undefined,
  ) {
    this.store = store ?? memoryCheckpointStore();
    const keysOf = (vertices: StreamPlan['vertices']): string[] =>
      vertices.flatMap((pv) => Array.from({ length: pv.parallelism }, (_, i) => `${pv.vertex.id}#${i}`));
    this.subtaskKeys = keysOf(job.plan.vertices);
    this.sinkKeys = keysOf(job.plan.vertices.filter((v) => v.vertex.kind === 'Sink'));
  }

  /** The job takes periodic checkpoints. */
  get checkpointing(): boolean {
    return this.job.checkpointIntervalMs > 0;
  }

  /** The next attempt's sinks begin new part files: it starts from the savepoint the job was submitted with. */
  get freshOutput(): boolean {
    return this.latest !== null && this.latest === this.restoredFrom;
  }

  /**
   * Starts the job from savepoint `cp`: its subtasks' states must be exactly those of the job's
   * plan, vertex by vertex at the same parallelism.
   * @throws WrtError `WRT_BAD_CHECKPOINT` naming the vertex that does not fit.
   */
  restoreFrom(cp: CompletedCheckpoint): void {
    const planned = new Map(this.job.plan.vertices.map((pv) => [pv.vertex.id, pv.parallelism]));
    const saved = new Map<string, number>();
    for (const key of cp.states.keys()) {
      const at = key.lastIndexOf('#');
      const vertex = key.slice(0, at);
      saved.set(vertex, Math.max(saved.get(vertex) ?? 0, Number(key.slice(at + 1)) + 1));
    }
    for (const [vertex, n] of saved) {
      if (!planned.has(vertex))
        throw new WrtError(
          'WRT_BAD_CHECKPOINT',
          `savepoint ${cp.path} holds state of vertex "${vertex}", which this job graph does not have; submit the pipeline and arguments it was taken from`,
        );
      if (planned.get(vertex) !== n)
        throw new WrtError(
          'WRT_BAD_CHECKPOINT',
          `vertex "${vertex}" ran at parallelism ${n} in savepoint ${cp.path} but would run at ${planned.get(vertex)} here; submit with --parallelism ${n} (rescaling on restore is not supported yet)`,
        );
    }
    for (const [vertex, n] of planned) {
      for (let i = 0; i < n; i++)
        if (!cp.states.has(`${vertex}#${i}`))
          throw new WrtError(
            'WRT_BAD_CHECKPOINT',
            `savepoint ${cp.path} has no state for subtask ${vertex}#${i} of this job; submit the pipeline and arguments it was taken from`,
          );
    }
    this.latest = { ...cp, jobId: this.job.jobId };
    this.restoredFrom = this.latest;
    this.nextCheckpoint = cp.id + 1;
  }

  /** Queues a savepoint request, or answers it at once when the job is already stopping. */
  requestSavepoint(r: SavepointRequest): void {
    if (r.stop && (this.pending?.savepoint?.stop || this.savepointRequests.some((q) => q.stop)))
      return r.done({ code: 'WRT_INVALID_ARGUMENT', message: `job ${this.job.jobId} is already stopping`, retryable: false }, '');
    this.savepointRequests.push(r);
  }

  /** The attempt was deployed at `now`: the next periodic checkpoint is an interval later. */
  deployed(now: number): void {
    this.lastTrigger = now;
  }

  /** Triggers a savepoint asked for, or a checkpoint when one is due, unless one is in flight; expires one in flight too long. */
  maybeTrigger(now: number): void {
    if (this.pending && !this.pending.writing && now - this.pending.record.triggeredAt >= this.timeoutMs) this.expire(this.pending, now);
    if (this.pending || this.job.allFinished()) return;
    const savepoint = this.savepointRequests.shift() ?? null;
    if (!savepoint && (!this.checkpointing || now - this.lastTrigger < this.job.checkpointIntervalMs)) return;
    this.lastTrigger = now;
    const id = this.nextCheckpoint++;
    const record: CheckpointRecord = {
      id,
      kind: savepoint ? 'savepoint' : 'checkpoint',
      triggeredAt: now,
      durationMs: null,
      sizeBytes: 0,
      status: 'in_progress',
      path: '',
      failure: '',
    };
    this.history.push(record);
    if (this.history.length > CHECKPOINT_HISTORY) this.history.shift();
    this.pending = { id, acks: new Map(), writing: false, savepoint, record };
    this.job.trigger(id);
  }

  /** A piece of sink output: committed at once without checkpoints (and while not stopping), else when a checkpoint covers it. */
  output(partition: number, data: Uint8Array, epoch: number): void {
    // While stopping, output after the savepoint's barrier must not reach the client either.
    if (this.checkpointing || this.pending?.savepoint?.stop) this.pieces.push({ partition, data: data.slice(), epoch });
    else this.job.commit(partition, data);
  }

  /** Subtask `key` acknowledged checkpoint `checkpointId` with `state`. */
  acknowledge(checkpointId: number, key: string, state: Uint8Array): void {
    const p = this.pending;
    if (!p || p.id !== checkpointId) return;
    p.acks.set(key, state.slice());
    this.complete();
  }

  /** Commits every pending piece: every subtask finished (the end of the input covers them all). */
  commitAll(): void {
    for (const piece of this.pieces) this.job.commit(piece.partition, piece.data);
    this.pieces = [];
  }

  /** Writes the pending checkpoint once every subtask acknowledged it or had finished, then commits what it covers. */
  complete(): void {
    const p = this.pending;
    if (!p || p.writing) return;
    const states = new Map<string, Uint8Array>();
    for (const key of this.subtaskKeys) {
      const state = p.acks.get(key) ?? this.job.finishedState(key);
      if (!state) return;
      states.set(key, state);
    }
    p.writing = true;
    const attempt = this.job.attempt();
    const jobId = this.job.jobId;
    // The callbacks read `p.savepoint` when they run: a request the job has answered meanwhile (it
    // ended: rejectSavepoints) is gone from it, so each request is answered once.
    const what = p.savepoint ? 'savepoint' : 'checkpoint';
    const write = p.savepoint ? this.store.writeSavepoint(jobId, p.id, states, p.savepoint.dir) : this.store.write(jobId, p.id, states);
    this.storeWork = write.catch(() => {});
    write.then(
      (path) => {
        const sp = p.savepoint;
        if (this.job.terminal() || attempt !== this.job.attempt() || this.pending !== p) {
          this.failed(p, 'the job ended or restarted while it was written');
          sp?.done(
            { code: 'WRT_JOB_FAILED', message: `job ${jobId} ended or restarted while its savepoint was written`, retryable: false },
            '',
          );
          return;
        }
        this.pending = null;
        this.latest = { jobId, id: p.id, states, path };
        this.restoredFrom = null;
        this.stateBytes = new Map([...states].map(([k, v]) => [k, v.byteLength]));
        Object.assign(p.record, {
          status: 'completed',
          path,
          durationMs: Date.now() - p.record.triggeredAt,
          sizeBytes: [...states.values()].reduce((n, v) => n + v.byteLength, 0),
        });
        this.counts.completed++;
        // Commit: pieces a sink wrote before barrier p.id, and everything of sinks that finished before it.
        const covered = (piece: PendingPiece): boolean => piece.epoch < p.id || !p.acks.has(this.sinkKeys[piece.partition]!);
        for (const piece of this.pieces.filter(covered)) this.job.commit(piece.partition, piece.data);
        this.pieces = this.pieces.filter((piece) => !covered(piece));
        this.job.log(`job ${jobId}: ${what} ${p.id} completed (${states.size} subtasks) at ${path}`);
        if (sp?.stop) this.job.stopped(`stopped with savepoint ${p.id} at ${path}`);
        sp?.done(null, path);
      },
      (err: Error) => {
        if (this.pending === p) this.pending = null;
        this.failed(p, `could not be written: ${err.message}`);
        this.job.log(`job ${jobId}: ${what} ${p.id} could not be written: ${err.message}`);
        p.savepoint?.done(
          { code: 'WRT_BAD_CHECKPOINT', message: `the savepoint could not be written: ${err.message}`, retryable: false },
          '',
        );
      },
    );
  }

  /** The attempt is restarting: pending output is dropped; a savepoint not yet being written is taken again by the next attempt. */
  restart(): void {
    this.pieces = [];
    if (this.pending) this.failed(this.pending, 'the job restarted before it completed');
    const sp = this.pending?.savepoint;
    if (sp && !this.pending!.writing) this.savepointRequests.unshift(sp);
    this.pending = null;
  }

  private get timeoutMs(): number {
    return this.job.checkpointTimeoutMs ?? DEFAULT_CHECKPOINT_TIMEOUT_MS;
  }

  /**
   * Pending checkpoint `p` has waited its timeout for acknowledgements. A savepoint fails alone (its
   * request gets `WRT_TIMEOUT`; the job goes on, as Flink's); a checkpoint restarts the job.
   */
  private expire(p: PendingCheckpoint, now: number): void {
    const missing = this.subtaskKeys.filter((key) => !p.acks.has(key) && !this.job.finishedState(key));
    const names = missing.slice(0, 5).join(', ') + (missing.length > 5 ? ` and ${missing.length - 5} more` : '');
    const what = p.savepoint ? 'savepoint' : 'checkpoint';
    const message = `${what} ${p.id} expired after ${now - p.record.triggeredAt} ms (timeout ${this.timeoutMs} ms) without the acknowledgement of ${names}`;
    this.failed(p, message);
    this.job.log(`job ${this.job.jobId}: ${message}`);
    const failure: FailureRecord = { code: 'WRT_TIMEOUT', message, retryable: true };
    if (p.savepoint) {
      this.pending = null;
      p.savepoint.done({ ...failure, retryable: false }, '');
      return;
    }
    this.job.expired(failure);
  }

  /** Records pending checkpoint `p` as failed for `why` (once). */
  private failed(p: PendingCheckpoint, why: string): void {
    if (p.record.status !== 'in_progress') return;
    Object.assign(p.record, { status: 'failed', failure: why, durationMs: Date.now() - p.record.triggeredAt });
    this.counts.failed++;
  }

  /** The job ended: pending output is dropped and its checkpoints removed once the last write is done. */
  end(): void {
    this.pieces = [];
    if (this.pending && !this.pending.writing) this.failed(this.pending, 'the job ended before it completed');
    const jobId = this.job.jobId;
    void this.storeWork
      .then(() => this.store.discard(jobId))
      .then(
        () => this.job.log(`job ${jobId}: checkpoints removed`),
        (err: Error) => this.job.log(`job ${jobId}: checkpoints could not be removed: ${err.message}`),
      );
  }

  /** Savepoints asked for that will not be taken now: the job ended (as `state`). */
  rejectSavepoints(state: string): void {
    const open = [...this.savepointRequests, ...(this.pending?.savepoint ? [this.pending.savepoint] : [])];
    this.savepointRequests = [];
    if (this.pending) this.pending.savepoint = null;
    for (const r of open)
      r.done(
        {
          code: 'WRT_JOB_FAILED',
          message: `job ${this.job.jobId} ${state.toLowerCase()} before the savepoint completed`,
          retryable: false,
        },
        '',
      );
  }
}
