/**
 * The head: cluster membership (registration, heartbeats, failure detection) and the dispatch of
 * every connection's messages by role to the head's parts — the job registry (job-registry.ts),
 * the task service (runtime/scheduler/task-service.ts), the object relay (object-relay.ts) — over
 * the one resource ledger. It owns no sockets: the platform's server hands it each accepted
 * {@link Connection}; its HTTP routes are http-routes.ts.
 *
 * Every connection authenticates first (auth-gate.ts, docs/security.md): its role decides which
 * messages it may send; jobs and objects belong to the subject of the driver that made them.
 *
 * Failure detection: a node whose connection closes is lost at once; a node that sends nothing for
 * `heartbeatTimeoutMs` (default 5000 ms; nodes heartbeat every `heartbeatIntervalMs`, default
 * 1000 ms) is declared lost and disconnected. Its subtasks are rescheduled.
 */
import type { ConnectJetStream, Connection } from '../platform/platform.js';
import type { Message, MessageOf } from '../protocol/messages.js';
import { decodeFrame, encodeMessage, sendMessage } from '../protocol/codec.js';
import { memoryCheckpointStore, type CheckpointStore } from '../platform/checkpoint-store.js';
import { ResourceLedger } from '../scheduler/resource-ledger.js';
import type { Resources } from '../scheduler/resources.js';
import { TaskService } from '../scheduler/task-service.js';
import { WrtError, toFailure, type FailureRecord } from '../errors.js';
import { ObjectRelay } from './object-relay.js';
import { JobRegistry, type JobStatusView } from './job-registry.js';
import { ALLOWED, guardConnection, refuse, type GuardedConnection } from './auth-gate.js';
import { newClusterSecret, type Principal } from '../protocol/credentials.js';
import { checkSandbox } from '../sandbox/wasm-binary.js';
import { clusterCeilings, type NodeCeilings } from './ceilings.js';

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
  /** The cluster secret every credential derives from (runtime/protocol/credentials.ts). @default a fresh one (see {@link Head.clusterSecret}) */
  clusterSecret?: string;
  /** True when volunteer link `subject` has been revoked (checked at every volunteer's handshake). @default none revoked */
  volunteerRevoked?: (subject: string) => boolean;
  /** How long a new connection may take to authenticate, ms. @default 10000 */
  authTimeoutMs?: number;
  /** Connections authenticating at once; at the limit the oldest is dropped for a new one (a flood). @default 256 */
  maxUnauthenticated?: number;
  /** Open connections of every kind beyond which new ones are refused at once. @default 4096 */
  maxConnections?: number;
  /** Tasks one driver connection may have queued or running; more fail with `WRT_OVER_LIMIT`. @default 100000 */
  maxTasksPerDriver?: number;
  /** Objects (task results and puts) one driver connection may hold in the directory. @default 1000000 */
  maxObjectsPerDriver?: number;
  /** Bytes queued to a driver that does not read them, beyond which its connection is closed. @default 256 MiB */
  maxPendingBytesPerDriver?: number;
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
  /** Joined with a volunteer credential: untrusted, given no work. */
  volunteer: boolean;
  /** What the node runs at most (its RegisterNode). */
  ceilings: NodeCeilings;
}

/** JSON shape of `GET /api/status`. */
export interface ClusterStatus {
  nodes: {
    id: string;
    name: string;
    platform: string;
    /** `volunteer`: an untrusted worker (given no work yet); `node`: a trusted one. */
    role: 'node' | 'volunteer';
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
  jobs: JobStatusView[];
}

export class Head {
  private readonly nodes = new Map<string, NodeEntry>();
  private readonly jobs: JobRegistry;
  private readonly drivers = new Map<string, Connection>();
  /** Who each driver connection authenticated as. */
  private readonly driverPrincipals = new Map<string, Principal>();
  /** The cluster secret: the admin credential, and the key of every derived token. */
  readonly clusterSecret: string;
  /** True when volunteer link `subject` has been revoked. */
  readonly volunteerRevoked: (subject: string) => boolean;
  private nextDriver = 1;
  /** Connections in the handshake, and open connections of every kind (for the limits of {@link HeadOptions}). */
  private readonly authenticating = new Set<GuardedConnection>();
  private open = 0;
  readonly tasks: TaskService;
  /** Object pulls between nodes and drivers, relayed through the head. */
  private readonly relay: ObjectRelay;
  /** Every node's capacity and every grant on it: tasks, actors, batch subtasks, stream slots. */
  readonly ledger = new ResourceLedger();
  private readonly nodeListeners: ((n: ClusterStatus['nodes'][number]) => void)[] = [];
  private nextNode = 1;
  private readonly timer: ReturnType<typeof setInterval>;
  readonly heartbeatIntervalMs: number;
  readonly heartbeatTimeoutMs: number;
  private readonly log: (line: string) => void;

  constructor(private readonly options: HeadOptions = {}) {
    this.heartbeatIntervalMs = options.heartbeatIntervalMs ?? 1000;
    this.heartbeatTimeoutMs = options.heartbeatTimeoutMs ?? 5000;
    this.log = options.log ?? (() => {});
    this.clusterSecret = options.clusterSecret ?? newClusterSecret();
    this.volunteerRevoked = options.volunteerRevoked ?? (() => false);
    this.timer = setInterval(() => this.tick(), Math.min(500, this.heartbeatIntervalMs));
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
    });
    this.jobs = new JobRegistry(
      {
        ledger: this.ledger,
        sendTo: (id, m) => this.sendTo(id, m),
        nodeName: (nodeId) => this.nodes.get(nodeId)?.name ?? nodeId,
        needsModule: (nodeId, hash) => this.needsModule(nodeId, hash),
        ceilings: () => clusterCeilings(this.trustedNodes()),
        forgetModule: (hash) => {
          for (const n of this.nodes.values()) n.modules.delete(hash);
        },
        log: this.log,
      },
      {
        defaultMaxMemoryBytes: options.defaultMaxMemoryBytes,
        defaultDeadlineMs: options.defaultDeadlineMs,
        checkpoints: options.checkpoints ?? memoryCheckpointStore(),
        connectJetStream: options.connectJetStream,
      },
    );
    this.relay = new ObjectRelay({
      objects: this.tasks.objects,
      reachable: (id) => !!this.nodes.get(id)?.alive || this.drivers.has(id),
      sendTo: (id, m) => this.sendTo(id, m),
    });
  }

  /** Nodes that may hold work and objects (volunteers may not, yet). */
  private *trustedNodes(): Iterable<NodeEntry> {
    for (const n of this.nodes.values()) if (!n.volunteer) yield n;
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

  /**
   * Takes over an accepted connection (a node, a driver, a volunteer, a viewer, or a bad peer):
   * challenges it, and once it has authenticated, serves it by its role.
   */
  accept(conn: Connection): void {
    const maxPending = this.options.maxUnauthenticated ?? 256;
    const maxOpen = this.options.maxConnections ?? 4096;
    if (this.open >= maxOpen) {
      refuse(conn, new WrtError('WRT_UNAUTHENTICATED', `the head is busy (${maxOpen} connections are open); try again later`), 1013);
      return;
    }
    // A flood of connections that never authenticate must not lock out the ones that do: at the
    // limit the oldest still authenticating is dropped (an honest peer answers the challenge in
    // one round trip, so only stalled ones grow old), as a TCP listener drops its oldest half-open
    // connection under a SYN flood.
    if (this.authenticating.size >= maxPending) {
      const [oldest] = this.authenticating.values();
      oldest!.evict(
        new WrtError('WRT_UNAUTHENTICATED', `dropped: ${maxPending} connections were authenticating and this one was the oldest`),
        1013,
      );
    }
    this.open++;
    const guarded = guardConnection(conn, {
      secret: this.clusterSecret,
      revoked: this.volunteerRevoked,
      timeoutMs: this.options.authTimeoutMs ?? 10_000,
      log: this.log,
    });
    this.authenticating.add(guarded);
    void guarded.done.then((principal) => {
      this.authenticating.delete(guarded);
      if (principal) this.admit(conn, principal);
      else this.open--;
    });
  }

  private admit(conn: Connection, principal: Principal): void {
    const allowed = ALLOWED[principal.role];
    const worker = principal.role === 'node' || principal.role === 'volunteer';
    let nodeId = '';
    let driverId = '';
    if (!worker) {
      driverId = `d-${this.nextDriver++}`;
      this.drivers.set(driverId, conn);
      this.driverPrincipals.set(driverId, principal);
    }
    let closed = false;
    conn.onMessage = (frame) => {
      if (closed) return;
      let msgs: Message[];
      try {
        msgs = decodeFrame(frame);
      } catch (err) {
        this.log(`head: ${(err as Error).message} from ${conn.peer}; closing the connection`);
        closed = true;
        refuse(conn, err as WrtError);
        return;
      }
      this.tasks.batch(() => msgs.forEach(handleOne));
    };
    conn.onMessages = (msgs) => this.tasks.batch(() => msgs.forEach(handleOne));
    const handleOne = (msg: Message): void => {
      if (closed) return;
      if (!allowed.has(msg.type)) {
        closed = true;
        this.log(`head: ${principal.role} ${principal.subject} at ${conn.peer} sent ${msg.type}; closing the connection`);
        refuse(conn, new WrtError('WRT_FORBIDDEN', `a ${principal.role} connection may not send ${msg.type}`));
        return;
      }
      try {
        if (worker) {
          if (!nodeId) {
            if (msg.type !== 'RegisterNode')
              throw new WrtError('WRT_PROTOCOL', `a node's first message must be RegisterNode, not ${msg.type}`);
            nodeId = this.register(conn, msg, principal.role === 'volunteer');
          }
          this.fromNode(nodeId, msg);
        } else this.fromClient(driverId, principal, conn, msg);
      } catch (err) {
        const failure = toFailure(err, 'WRT_INVALID_ARGUMENT');
        this.log(`head: ${failure.code}: ${failure.message}`);
        conn.send(
          encodeMessage({ type: 'ErrorMessage', requestId: 'requestId' in msg ? (msg as { requestId: number }).requestId : 0, failure }),
        );
      }
    };
    conn.onClose = (reason) => {
      this.open--;
      if (nodeId) this.lose(nodeId, `connection closed: ${reason}`);
      else if (driverId) {
        this.drivers.delete(driverId);
        this.driverPrincipals.delete(driverId);
        this.relay.failPullsTo(driverId);
        this.tasks.driverGone(driverId);
        this.jobs.clientGone(conn);
      }
    };
  }

  /** True when driver `driverId` (authenticated as `p`) may read or release object `objectId`: its owner's subject, or an admin. */
  private mayTouchObject(driverId: string, p: Principal, objectId: string): boolean {
    const e = this.tasks.objects.get(objectId);
    if (!e || p.admin || e.owner === driverId) return true;
    return this.driverPrincipals.get(e.owner)?.subject === p.subject;
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
      storeUsedBytes: 0,
      spill: { spilledBytes: 0, restoredBytes: 0, onDiskBytes: 0 },
      joinedAt: now,
      gpuAdapter: m.gpuAdapter,
      volunteer,
      ceilings: { operatorMemoryBytes: m.maxOperatorMemoryBytes, deadlineMs: m.maxDeadlineMs },
    };
    this.nodes.set(id, entry);
    // Volunteers take no work until their jobs allow it (the volunteer issue, #19): the ledger
    // offers only trusted nodes' capacity.
    if (!volunteer) this.ledger.addNode(id, entry.total);
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
    const view = this.status().nodes.find((n) => n.id === id)!;
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

  /**
   * The failure of a driver's new task or put, or null when it may go ahead: its object id must be
   * new (another driver's would be taken over), and the driver under its limits.
   */
  private overDriverLimits(driver: string, m: MessageOf<'SubmitTask' | 'PutObject'>): FailureRecord | null {
    const id = m.type === 'SubmitTask' ? m.returnId : m.objectId;
    if (this.tasks.objects.get(id)) return { code: 'WRT_INVALID_ARGUMENT', message: `object id ${id} is already in use`, retryable: false };
    const maxObjects = this.options.maxObjectsPerDriver ?? 1_000_000;
    if (this.tasks.objects.countOwnedBy(driver) >= maxObjects) {
      return { code: 'WRT_OVER_LIMIT', message: `a driver may hold ${maxObjects} objects at once; release some first`, retryable: false };
    }
    const maxTasks = this.options.maxTasksPerDriver ?? 100_000;
    if (m.type === 'SubmitTask' && this.tasks.unfinishedTasksOf(driver) >= maxTasks) {
      return {
        code: 'WRT_OVER_LIMIT',
        message: `a driver may have ${maxTasks} tasks queued or running; wait for some first`,
        retryable: true,
      };
    }
    return null;
  }

  private fromClient(driver: string, principal: Principal, conn: Connection, msg: Message): void {
    // User code is refused before any node sees it when it breaks the sandbox's rules.
    if (msg.type === 'SubmitJob' || msg.type === 'RegisterModule') checkSandbox(msg.module);
    if (msg.type === 'SubmitTask' || msg.type === 'PutObject') {
      const failure = this.overDriverLimits(driver, msg);
      if (failure) {
        const objectId = msg.type === 'SubmitTask' ? msg.returnId : msg.objectId;
        sendMessage(conn, { type: 'ObjectReady', objectId, nodeId: '', sizeBytes: 0, data: new Uint8Array(0), inline: false, failure });
        return;
      }
    }
    switch (msg.type) {
      case 'SubmitJob':
        this.jobs.submit(conn, msg, principal);
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
        return this.tasks.release(msg.objectIds.filter((id) => this.mayTouchObject(driver, principal, id)));
      case 'CancelTask':
        return this.tasks.cancel(driver, msg);
      case 'ObjectPull':
        if (!this.mayTouchObject(driver, principal, msg.objectId)) {
          throw new WrtError('WRT_FORBIDDEN', `object ${msg.objectId} belongs to another driver`);
        }
        return this.relay.routePull(driver, msg);
      case 'ObjectChunk':
        // The driver serving its own large put to the node storing it.
        return this.relay.relayChunk(msg);
      case 'InputChunk':
        return this.jobs.inputChunk(conn, msg);
      case 'JobControl':
        return this.jobs.control(conn, msg, principal);
      default:
        throw new WrtError('WRT_PROTOCOL', `a client may not send ${msg.type}`);
    }
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
    this.nodes.delete(nodeId);
    this.relay.failPullsTo(nodeId);
    this.tasks.nodeLost(nodeId);
    this.jobs.pumpAll();
  }

  private tick(): void {
    const now = Date.now();
    for (const n of [...this.nodes.values()]) {
      if (n.alive && now - n.lastSeen > this.heartbeatTimeoutMs) this.lose(n.id, `no heartbeat for ${now - n.lastSeen} ms`);
    }
    this.jobs.pumpAll();
  }

  /** Slots (cpus) the trusted nodes offer, and how many their grants hold (queued grants count a fraction each). */
  slotUse(): { total: number; busy: number } {
    let total = 0;
    let busy = 0;
    for (const c of this.ledger.capacities()) {
      total += c.total.cpus ?? 0;
      busy += c.used.cpus ?? 0;
    }
    return { total, busy: Math.round(busy * 100) / 100 };
  }

  status(): ClusterStatus {
    return {
      nodes: [...this.nodes.values()].map((n) => ({
        id: n.id,
        name: n.name,
        platform: n.platform,
        role: n.volunteer ? ('volunteer' as const) : ('node' as const),
        cpus: n.cpus,
        gpus: n.total.gpus ?? 0,
        gpuAdapter: n.gpuAdapter,
        running: this.ledger.capacity(n.id)?.grants ?? 0,
        tasksFinished: n.tasksFinished,
        storeUsedBytes: n.storeUsedBytes,
        spill: n.spill,
        alive: n.alive,
      })),
      jobs: this.jobs.status(),
    };
  }

  /** Disconnects everyone and stops the failure detector. */
  close(): void {
    clearInterval(this.timer);
    for (const n of this.nodes.values()) n.conn.close(1001, 'head stopping');
    this.jobs.close();
  }
}
