/**
 * The head's job registry (the role of Flink's Dispatcher): accepts batch and stream jobs from
 * clients, plans them (a bad graph is refused at once), routes their subtasks' reports, savepoint
 * / cancel / stop requests and input chunks, cancels the jobs of a client that disconnects, tells
 * jobs about lost nodes, and keeps the last 100 ended jobs for the status API.
 */
import type { ConnectJetStream, Connection } from '../platform/platform.js';
import type { Message, MessageOf } from '../protocol/messages.js';
import { encodeMessage } from '../protocol/codec.js';
import { planBatchJob } from '../protocol/job-graph-codec.js';
import { BatchJob } from '../scheduler/batch-job.js';
import { batchGrantKey, type JobHost } from '../scheduler/job-host.js';
import { StreamJob } from '../scheduler/stream-job.js';
import { parseExecutionId } from '../scheduler/slot-deployment.js';
import type { CheckpointStore } from '../platform/checkpoint-store.js';
import type { ResourceLedger } from '../scheduler/resource-ledger.js';
import { WrtError, toFailure, type FailureRecord } from '../errors.js';
import type { Principal } from '../protocol/credentials.js';
import { checkName } from '../protocol/names.js';
import { deadlineWithin, memoryWithin, type ClusterCeilings } from './ceilings.js';
import type { JobRecord } from './job-views.js';
import type { VolunteerPool } from '../scheduler/volunteer-pool.js';

/** What the registry needs of the head. */
export interface JobRegistryHost {
  ledger: ResourceLedger;
  /** Sends to a live node (or a driver). */
  sendTo(id: string, m: Message): void;
  nodeName(nodeId: string): string;
  /** True the first time a node is asked for `hash` (the module must then travel with the task). */
  needsModule(nodeId: string, hash: string): boolean;
  /** Every node forgets module `hash` (its job ended). */
  forgetModule(hash: string): void;
  log(line: string): void;
  /** The trusted nodes' lowest ceilings (ceilings.ts). */
  ceilings(): ClusterCeilings;
  /** Job `jobId` left the registry's history: what is kept about it elsewhere may go. */
  jobDropped(jobId: string): void;
  /** The volunteers, for jobs that allow them. */
  volunteers: VolunteerPool;
  /** The head serves object `id` (a verified volunteer output) to pulls that name no node. */
  holdObject(id: string, bytes: Uint8Array): void;
  dropObject(id: string): void;
}

/** What `wrt cancel`, `wrt savepoint` and `wrt stop` (and their REST routes) ask of a job. */
export type JobAction = MessageOf<'JobControl'>['action'];

export interface JobDefaults {
  /** Operator linear-memory cap when neither graph nor submission sets one, bytes. @default 256 MiB */
  defaultMaxMemoryBytes?: number;
  /** Operator call deadline when neither graph nor submission sets one, ms. @default 60000 */
  defaultDeadlineMs?: number;
  /** Where stream jobs' checkpoints and savepoints go. */
  checkpoints: CheckpointStore;
  /** NATS JetStream, for publishing the committed output of stream jobs' `nats` sinks. @default none: such jobs are refused */
  connectJetStream?: ConnectJetStream;
  /** How long a stream job's checkpoint may take before it expires and the job restarts, ms. @default 600000 (Flink's) */
  checkpointTimeoutMs?: number;
}

interface JobEntry extends JobRecord {
  client: Connection;
}

/** One job as `GET /api/status` shows it. */
export interface JobStatusView {
  id: string;
  name: string;
  state: string;
  tasksDone: number;
  tasksTotal: number;
  message: string;
  nodes: string[];
}

export class JobRegistry {
  private readonly jobs = new Map<string, JobEntry>();
  private nextJob = 1;
  /** Client connections that have closed (a job accepted after its client left would run for no one). */
  private readonly closedClients = new WeakSet<Connection>();

  constructor(
    private readonly host: JobRegistryHost,
    private readonly options: JobDefaults,
  ) {}

  /** A batch subtask or stream slot reported (`msg.jobId` set). */
  taskStatus(nodeId: string, msg: MessageOf<'TaskStatus'>): void {
    const e = this.jobs.get(parseExecutionId(msg.jobId)[0]);
    if (!e) {
      if (msg.state !== 'Running') this.host.ledger.release(batchGrantKey(msg.taskId));
      if (msg.outputs.length) this.host.sendTo(nodeId, { type: 'ReleaseObjects', objectIds: msg.outputs.map((o) => o.objectId) });
      return;
    }
    e.job.onTaskStatus(nodeId, msg, Date.now());
    if (e.job.state !== 'Running') this.endJob(e.job.spec.jobId);
    this.pumpAll();
  }

  /** A stream job's sink output piece. */
  output(msg: MessageOf<'JobOutput'>): void {
    const e = this.jobs.get(parseExecutionId(msg.jobId)[0]);
    if (e?.job instanceof StreamJob) e.job.onOutput(msg, Date.now());
  }

  checkpointAck(msg: MessageOf<'CheckpointAck'>): void {
    const e = this.jobs.get(parseExecutionId(msg.jobId)[0]);
    if (e?.job instanceof StreamJob) e.job.onCheckpointAck(msg);
  }

  /** Aligned sources' watermarks from node `nodeId`. */
  reportWatermarks(nodeId: string, msg: MessageOf<'ReportWatermarks'>): void {
    const e = this.jobs.get(parseExecutionId(msg.jobId)[0]);
    if (e?.job instanceof StreamJob) e.job.onReportWatermarks(nodeId, msg);
  }

  /** Input chunk `msg.index` of a batch job, from the client that submitted it. */
  inputChunk(conn: Connection, msg: MessageOf<'InputChunk'>): void {
    const e = this.jobs.get(msg.jobId);
    if (e && e.client === conn && e.job instanceof BatchJob) e.job.onInputChunk(msg.index, msg.data);
  }

  /** A client disconnected: its running jobs are cancelled. */
  clientGone(conn: Connection): void {
    this.closedClients.add(conn);
    for (const [id, e] of this.jobs) {
      if (e.client === conn && e.job.state === 'Running') {
        e.job.cancel('the submitting client disconnected');
        this.endJob(id);
      }
    }
  }

  /** A node is lost: every running job is told (batch jobs rerun its subtasks; stream jobs restart). */
  nodeLost(nodeId: string): void {
    const now = Date.now();
    for (const [id, e] of this.jobs) {
      if (e.job.state !== 'Running') continue;
      e.job.onNodeLost(nodeId, now);
      if (e.job.state !== 'Running') this.endJob(id);
    }
  }

  /** Volunteer `nodeId` was quarantined: running batch jobs drop its work and its unverified outputs. */
  volunteerQuarantined(nodeId: string): void {
    const now = Date.now();
    for (const [id, e] of this.jobs) {
      if (!(e.job instanceof BatchJob) || e.job.state !== 'Running') continue;
      e.job.onVolunteerQuarantined(nodeId, now);
      if (e.job.state !== 'Running') this.endJob(id);
    }
  }

  /**
   * `wrt savepoint` / `wrt cancel` / `wrt stop` over the wire from the job's owner or an admin
   * (`by`): answered with JobControlDone, or an ErrorMessage with the request's id.
   * @throws WrtError as {@link controlJob}.
   */
  control(conn: Connection, m: MessageOf<'JobControl'>, by: Principal): void {
    this.controlJob(m.jobId, m.action, m.savepointDir, by, (failure, savepointPath) =>
      conn.send(
        encodeMessage(
          failure
            ? { type: 'ErrorMessage', requestId: m.requestId, failure }
            : { type: 'JobControlDone', requestId: m.requestId, jobId: m.jobId, savepointPath },
        ),
      ),
    );
  }

  /**
   * Cancels job `jobId`, or takes a savepoint of it (into `savepointDir`, '' for the head's
   * default), ending it after the savepoint for `Stop`; for its owner or an admin (`by`) only.
   * `done` gets the savepoint's path ('' for Cancel) or why there is none; Cancel calls it at once.
   * @throws WrtError `WRT_INVALID_ARGUMENT` for a job that is unknown, not running, or a batch job
   *   asked for a savepoint, or a directory outside the checkpoint directory; `WRT_FORBIDDEN` for
   *   another driver's job.
   */
  controlJob(
    jobId: string,
    action: JobAction,
    savepointDir: string,
    by: Principal,
    done: (failure: FailureRecord | null, savepointPath: string) => void,
  ): void {
    const e = this.jobs.get(jobId);
    if (e && !by.admin && e.owner !== by.subject) {
      throw new WrtError(
        'WRT_FORBIDDEN',
        `job ${jobId} belongs to another driver; only it or the cluster secret may ${action.toLowerCase()} it`,
      );
    }
    if (!e) {
      const running = [...this.jobs.values()].filter((j) => j.job.state === 'Running').map((j) => j.job.spec.jobId);
      throw new WrtError('WRT_INVALID_ARGUMENT', `no job ${jobId} on this head (running: ${running.join(', ') || 'none'})`);
    }
    if (e.job.state !== 'Running') throw new WrtError('WRT_INVALID_ARGUMENT', `job ${jobId} is ${e.job.state.toLowerCase()}, not running`);
    if (action === 'Cancel') {
      this.host.log(`head: job ${jobId} cancelled by ${by.subject}`);
      e.job.cancel(`job ${jobId} was cancelled (wrt cancel)`);
      this.endJob(jobId);
      done(null, '');
      return;
    }
    const job = e.job;
    if (!(job instanceof StreamJob))
      throw new WrtError('WRT_INVALID_ARGUMENT', `job ${jobId} is a batch job; only stream jobs take savepoints`);
    this.options.checkpoints.checkSavepointDir?.(savepointDir);
    this.host.log(`head: job ${jobId}: ${action === 'Stop' ? 'stop with a savepoint' : 'savepoint'} asked for`);
    job.requestSavepoint({
      dir: savepointDir,
      stop: action === 'Stop',
      done: (failure, path) => {
        done(failure, path);
        if (job.state !== 'Running') this.endJob(jobId);
      },
    });
    job.pump(Date.now());
  }

  /** Every job the head knows: running ones and the last 100 ended, in submission order. */
  records(): IterableIterator<JobRecord> {
    return this.jobs.values();
  }

  /** Job `jobId` with its owner and times (undefined when the head does not know it). */
  record(jobId: string): JobRecord | undefined {
    return this.jobs.get(jobId);
  }

  /** A job from the driver on `conn`, authenticated as `by` (its owner). */
  submit(conn: Connection, m: MessageOf<'SubmitJob'>, by: Principal): void {
    // Names end up in checkpoint file names and logs: checked here, where they enter.
    if (m.name) checkName('job name', m.name);
    if (m.graph.name) checkName('job name', m.graph.name);
    for (const v of m.graph.vertices) checkName('vertex id', v.id);
    if (m.graph.streaming) return this.submitStream(conn, m, by.subject);
    const plan = planBatchJob(m.graph);
    if (m.inputChunks === 0) throw new WrtError('WRT_INVALID_ARGUMENT', 'the job has no input');
    const jobId = `j-${this.nextJob++}`;
    const c = this.host.ceilings();
    const mem = (v: number): number =>
      memoryWithin(
        v || m.operatorMaxMemoryBytes,
        this.options.defaultMaxMemoryBytes || 256 * 2 ** 20,
        c,
        `job "${m.name || m.graph.name}"`,
      );
    const deadline = (v: number): number =>
      deadlineWithin(v || m.operatorDeadlineMs, this.options.defaultDeadlineMs || 60_000, c, `job "${m.name || m.graph.name}"`);
    const job = new BatchJob(this.jobHost(conn), {
      jobId,
      name: m.name || m.graph.name,
      module: m.module.slice(),
      moduleHash: `${jobId}-module`,
      plan,
      inputChunks: m.inputChunks,
      maxMemoryBytes: { map: mem(plan.map.maxMemoryBytes), reduce: mem(plan.reduce.maxMemoryBytes) },
      deadlineMs: { map: deadline(plan.map.deadlineMs), reduce: deadline(plan.reduce.deadlineMs) },
      volunteers: m.volunteers ?? false,
    });
    this.jobs.set(jobId, { job, client: conn, owner: by.subject, submittedAt: Date.now(), endedAt: null });
    conn.send(encodeMessage({ type: 'JobAccepted', requestId: m.requestId, jobId, partitions: job.partitions }));
    this.host.log(`head: job ${jobId} "${job.spec.name}" accepted: ${m.inputChunks} input chunks, ${job.partitions} partitions`);
    job.pump(Date.now());
  }

  /**
   * A stream job: planned here (bad graphs and missing arguments are refused at once), then deployed
   * whole; from a savepoint when `restorePath` names one (a savepoint that cannot be read or does
   * not fit the job is refused with `WRT_BAD_CHECKPOINT`).
   */
  private submitStream(conn: Connection, m: MessageOf<'SubmitJob'>, owner: string): void {
    const c = this.host.ceilings();
    const what = `job "${m.name || m.graph.name}"`;
    const jobId = `j-${this.nextJob++}`;
    let slots = 0;
    for (const n of this.host.ledger.capacities()) slots += n.total.cpus ?? 0;
    const job = new StreamJob(this.jobHost(conn), {
      jobId,
      name: m.name || m.graph.name,
      module: m.module.slice(),
      moduleHash: `${jobId}-module`,
      graph: m.graph,
      args: m.args,
      parallelism: m.parallelism || Math.max(1, slots),
      maxMemoryBytes: memoryWithin(m.operatorMaxMemoryBytes, this.options.defaultMaxMemoryBytes || 256 * 2 ** 20, c, what),
      deadlineMs: deadlineWithin(m.operatorDeadlineMs, this.options.defaultDeadlineMs || 60_000, c, what),
      checkpointIntervalMs: m.checkpointIntervalMs ?? 0,
      checkpoints: this.options.checkpoints,
      checkpointTimeoutMs: this.options.checkpointTimeoutMs,
      connectJetStream: this.options.connectJetStream,
    });
    const accept = (): void => {
      if (this.closedClients.has(conn)) return;
      this.jobs.set(jobId, { job, client: conn, owner, submittedAt: Date.now(), endedAt: null });
      conn.send(encodeMessage({ type: 'JobAccepted', requestId: m.requestId, jobId, partitions: job.partitions }));
      const from = job.latest ? ` from savepoint ${job.latest.path}` : '';
      this.host.log(`head: stream job ${jobId} "${job.spec.name}" accepted${from}: ${job.total} subtasks, ${job.slots} slot(s)`);
      job.pump(Date.now());
    };
    if (!m.restorePath) return accept();
    this.options.checkpoints
      .read(m.restorePath)
      .then((cp) => {
        job.restoreFrom(cp);
        accept();
      })
      .catch((err: unknown) => {
        const failure = toFailure(err, 'WRT_BAD_CHECKPOINT');
        this.host.log(`head: ${failure.code}: ${failure.message}`);
        conn.send(encodeMessage({ type: 'ErrorMessage', requestId: m.requestId, failure }));
      });
  }

  private jobHost(client: Connection): JobHost {
    return {
      ledger: this.host.ledger,
      sendToNode: (nodeId, m) => this.host.sendTo(nodeId, m),
      sendToClient: (m) => client.send(encodeMessage(m)),
      nodeName: (nodeId) => this.host.nodeName(nodeId),
      needsModule: (nodeId, hash) => this.host.needsModule(nodeId, hash),
      log: (line) => this.host.log(line),
      volunteers: this.host.volunteers,
      holdObject: (id, bytes) => this.host.holdObject(id, bytes),
      dropObject: (id) => this.host.dropObject(id),
    };
  }

  private endJob(jobId: string): void {
    const e = this.jobs.get(jobId);
    if (!e || e.endedAt !== null) return;
    e.endedAt = Date.now();
    for (const [nodeId, ids] of e.job.storedObjects()) this.host.sendTo(nodeId, { type: 'ReleaseObjects', objectIds: ids });
    this.host.forgetModule(e.job.spec.moduleHash);
    this.host.log(`head: job ${jobId} ${e.job.state.toLowerCase()} in ${((e.endedAt - e.submittedAt) / 1000).toFixed(2)} s`);
    // Keep the last 100 ended jobs for the status API.
    const ended = [...this.jobs].filter(([, j]) => j.endedAt !== null);
    for (const [id] of ended.slice(0, Math.max(0, ended.length - 100))) {
      this.jobs.delete(id);
      this.host.jobDropped(id);
    }
  }

  pumpAll(): void {
    const now = Date.now();
    for (const [id, e] of this.jobs) {
      if (e.job.state === 'Running') e.job.pump(now);
      if (e.job.state !== 'Running') this.endJob(id);
    }
  }

  /** The jobs as `GET /api/status` shows them. */
  status(): JobStatusView[] {
    return [...this.jobs.values()].map(({ job }) => ({
      id: job.spec.jobId,
      name: job.spec.name,
      state: job.state,
      tasksDone: job.done,
      tasksTotal: job.total,
      message: job.message,
      nodes: job.statusMessage().nodes,
    }));
  }

  /** Closes every job's client connection (the head is stopping). */
  close(): void {
    for (const e of this.jobs.values()) e.client.close(1001, 'head stopping');
  }
}
