/**
 * The head: cluster membership (registration, heartbeats, failure detection), the job registry,
 * the relay of objects between nodes (browser nodes accept no connections, so object pulls go
 * through here), and the status shown by the REST API. It owns no sockets: the platform's server
 * hands it each accepted {@link Connection}.
 *
 * Failure detection: a node whose connection closes is lost at once; a node that sends nothing for
 * `heartbeatTimeoutMs` (default 5000 ms; nodes heartbeat every `heartbeatIntervalMs`, default
 * 1000 ms) is declared lost and disconnected. Its subtasks are rescheduled.
 */
import type { ConnectJetStream, Connection } from '../platform/platform.js';
import type { Message, MessageOf } from '../protocol/messages.js';
import { decodeFrame, encodeMessage, sendMessage } from '../protocol/codec.js';
import { planBatchJob } from '../protocol/job-graph-codec.js';
import { BatchJob, type JobHost } from '../scheduler/batch-job.js';
import { StreamJob, parseExecutionId } from '../scheduler/stream-job.js';
import { memoryCheckpointStore, type CheckpointStore } from '../platform/checkpoint-store.js';
import { ResourceLedger } from '../scheduler/resource-ledger.js';
import type { Resources } from '../scheduler/resources.js';
import { TaskService } from '../scheduler/task-service.js';
import { WrtError, toFailure } from '../errors.js';
import { ObjectRelay } from './object-relay.js';

export interface HeadOptions {
  /** @default 1000 */
  heartbeatIntervalMs?: number;
  /** @default 5000 */
  heartbeatTimeoutMs?: number;
  /** Operator linear-memory cap when neither graph nor submission sets one, bytes. @default 256 MiB */
  defaultMaxMemoryBytes?: number;
  /** Operator call deadline when neither graph nor submission sets one, ms. @default 60000 */
  defaultDeadlineMs?: number;
  log?: (line: string) => void;
  /** Where stream jobs' checkpoints and savepoints go. @default the head's memory (the latest checkpoint per job, every savepoint) */
  checkpoints?: CheckpointStore;
  /** NATS JetStream, for publishing the committed output of stream jobs' `nats` sinks. @default none: such jobs are refused */
  connectJetStream?: ConnectJetStream;
}

interface NodeEntry {
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
  storeUsedBytes: number;
  spill: { spilledBytes: number; restoredBytes: number; onDiskBytes: number };
  joinedAt: number;
  gpuAdapter: string;
}

interface JobEntry {
  job: BatchJob | StreamJob;
  client: Connection;
  submittedAt: number;
  endedAt: number | null;
}

/** JSON shape of `GET /api/status`. */
export interface ClusterStatus {
  nodes: {
    id: string;
    name: string;
    platform: string;
    cpus: number;
    /** GPUs offered (1 when the node has a WebGPU adapter). */
    gpus: number;
    /** The adapter, or why the node has none. */
    gpuAdapter: string;
    /** Grants the node holds in the resource ledger: queued and running tasks, actors, batch subtasks, stream slots. */
    running: number;
    tasksFinished: number;
    /** Object-store arena bytes in use. */
    storeUsedBytes: number;
    /** Spilling: bytes written to and read back from disk since the node started, and on disk now. */
    spill: { spilledBytes: number; restoredBytes: number; onDiskBytes: number };
    alive: boolean;
  }[];
  jobs: { id: string; name: string; state: string; tasksDone: number; tasksTotal: number; message: string; nodes: string[] }[];
}

export class Head {
  private readonly nodes = new Map<string, NodeEntry>();
  private readonly jobs = new Map<string, JobEntry>();
  private readonly drivers = new Map<string, Connection>();
  private nextDriver = 1;
  readonly tasks: TaskService;
  /** Object pulls between nodes and drivers, relayed through the head. */
  private readonly relay: ObjectRelay;
  /** Every node's capacity and every grant on it: tasks, actors, batch subtasks, stream slots. */
  readonly ledger = new ResourceLedger();
  private readonly nodeListeners: ((n: ClusterStatus['nodes'][number]) => void)[] = [];
  private nextNode = 1;
  private nextJob = 1;
  private readonly timer: ReturnType<typeof setInterval>;
  readonly heartbeatIntervalMs: number;
  readonly heartbeatTimeoutMs: number;
  private readonly log: (line: string) => void;
  private readonly checkpoints: CheckpointStore;
  /** Client connections that have closed (a job accepted after its client left would run for no one). */
  private readonly closedClients = new WeakSet<Connection>();

  constructor(private readonly options: HeadOptions = {}) {
    this.checkpoints = options.checkpoints ?? memoryCheckpointStore();
    this.heartbeatIntervalMs = options.heartbeatIntervalMs ?? 1000;
    this.heartbeatTimeoutMs = options.heartbeatTimeoutMs ?? 5000;
    this.log = options.log ?? (() => {});
    this.timer = setInterval(() => this.tick(), Math.min(500, this.heartbeatIntervalMs));
    this.tasks = new TaskService({
      nodes: () => this.nodes.values(),
      ledger: this.ledger,
      sendToNode: (nodeId, m) => this.sendTo(nodeId, m),
      sendToDriver: (driverId, m) => {
        const conn = this.drivers.get(driverId);
        if (conn) sendMessage(conn, m);
      },
      needsModule: (nodeId, hash) => this.needsModule(nodeId, hash),
      log: this.log,
    });
    this.relay = new ObjectRelay({
      objects: this.tasks.objects,
      reachable: (id) => !!this.nodes.get(id)?.alive || this.drivers.has(id),
      sendTo: (id, m) => this.sendTo(id, m),
    });
  }

  private needsModule(nodeId: string, hash: string): boolean {
    const n = this.nodes.get(nodeId);
    if (!n || n.modules.has(hash)) return false;
    n.modules.add(hash);
    return true;
  }

  /** Called once for every node that registers. */
  onNodeRegistered(listener: (n: ClusterStatus['nodes'][number]) => void): void {
    this.nodeListeners.push(listener);
  }

  /** Takes over an accepted connection (a node, a client, or a bad peer). */
  accept(conn: Connection): void {
    let role: { kind: 'unknown' } | { kind: 'node'; id: string } | { kind: 'client'; id: string } = { kind: 'unknown' };
    conn.onMessage = (frame) => {
      let msgs: Message[];
      try {
        msgs = decodeFrame(frame);
      } catch (err) {
        this.log(`head: ${(err as Error).message} from ${conn.peer}; closing the connection`);
        conn.send(encodeMessage({ type: 'ErrorMessage', requestId: 0, failure: toFailure(err, 'WRT_PROTOCOL') }));
        conn.close(1002, 'protocol error');
        return;
      }
      this.tasks.batch(() => msgs.forEach(handleOne));
    };
    conn.onMessages = (msgs) => this.tasks.batch(() => msgs.forEach(handleOne));
    const handleOne = (msg: Message): void => {
      try {
        if (role.kind === 'unknown') {
          if (msg.type === 'RegisterNode') role = { kind: 'node', id: this.register(conn, msg) };
          else {
            role = { kind: 'client', id: `d-${this.nextDriver++}` };
            this.drivers.set(role.id, conn);
          }
        }
        if (role.kind === 'node') this.fromNode(role.id, msg);
        else this.fromClient(role.id, conn, msg);
      } catch (err) {
        const failure = toFailure(err, 'WRT_INVALID_ARGUMENT');
        this.log(`head: ${failure.code}: ${failure.message}`);
        conn.send(
          encodeMessage({ type: 'ErrorMessage', requestId: 'requestId' in msg ? (msg as { requestId: number }).requestId : 0, failure }),
        );
      }
    };
    conn.onClose = (reason) => {
      if (role.kind === 'node') this.lose(role.id, `connection closed: ${reason}`);
      else if (role.kind === 'client') {
        this.drivers.delete(role.id);
        this.closedClients.add(conn);
        this.relay.failPullsTo(role.id);
        this.tasks.driverGone(role.id);
        for (const [id, e] of this.jobs) {
          if (e.client === conn && e.job.state === 'Running') {
            e.job.cancel('the submitting client disconnected');
            this.endJob(id);
          }
        }
      }
    };
  }

  private register(conn: Connection, m: MessageOf<'RegisterNode'>): string {
    const id = `n-${this.nextNode++}`;
    const now = Date.now();
    const entry: NodeEntry = {
      id,
      name: m.name || id,
      platform: m.platform,
      cpus: Math.max(1, m.cpus),
      total: { ...m.resources, cpus: Math.max(1, m.cpus), gpus: m.gpus, memoryBytes: m.memoryBytes },
      alive: true,
      conn,
      lastSeen: now,
      modules: new Set(),
      tasksFinished: 0,
      storeUsedBytes: 0,
      spill: { spilledBytes: 0, restoredBytes: 0, onDiskBytes: 0 },
      joinedAt: now,
      gpuAdapter: m.gpuAdapter,
    };
    this.nodes.set(id, entry);
    this.ledger.addNode(id, entry.total);
    conn.send(
      encodeMessage({
        type: 'RegisterAck',
        nodeId: id,
        heartbeatIntervalMs: this.heartbeatIntervalMs,
        heartbeatTimeoutMs: this.heartbeatTimeoutMs,
      }),
    );
    this.log(`head: node ${id} "${entry.name}" (${m.platform}, ${entry.cpus} slots, ${m.gpus ? `GPU: ${m.gpuAdapter}` : 'no GPU'}) joined`);
    const view = this.status().nodes.find((n) => n.id === id)!;
    for (const l of this.nodeListeners) l(view);
    this.pumpAll();
    this.tasks.retryActors();
    return id;
  }

  private fromNode(id: string, msg: Message): void {
    const node = this.nodes.get(id);
    if (!node || !node.alive) return;
    node.lastSeen = Date.now();
    switch (msg.type) {
      case 'RegisterNode':
        return;
      case 'Heartbeat':
        node.storeUsedBytes = msg.storeUsedBytes;
        node.tasksFinished = msg.tasksFinished;
        node.spill = { spilledBytes: msg.storeSpilledBytes, restoredBytes: msg.storeRestoredBytes, onDiskBytes: msg.storeOnDiskBytes };
        return;
      case 'TaskStatus': {
        if (!msg.jobId) {
          this.tasks.taskStatus(id, msg);
          return;
        }
        const e = this.jobs.get(parseExecutionId(msg.jobId)[0]);
        if (!e) {
          if (msg.state !== 'Running') this.ledger.release(`batch:${msg.taskId}`);
          if (msg.outputs.length) this.sendTo(id, { type: 'ReleaseObjects', objectIds: msg.outputs.map((o) => o.objectId) });
          return;
        }
        e.job.onTaskStatus(id, msg, Date.now());
        if (e.job.state !== 'Running') this.endJob(e.job.spec.jobId);
        this.pumpAll();
        return;
      }
      case 'JobOutput': {
        const e = this.jobs.get(parseExecutionId(msg.jobId)[0]);
        if (e?.job instanceof StreamJob) e.job.onOutput(msg, Date.now());
        return;
      }
      case 'CheckpointAck': {
        const e = this.jobs.get(parseExecutionId(msg.jobId)[0]);
        if (e?.job instanceof StreamJob) e.job.onCheckpointAck(msg);
        return;
      }
      case 'StreamData':
      case 'StreamCredit':
        // Between slots on different nodes (browser nodes accept no connections).
        if (this.nodes.get(msg.nodeId)?.alive) this.sendTo(msg.nodeId, msg);
        return;
      case 'ObjectPull':
        // A node resolving a task's ObjectRef argument does not know where it lives (nodeId ''):
        // the object directory does.
        return this.relay.routePull(id, msg);
      case 'ObjectChunk':
        return this.relay.relayChunk(msg);
      case 'ObjectReady':
        // A pulled put is stored (or could not be).
        return this.tasks.putStored(id, msg);
      case 'ActorState':
        this.tasks.actorDied(id, msg);
        return;
      default:
        throw new WrtError('WRT_PROTOCOL', `a node may not send ${msg.type}`);
    }
  }

  private fromClient(driver: string, conn: Connection, msg: Message): void {
    switch (msg.type) {
      case 'SubmitJob':
        this.submit(conn, msg);
        return;
      case 'RegisterModule':
        return this.tasks.registerModule(msg);
      case 'SubmitTask':
        return this.tasks.submitTask(driver, msg);
      case 'CreateActor':
        return this.tasks.createActor(driver, msg);
      case 'ActorCall':
        return this.tasks.actorCall(driver, msg);
      case 'LookupActor':
        return this.tasks.lookupActor(driver, msg);
      case 'PutObject':
        return this.tasks.put(driver, msg);
      case 'ReleaseObjects':
        return this.tasks.release(msg.objectIds);
      case 'CancelTask':
        return this.tasks.cancel(driver, msg);
      case 'ObjectPull':
        return this.relay.routePull(driver, msg);
      case 'ObjectChunk':
        // The driver serving its own large put to the node storing it.
        return this.relay.relayChunk(msg);
      case 'InputChunk': {
        const e = this.jobs.get(msg.jobId);
        if (e && e.client === conn && e.job instanceof BatchJob) e.job.onInputChunk(msg.index, msg.data);
        return;
      }
      case 'JobControl':
        return this.control(conn, msg);
      default:
        throw new WrtError('WRT_PROTOCOL', `a client may not send ${msg.type}`);
    }
  }

  /**
   * `wrt savepoint` / `wrt cancel` / `wrt stop` from any client: answered with JobControlDone,
   * or an ErrorMessage with the request's id.
   * @throws WrtError `WRT_INVALID_ARGUMENT` for a job that is unknown, not running, or a batch job asked for a savepoint.
   */
  private control(conn: Connection, m: MessageOf<'JobControl'>): void {
    const e = this.jobs.get(m.jobId);
    if (!e) {
      const running = [...this.jobs.values()].filter((j) => j.job.state === 'Running').map((j) => j.job.spec.jobId);
      throw new WrtError('WRT_INVALID_ARGUMENT', `no job ${m.jobId} on this head (running: ${running.join(', ') || 'none'})`);
    }
    if (e.job.state !== 'Running')
      throw new WrtError('WRT_INVALID_ARGUMENT', `job ${m.jobId} is ${e.job.state.toLowerCase()}, not running`);
    const reply = (savepointPath: string): void =>
      conn.send(encodeMessage({ type: 'JobControlDone', requestId: m.requestId, jobId: m.jobId, savepointPath }));
    if (m.action === 'Cancel') {
      this.log(`head: job ${m.jobId} cancelled by a client`);
      e.job.cancel(`job ${m.jobId} was cancelled (wrt cancel)`);
      this.endJob(m.jobId);
      reply('');
      return;
    }
    const job = e.job;
    if (!(job instanceof StreamJob))
      throw new WrtError('WRT_INVALID_ARGUMENT', `job ${m.jobId} is a batch job; only stream jobs take savepoints`);
    this.log(`head: job ${m.jobId}: ${m.action === 'Stop' ? 'stop with a savepoint' : 'savepoint'} asked for`);
    job.requestSavepoint({
      dir: m.savepointDir,
      stop: m.action === 'Stop',
      done: (failure, path) => {
        if (failure) conn.send(encodeMessage({ type: 'ErrorMessage', requestId: m.requestId, failure }));
        else reply(path);
        if (job.state !== 'Running') this.endJob(m.jobId);
      },
    });
    job.pump(Date.now());
  }

  private submit(conn: Connection, m: MessageOf<'SubmitJob'>): void {
    if (m.graph.streaming) return this.submitStream(conn, m);
    const plan = planBatchJob(m.graph);
    if (m.inputChunks === 0) throw new WrtError('WRT_INVALID_ARGUMENT', 'the job has no input');
    const jobId = `j-${this.nextJob++}`;
    const mem = (v: number): number => v || m.operatorMaxMemoryBytes || this.options.defaultMaxMemoryBytes || 256 * 2 ** 20;
    const deadline = (v: number): number => v || m.operatorDeadlineMs || this.options.defaultDeadlineMs || 60_000;
    const job = new BatchJob(this.jobHost(conn), {
      jobId,
      name: m.name || m.graph.name,
      module: m.module.slice(),
      moduleHash: `${jobId}-module`,
      plan,
      inputChunks: m.inputChunks,
      maxMemoryBytes: { map: mem(plan.map.maxMemoryBytes), reduce: mem(plan.reduce.maxMemoryBytes) },
      deadlineMs: { map: deadline(plan.map.deadlineMs), reduce: deadline(plan.reduce.deadlineMs) },
    });
    this.jobs.set(jobId, { job, client: conn, submittedAt: Date.now(), endedAt: null });
    conn.send(encodeMessage({ type: 'JobAccepted', requestId: m.requestId, jobId }));
    this.log(`head: job ${jobId} "${job.spec.name}" accepted: ${m.inputChunks} input chunks, ${job.partitions} partitions`);
    job.pump(Date.now());
  }

  /**
   * A stream job: planned here (bad graphs and missing arguments are refused at once), then deployed
   * whole; from a savepoint when `restorePath` names one (a savepoint that cannot be read or does
   * not fit the job is refused with `WRT_BAD_CHECKPOINT`).
   */
  private submitStream(conn: Connection, m: MessageOf<'SubmitJob'>): void {
    const jobId = `j-${this.nextJob++}`;
    let slots = 0;
    for (const n of this.nodes.values()) if (n.alive) slots += n.cpus;
    const job = new StreamJob(this.jobHost(conn), {
      jobId,
      name: m.name || m.graph.name,
      module: m.module.slice(),
      moduleHash: `${jobId}-module`,
      graph: m.graph,
      args: m.args,
      parallelism: m.parallelism || Math.max(1, slots),
      maxMemoryBytes: m.operatorMaxMemoryBytes || this.options.defaultMaxMemoryBytes || 256 * 2 ** 20,
      checkpointIntervalMs: m.checkpointIntervalMs ?? 0,
      checkpoints: this.checkpoints,
      connectJetStream: this.options.connectJetStream,
    });
    const accept = (): void => {
      if (this.closedClients.has(conn)) return;
      this.jobs.set(jobId, { job, client: conn, submittedAt: Date.now(), endedAt: null });
      conn.send(encodeMessage({ type: 'JobAccepted', requestId: m.requestId, jobId }));
      const from = job.latest ? ` from savepoint ${job.latest.path}` : '';
      this.log(`head: stream job ${jobId} "${job.spec.name}" accepted${from}: ${job.total} subtasks, ${job.slots} slot(s)`);
      job.pump(Date.now());
    };
    if (!m.restorePath) return accept();
    this.checkpoints
      .read(m.restorePath)
      .then((cp) => {
        job.restoreFrom(cp);
        accept();
      })
      .catch((err: unknown) => {
        const failure = toFailure(err, 'WRT_BAD_CHECKPOINT');
        this.log(`head: ${failure.code}: ${failure.message}`);
        conn.send(encodeMessage({ type: 'ErrorMessage', requestId: m.requestId, failure }));
      });
  }

  private jobHost(client: Connection): JobHost {
    return {
      ledger: this.ledger,
      sendToNode: (nodeId, m) => this.sendTo(nodeId, m),
      sendToClient: (m) => client.send(encodeMessage(m)),
      nodeName: (nodeId) => this.nodes.get(nodeId)?.name ?? nodeId,
      needsModule: (nodeId, hash) => this.needsModule(nodeId, hash),
      log: this.log,
    };
  }

  /** Sends to a live node, or to a driver (ids `d-N`). */
  private sendTo(id: string, m: Message): void {
    const n = this.nodes.get(id);
    const conn = n?.alive ? n.conn : this.drivers.get(id);
    if (conn) sendMessage(conn, m);
  }

  private endJob(jobId: string): void {
    const e = this.jobs.get(jobId);
    if (!e || e.endedAt !== null) return;
    e.endedAt = Date.now();
    for (const [nodeId, ids] of e.job.storedObjects()) this.sendTo(nodeId, { type: 'ReleaseObjects', objectIds: ids });
    for (const n of this.nodes.values()) n.modules.delete(e.job.spec.moduleHash);
    this.log(`head: job ${jobId} ${e.job.state.toLowerCase()} in ${((e.endedAt - e.submittedAt) / 1000).toFixed(2)} s`);
    // Keep the last 100 ended jobs for the status API.
    const ended = [...this.jobs].filter(([, j]) => j.endedAt !== null);
    for (const [id] of ended.slice(0, Math.max(0, ended.length - 100))) this.jobs.delete(id);
  }

  private lose(nodeId: string, reason: string): void {
    const n = this.nodes.get(nodeId);
    if (!n || !n.alive) return;
    n.alive = false;
    this.ledger.removeNode(nodeId);
    this.log(`head: node ${nodeId} "${n.name}" lost (${reason})`);
    n.conn.close(1001, 'declared lost');
    const now = Date.now();
    for (const [id, e] of this.jobs) {
      if (e.job.state !== 'Running') continue;
      e.job.onNodeLost(nodeId, now);
      if (e.job.state !== 'Running') this.endJob(id);
    }
    this.nodes.delete(nodeId);
    this.relay.failPullsTo(nodeId);
    this.tasks.nodeLost(nodeId);
    this.pumpAll();
  }

  private pumpAll(): void {
    const now = Date.now();
    for (const [id, e] of this.jobs) {
      if (e.job.state === 'Running') e.job.pump(now);
      if (e.job.state !== 'Running') this.endJob(id);
    }
  }

  private tick(): void {
    const now = Date.now();
    for (const n of [...this.nodes.values()]) {
      if (n.alive && now - n.lastSeen > this.heartbeatTimeoutMs) this.lose(n.id, `no heartbeat for ${now - n.lastSeen} ms`);
    }
    this.pumpAll();
  }

  status(): ClusterStatus {
    return {
      nodes: [...this.nodes.values()].map((n) => ({
        id: n.id,
        name: n.name,
        platform: n.platform,
        cpus: n.cpus,
        gpus: n.total.gpus ?? 0,
        gpuAdapter: n.gpuAdapter,
        running: this.ledger.count(n.id),
        tasksFinished: n.tasksFinished,
        storeUsedBytes: n.storeUsedBytes,
        spill: n.spill,
        alive: n.alive,
      })),
      jobs: [...this.jobs.values()].map(({ job }) => ({
        id: job.spec.jobId,
        name: job.spec.name,
        state: job.state,
        tasksDone: job.done,
        tasksTotal: job.total,
        message: job.message,
        nodes: job.statusMessage().nodes,
      })),
    };
  }

  /** Disconnects everyone and stops the failure detector. */
  close(): void {
    clearInterval(this.timer);
    for (const n of this.nodes.values()) n.conn.close(1001, 'head stopping');
    for (const e of this.jobs.values()) e.client.close(1001, 'head stopping');
  }
}
