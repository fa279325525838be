/**
 * The head: cluster membership (registration, heartbeats, failure detection) and the dispatch of
 * every connection's messages by role to the head's parts — the job registry (job-registry.ts),
 * the task service (runtime/scheduler/task-service.ts), the object relay (object-relay.ts) — over
 * the one resource ledger. It owns no sockets: the platform's server hands it each accepted
 * {@link Connection}; its HTTP routes are http-routes.ts.
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
import { WrtError, toFailure } from '../errors.js';
import { ObjectRelay } from './object-relay.js';
import { JobRegistry, type JobStatusView } from './job-registry.js';

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
  jobs: JobStatusView[];
}

export class Head {
  private readonly nodes = new Map<string, NodeEntry>();
  private readonly jobs: JobRegistry;
  private readonly drivers = new Map<string, Connection>();
  private nextDriver = 1;
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
    this.jobs = new JobRegistry(
      {
        ledger: this.ledger,
        sendTo: (id, m) => this.sendTo(id, m),
        nodeName: (nodeId) => this.nodes.get(nodeId)?.name ?? nodeId,
        needsModule: (nodeId, hash) => this.needsModule(nodeId, hash),
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
        this.relay.failPullsTo(role.id);
        this.tasks.driverGone(role.id);
        this.jobs.clientGone(conn);
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

  private fromClient(driver: string, conn: Connection, msg: Message): void {
    switch (msg.type) {
      case 'SubmitJob':
        this.jobs.submit(conn, msg);
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
      case 'InputChunk':
        return this.jobs.inputChunk(conn, msg);
      case 'JobControl':
        return this.jobs.control(conn, msg);
      default:
        throw new WrtError('WRT_PROTOCOL', `a client may not send ${msg.type}`);
    }
  }

  /** Sends to a live node, or to a driver (ids `d-N`). */
  private sendTo(id: string, m: Message): void {
    const n = this.nodes.get(id);
    const conn = n?.alive ? n.conn : this.drivers.get(id);
    if (conn) sendMessage(conn, m);
  }

  private lose(nodeId: string, reason: string): void {
    const n = this.nodes.get(nodeId);
    if (!n || !n.alive) return;
    n.alive = false;
    this.ledger.removeNode(nodeId);
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

  status(): ClusterStatus {
    return {
      nodes: [...this.nodes.values()].map((n) => ({
        id: n.id,
        name: n.name,
        platform: n.platform,
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
