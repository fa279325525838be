/**
 * The head: cluster membership (registration, heartbeats, failure detection) and the dispatch of
 * every connection's messages by role to the head's parts — the job registry (job-registry.ts),
 * the task service (runtime/scheduler/task-service.ts), the object relay (object-relay.ts) — over
 * the one resource ledger. It owns no sockets: the platform's server hands it each accepted
 * {@link Connection}; its HTTP routes are http-routes.ts.
 *
 * Every connection authenticates first (admission.ts, auth-gate.ts, docs/security.md): its role
 * decides which messages it may send; a driver's requests are checked against its limits and
 * against who owns the jobs and objects they name (driver-requests.ts).
 *
 * Failure detection: a node whose connection closes is lost at once; a node that sends nothing for
 * `heartbeatTimeoutMs` (default 5000 ms; nodes heartbeat every `heartbeatIntervalMs`, default
 * 1000 ms) is declared lost and disconnected (liveness.ts; a stall of the head's own loop does not
 * count). Its subtasks are rescheduled.
 */
import { signRoute } from '../protocol/route-ticket.js';
import type { Connection } from '../platform/platform.js';
import type { Message, MessageOf } from '../protocol/messages.js';
import { encodeMessage, sendMessage } from '../protocol/codec.js';
import { memoryCheckpointStore, type CheckpointStore } from '../platform/checkpoint-store.js';
import { ResourceLedger } from '../scheduler/resource-ledger.js';
import { TaskService } from '../scheduler/task-service.js';
import { WrtError, type FailureRecord } from '../errors.js';
import { failedChunk } from '../store/object-transfer.js';
import { ObjectRelay } from './object-relay.js';
import { JobRegistry, type JobDefaults } from './job-registry.js';
import { refuse } from './auth-gate.js';
import { newClusterSecret, type Principal } from '../protocol/credentials.js';
import { Admission, type AdmissionLimits } from './admission.js';
import { DriverRequests, type DriverLimits } from './driver-requests.js';
import { SubtaskFigureStore } from './subtask-figures.js';
import { clusterCeilings } from './ceilings.js';
import { nodeView, type ClusterStatus, type NodeEntry, type NodeView } from './node-view.js';
import { VolunteerPool } from '../scheduler/volunteer-pool.js';
import { Liveness } from './liveness.js';
import type { VolunteerPolicy } from '../scheduler/volunteer-trust.js';

export type { ClusterStatus, NodeView } from './node-view.js';

/** The head's options; those of jobs (defaults, checkpoints, JetStream) are {@link JobDefaults}'. */
export interface HeadOptions extends AdmissionLimits, DriverLimits, Omit<JobDefaults, 'checkpoints'> {
  /** @default 1000 */
  heartbeatIntervalMs?: number;
  /** @default 5000 */
  heartbeatTimeoutMs?: number;
  log?: (line: string) => void;
  /** Where stream jobs' checkpoints and savepoints go. @default the head's memory (the latest checkpoint per job, every savepoint) */
  checkpoints?: CheckpointStore;
  /** The cluster secret every credential derives from (runtime/protocol/credentials.ts). @default a fresh one (see {@link Head.clusterSecret}) */
  clusterSecret?: string;
  /** True when volunteer link `subject` has been revoked (checked at every volunteer's handshake). @default none revoked */
  volunteerRevoked?: (subject: string) => boolean;
  /** Bytes queued to a driver that does not read them, beyond which its connection is closed. @default 256 MiB */
  maxPendingBytesPerDriver?: number;
  /** Volunteers (volunteer-link credentials) may join. `wrt start --head` sets it only with `--volunteers`. @default true */
  admitVolunteers?: boolean;
  /** How volunteers' work is replicated and judged (docs/volunteers.md). @default DEFAULT_VOLUNTEER_POLICY */
  volunteerPolicy?: Partial<VolunteerPolicy>;
}

export class Head {
  private readonly nodes = new Map<string, NodeEntry>();
  /** Batch and stream jobs: the running ones and the last 100 ended. */
  readonly jobs: JobRegistry;
  /** What stream subtasks report with their nodes' heartbeats. */
  readonly figures = new SubtaskFigureStore();
  private readonly drivers = new Map<string, Connection>();
  /** Who each driver connection authenticated as. */
  private readonly driverPrincipals = new Map<string, Principal>();
  /** The cluster secret: the admin credential, and the key of every derived token. */
  readonly clusterSecret: string;
  /** True when volunteer link `subject` has been revoked. */
  readonly volunteerRevoked: (subject: string) => boolean;
  private nextDriver = 1;
  private readonly admission: Admission;
  private readonly driverRequests: DriverRequests;
  readonly tasks: TaskService;
  /** Object pulls between nodes and drivers, relayed through the head. */
  private readonly relay: ObjectRelay;
  /** Every trusted node's capacity and every grant on it: tasks, actors, batch subtasks, stream slots. */
  readonly ledger = new ResourceLedger();
  /** The volunteers: what they offer, the units they run, their trust records. */
  readonly volunteers: VolunteerPool;
  private readonly nodeListeners: ((n: NodeView) => void)[] = [];
  private nextNode = 1;
  private readonly timer: ReturnType<typeof setInterval>;
  private readonly liveness: Liveness;
  readonly heartbeatIntervalMs: number;
  readonly heartbeatTimeoutMs: number;
  private readonly log: (line: string) => void;

  constructor(private readonly options: HeadOptions = {}) {
    this.heartbeatIntervalMs = options.heartbeatIntervalMs ?? 1000;
    this.heartbeatTimeoutMs = options.heartbeatTimeoutMs ?? 5000;
    this.log = options.log ?? (() => {});
    this.clusterSecret = options.clusterSecret ?? newClusterSecret();
    this.volunteerRevoked = options.volunteerRevoked ?? (() => false);
    const checkMs = Math.min(500, this.heartbeatIntervalMs);
    this.liveness = new Liveness(checkMs, this.heartbeatTimeoutMs, Date.now());
    this.timer = setInterval(() => this.tick(), checkMs);
    this.volunteers = new VolunteerPool(
      {
        sendToNode: (nodeId, m) => this.sendTo(nodeId, m),
        log: this.log,
        quarantined: (nodeId) => this.jobs.volunteerQuarantined(nodeId),
      },
      options.volunteerPolicy,
    );
    this.tasks = new TaskService({
      nodes: () => this.trustedNodes(),
      ledger: this.ledger,
      sendToNode: (nodeId, m) => this.sendTo(nodeId, m),
      sendToDriver: (driverId, m) => {
        const conn = this.drivers.get(driverId);
        if (conn) sendMessage(conn, m);
      },
      needsModule: (nodeId, hash) => this.needsModule(nodeId, hash),
      log: this.log,
      volunteers: this.volunteers,
      signRoute: (claim) => signRoute(this.clusterSecret, claim),
    });
    this.jobs = new JobRegistry(
      {
        ledger: this.ledger,
        sendTo: (id, m) => this.sendTo(id, m),
        nodeName: (nodeId) => this.nodeName(nodeId),
        needsModule: (nodeId, hash) => this.needsModule(nodeId, hash),
        ceilings: () => clusterCeilings(this.trustedNodes()),
        volunteers: this.volunteers,
        holdObject: (id, bytes) => this.relay.hold(id, bytes),
        dropObject: (id) => this.relay.drop(id),
        jobDropped: (jobId) => this.figures.forget(jobId),
        forgetModule: (hash) => {
          for (const n of this.nodes.values()) n.modules.delete(hash);
        },
        log: this.log,
      },
      {
        defaultMaxMemoryBytes: options.defaultMaxMemoryBytes,
        defaultDeadlineMs: options.defaultDeadlineMs,
        checkpoints: options.checkpoints ?? memoryCheckpointStore(),
        checkpointTimeoutMs: options.checkpointTimeoutMs,
        connectJetStream: options.connectJetStream,
      },
    );
    this.relay = new ObjectRelay({
      objects: this.tasks.objects,
      // Volunteers hold no object anyone may read: pulls are never routed to them.
      reachable: (id) => {
        const n = this.nodes.get(id);
        return n ? n.alive && !n.volunteer : this.drivers.has(id);
      },
      sendTo: (id, m) => this.sendTo(id, m),
    });
    this.driverRequests = new DriverRequests(
      { tasks: this.tasks, jobs: this.jobs, relay: this.relay, principalOf: (id) => this.driverPrincipals.get(id) },
      options,
    );
    this.admission = new Admission(
      {
        secret: this.clusterSecret,
        revoked: this.volunteerRevoked,
        admitVolunteers: options.admitVolunteers ?? true,
        log: this.log,
        batch: (fn) => this.tasks.batch(fn),
        register: (conn, m, volunteer) => this.register(conn, m, volunteer),
        fromNode: (id, msg) => this.fromNode(id, msg),
        addDriver: (conn, principal) => {
          const id = `d-${this.nextDriver++}`;
          this.drivers.set(id, conn);
          this.driverPrincipals.set(id, principal);
          return id;
        },
        fromDriver: (id, principal, conn, msg) => this.driverRequests.handle(id, principal, conn, msg),
        nodeClosed: (id, reason) => this.lose(id, reason),
        driverClosed: (id, conn) => {
          this.drivers.delete(id);
          this.driverPrincipals.delete(id);
          this.relay.failPullsTo(id);
          this.tasks.driverGone(id);
          this.jobs.clientGone(conn);
        },
      },
      options,
    );
  }

  /** Nodes that may hold work and objects (volunteers may not, yet). */
  private *trustedNodes(): Iterable<NodeEntry> {
    for (const n of this.nodes.values()) if (!n.volunteer) yield n;
  }

  /** The name node `nodeId` registered with (its id once it has gone). */
  nodeName(nodeId: string): string {
    return this.nodes.get(nodeId)?.name ?? nodeId;
  }

  private needsModule(nodeId: string, hash: string): boolean {
    const n = this.nodes.get(nodeId);
    if (!n || n.modules.has(hash)) return false;
    n.modules.add(hash);
    return true;
  }

  /** Called once for every node that registers. */
  onNodeRegistered(listener: (n: NodeView) => void): void {
    this.nodeListeners.push(listener);
  }

  /**
   * Takes over an accepted connection (a node, a driver, a volunteer, a viewer, or a bad peer):
   * challenges it, and once it has authenticated, serves it by its role (admission.ts).
   */
  accept(conn: Connection): void {
    this.admission.accept(conn);
  }

  private register(conn: Connection, m: MessageOf<'RegisterNode'>, volunteer: boolean): string {
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
      tasksFailed: 0,
      gpuKernels: 0,
      directCalls: 0,
      directAddress: volunteer || m.platform !== 'node' ? '' : (m.directAddress ?? ''),
      bytesPulled: 0,
      storeUsedBytes: 0,
      spill: { spilledBytes: 0, restoredBytes: 0, onDiskBytes: 0 },
      joinedAt: now,
      gpuAdapter: m.gpuAdapter,
      volunteer,
      ceilings: { operatorMemoryBytes: m.maxOperatorMemoryBytes, deadlineMs: m.maxDeadlineMs },
    };
    this.nodes.set(id, entry);
    // The ledger offers only trusted nodes' capacity: volunteers get work only from jobs that
    // allow them, through the volunteer pool.
    if (volunteer) this.volunteers.join(id, entry.name, entry.cpus);
    else this.ledger.addNode(id, entry.total);
    conn.send(
      encodeMessage({
        type: 'RegisterAck',
        nodeId: id,
        heartbeatIntervalMs: this.heartbeatIntervalMs,
        heartbeatTimeoutMs: this.heartbeatTimeoutMs,
      }),
    );
    this.log(
      `head: ${volunteer ? 'volunteer' : 'node'} ${id} "${entry.name}" (${m.platform}, ${entry.cpus} slots, ${m.gpus ? `GPU: ${m.gpuAdapter}` : 'no GPU'}) joined`,
    );
    const view = this.viewOf(entry);
    for (const l of this.nodeListeners) l(view);
    this.jobs.pumpAll();
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
        node.tasksFailed = msg.tasksFailed;
        node.gpuKernels = msg.gpuKernels;
        node.directCalls = msg.directCalls ?? 0;
        node.bytesPulled = msg.bytesPulled;
        if (node.volunteer) this.volunteers.offer(id, msg.offeredCpus ?? -1);
        this.figures.report(id, msg.subtasks, node.lastSeen);
        node.spill = { spilledBytes: msg.storeSpilledBytes, restoredBytes: msg.storeRestoredBytes, onDiskBytes: msg.storeOnDiskBytes };
        return;
      case 'TaskStatus': {
        if (!msg.jobId) {
          this.tasks.taskStatus(id, msg);
          return;
        }
        this.jobs.taskStatus(id, msg);
        return;
      }
      case 'JobOutput':
        return this.jobs.output(msg);
      case 'CheckpointAck':
        return this.jobs.checkpointAck(msg);
      case 'ReportWatermarks':
        return this.jobs.reportWatermarks(id, msg);
      case 'StreamData':
      case 'StreamCredit':
        // Between slots on different nodes (browser nodes accept no connections).
        if (this.nodes.get(msg.nodeId)?.alive) this.sendTo(msg.nodeId, msg);
        return;
      case 'ObjectPull':
        // A node resolving a task's ObjectRef argument does not know where it lives (nodeId ''):
        // the object directory does. A volunteer reads only the arguments of the tasks it runs.
        if (node.volunteer) return this.volunteerPull(id, msg);
        return this.relay.routePull(id, msg);
      case 'ObjectChunk':
        this.relay.relayChunk(id, msg);
        return;
      case 'ActorState':
        this.tasks.actorDied(id, msg);
        return;
      default:
        throw new WrtError('WRT_PROTOCOL', `a node may not send ${msg.type}`);
    }
  }

  private volunteerPull(id: string, msg: MessageOf<'ObjectPull'>): void {
    if (this.tasks.volunteerMayRead(id, msg.objectId)) return this.relay.routePull(id, { ...msg, nodeId: '' });
    this.log(`head: volunteer ${id} asked for object ${msg.objectId}, which no task it runs reads; refused`);
    const failure: FailureRecord = {
      code: 'WRT_FORBIDDEN',
      message: `object ${msg.objectId} is no argument of a task this volunteer runs`,
      retryable: false,
    };
    this.sendTo(id, failedChunk({ ...msg, requester: id }, failure));
  }

  /**
   * Sends to a live node, or to a driver (ids `d-N`). A driver that leaves more than
   * `maxPendingBytesPerDriver` unread is disconnected (its tasks and objects go with it).
   */
  private sendTo(id: string, m: Message): void {
    const n = this.nodes.get(id);
    if (n?.alive) return sendMessage(n.conn, m);
    const conn = this.drivers.get(id);
    if (!conn) return;
    const max = this.options.maxPendingBytesPerDriver ?? 256 * 2 ** 20;
    if (conn.bufferedAmount > max) {
      this.log(`head: driver ${id} at ${conn.peer} leaves over ${max} bytes unread; closing its connection`);
      this.drivers.delete(id);
      refuse(conn, new WrtError('WRT_OVER_LIMIT', `over ${max} bytes queued to this driver and not read`));
      return;
    }
    sendMessage(conn, m);
  }

  private lose(nodeId: string, reason: string): void {
    const n = this.nodes.get(nodeId);
    if (!n || !n.alive) return;
    n.alive = false;
    if (!n.volunteer) this.ledger.removeNode(nodeId);
    this.log(`head: node ${nodeId} "${n.name}" lost (${reason})`);
    n.conn.close(1001, 'declared lost');
    this.jobs.nodeLost(nodeId);
    if (n.volunteer) this.volunteers.leave(nodeId);
    this.nodes.delete(nodeId);
    this.relay.failPullsTo(nodeId);
    this.tasks.nodeLost(nodeId);
    this.jobs.pumpAll();
  }

  private tick(): void {
    const now = Date.now();
    for (const [n, silentMs] of this.liveness.silent(this.nodes.values(), now)) this.lose(n.id, `no heartbeat for ${silentMs} ms`);
    this.jobs.pumpAll();
    this.tasks.expireVolunteerWork(now);
  }

  /** Slots (cpus) the trusted nodes offer, and how many their grants hold (resource-ledger.ts). */
  slotUse(): { total: number; busy: number } {
    return this.ledger.slotUse();
  }

  /** Every node as the API shows it (node-view.ts). */
  nodeViews(): NodeView[] {
    return [...this.nodes.values()].map((n) => this.viewOf(n));
  }

  status(): ClusterStatus {
    return { nodes: this.nodeViews(), jobs: this.jobs.status() };
  }

  private viewOf(n: NodeEntry): NodeView {
    return nodeView(n, this.ledger.capacity(n.id)?.grants ?? 0, this.tasks.callsSent(n.id), this.volunteers.record(n.id));
  }

  /** Disconnects everyone and stops the failure detector. */
  close(): void {
    clearInterval(this.timer);
    for (const n of this.nodes.values()) n.conn.close(1001, 'head stopping');
    this.jobs.close();
  }
}
