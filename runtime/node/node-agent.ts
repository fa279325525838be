/**
 * The node agent (the role of Ray's raylet and Flink's TaskManager): joins a head, registers its
 * slots, GPU and resources, heartbeats, and dispatches what the head sends to the node's roles —
 * the task runner (batch subtasks, remote-function tasks: task-runner.ts), GPU tasks
 * (gpu-task-runner.ts), actor hosting (actor-hosting.ts), stream slots (stream-slots.ts) and the
 * local object manager (pulls, serving, puts: local-object-manager.ts) — over one module cache
 * (module-cache.ts). The same code runs in a Node process and a browser tab.
 */
import type { Connection, Platform } from '../platform/platform.js';
import type { Message, MessageOf } from '../protocol/messages.js';
import { decodeFrame, sendMessage } from '../protocol/codec.js';
import { ObjectStore } from '../store/object-store.js';
import { SlotPool } from './slot-pool.js';
import { WrtError } from '../errors.js';
import type { GpuContext } from '../../gpu/context.js';
import { NodeGpu } from './node-gpu.js';
import { DeviceObjects } from './device-objects.js';
import { serveGpuRequest } from './gpu-tasks.js';
import type { GpuRequestHandler } from './gpu-bridge.js';
import { GPU_TASK_PREFIX } from './gpu-kernel-contract.js';
import { StreamSlots } from './stream-slots.js';
import { ModuleCache } from './module-cache.js';
import { LocalObjectManager, type LocalObjects } from './local-object-manager.js';
import { TaskRunner } from './task-runner.js';
import { GpuTaskRunner } from './gpu-task-runner.js';
import { ActorHosting } from './actor-hosting.js';
import type { NodeAgentEvent, NodeContext, NodeCounters } from './node-context.js';

export { INLINE_RESULT_BYTES, type NodeAgentEvent } from './node-context.js';
export type { LocalObjects } from './local-object-manager.js';

export interface NodeAgentOptions {
  /** ws:// URL of the head's WebSocket endpoint. */
  address: string;
  /** Slots (worker threads). @default the platform's hardware concurrency */
  cpus?: number;
  name?: string;
  /** Largest object-store arena in bytes. @default 1 GiB (Node), 256 MiB (browser) */
  storeBytes?: number;
  /**
   * Where a full arena spills objects (Node; created on the first spill, removed at stop).
   * @default the platform's default (Node: `$TMPDIR/wrt-spill-<name>-<pid>`)
   */
  spillDir?: string;
  /** Largest operator output in bytes (`--max-output-mb`). @default 64 MiB */
  outputCapBytes?: number;
  /**
   * The node's ceilings (docs/security.md), stated to the head at registration and enforced here:
   * operator linear memory, bytes (`--max-operator-memory-mb`, default 4 GiB, all a wasm32 memory
   * can address) and call deadline, ms (`--max-deadline-ms`, default 600000). A deployment asking
   * for more runs at the ceiling.
   */
  maxOperatorMemoryBytes?: number;
  maxDeadlineMs?: number;
  /** Bytes one `wrt:runtime/gpu` call may move in and out (`--max-gpu-mb-per-call`). @default 1 GiB */
  maxGpuBytesPerCall?: number;
  /** Custom resources offered, by name. */
  resources?: Record<string, number>;
  /** Emit a `deployed` event for every deployment (a volunteer tab's page counts them); off on the hot path otherwise. @default false */
  reportDeployments?: boolean;
  /** Most bytes of GPU task results kept on the device as objects (runtime/node/device-objects.ts). @default 1 GiB */
  gpuObjectBytes?: number;
  /**
   * Offer the platform's WebGPU adapter as `gpus: 1` when there is one. `false` offers none.
   * @default true
   */
  gpu?: boolean;
  /**
   * Where drivers reach this node's direct-call listener (a ws:// URL, ADR 0009), told to the head
   * when the node registers; the listener itself is the launcher's (runtime/launch/node/direct-listener.ts).
   * @default '' (none: every actor call comes through the head)
   */
  directAddress?: string;
}

export class NodeAgent {
  nodeId = '';
  /** What this node runs at most (see {@link NodeAgentOptions}). */
  readonly ceilings: { operatorMemoryBytes: number; deadlineMs: number; gpuBytesPerCall: number };
  private conn: Connection | null = null;
  private readonly store: ObjectStore;
  private readonly slots: SlotPool;
  /** Slots of stream jobs: each a thread of its own, outside the pool. */
  private readonly streams: StreamSlots;
  private readonly objects: LocalObjectManager;
  private readonly tasks: TaskRunner;
  private readonly gpuTasks: GpuTaskRunner;
  private readonly actors: ActorHosting;
  private readonly counters: NodeCounters = { running: 0, tasksFinished: 0, tasksFailed: 0, gpuKernels: 0, directCalls: 0 };
  private heartbeat: ReturnType<typeof setInterval> | null = null;
  /** Slots offered to the head now: -1 all, 0 paused (see {@link offer}). */
  private offeredCpus = -1;
  private readonly listeners: ((e: NodeAgentEvent) => void)[] = [];
  readonly cpus: number;
  readonly name: string;
  /** The node's WebGPU device over its life (node-gpu.ts): opened at start, re-acquired after a loss. */
  readonly gpus: NodeGpu;

  constructor(
    private readonly platform: Platform,
    private readonly options: NodeAgentOptions,
  ) {
    this.cpus = Math.max(1, options.cpus ?? platform.hardwareConcurrency());
    this.ceilings = {
      operatorMemoryBytes: options.maxOperatorMemoryBytes ?? 4 * 2 ** 30,
      deadlineMs: options.maxDeadlineMs ?? 600_000,
      gpuBytesPerCall: options.maxGpuBytesPerCall ?? 2 ** 30,
    };
    this.name = options.name ?? platform.defaultNodeName();
    const outputCapBytes = options.outputCapBytes ?? 64 * 2 ** 20;
    this.store = new ObjectStore({
      maxBytes: options.storeBytes ?? (platform.kind === 'node' ? 2 ** 30 : 256 * 2 ** 20),
      spill: platform.spillStorage(this.name, options.spillDir),
    });
    this.gpus = new NodeGpu(platform, (line) => platform.log(line));
    const deviceObjects = new DeviceObjects(options.gpuObjectBytes ?? 2 ** 30);
    this.gpus.onLost((reason) => deviceObjects.clear(reason));
    this.serveGpu.maxBytesPerCall = this.ceilings.gpuBytesPerCall;
    this.slots = new SlotPool(platform, this.store.memory, this.cpus, this.serveGpu);
    const modules = new ModuleCache();
    const nodeId = (): string => this.nodeId;
    const send = (m: Message): void => this.send(m);
    this.objects = new LocalObjectManager(this.store, nodeId, send, deviceObjects);
    const ctx: NodeContext = {
      platform,
      store: this.store,
      slots: this.slots,
      modules,
      objects: this.objects,
      outputCapBytes,
      counters: this.counters,
      nodeId,
      send,
      emit: (e) => this.emit(e),
    };
    this.tasks = new TaskRunner(ctx);
    this.gpuTasks = new GpuTaskRunner(ctx, this.tasks, this.gpus, this.name);
    this.actors = new ActorHosting(ctx, this.tasks, this.serveGpu);
    this.streams = new StreamSlots(platform, this.store.memory, {
      nodeId,
      send,
      module: (hash, bytes, maxMemoryBytes) => modules.compile(hash, bytes, maxMemoryBytes),
      outputCapBytes,
      log: (line) => platform.log(line),
      warmThreads: this.cpus,
    });
  }

  /** Calls finished since the node started (tasks, subtasks, actor calls, GPU tasks). */
  get tasksFinished(): number {
    return this.counters.tasksFinished;
  }

  on(listener: (e: NodeAgentEvent) => void): void {
    this.listeners.push(listener);
  }

  private emit(e: NodeAgentEvent): void {
    for (const l of this.listeners) l(e);
  }

  /** Runs slots' `wrt:runtime/gpu` requests on this node's device (gpu-bridge.ts). */
  private readonly serveGpu: GpuRequestHandler = (request) => serveGpuRequest(() => this.gpus.device(), request);

  /** GPU task results kept on the device (runtime/node/device-objects.ts). */
  get deviceObjects(): DeviceObjects {
    return this.objects.device;
  }

  /** The WebGPU device now, when the node has one (null while a lost one is re-acquired). */
  get gpu(): GpuContext | null {
    return this.gpus.current;
  }

  /** What the node found: the adapter, or why it offers no GPU. */
  get gpuAdapter(): string {
    return this.gpus.adapter;
  }

  /** Connects and registers; resolves with the node id the head assigned. */
  async start(): Promise<string> {
    await this.gpus.open(this.options.gpu !== false);
    const conn = await this.platform.connect(this.options.address);
    this.conn = conn;
    const registered = new Promise<string>((resolve, reject) => {
      const receive = (msgs: Message[]): void => {
        for (const msg of msgs) {
          if (msg.type === 'RegisterAck') {
            this.nodeId = msg.nodeId;
            this.startHeartbeat(msg.heartbeatIntervalMs);
            resolve(msg.nodeId);
            this.emit({ type: 'registered', nodeId: msg.nodeId });
          } else this.handle(msg);
        }
      };
      conn.onMessages = receive;
      conn.onMessage = (frame) => {
        let msgs: Message[];
        try {
          msgs = decodeFrame(frame);
        } catch (err) {
          this.platform.log(`wrt node: ${(err as Error).message}; closing the connection`);
          conn.close(1002, 'protocol error');
          return;
        }
        receive(msgs);
      };
      conn.onClose = (reason) => {
        reject(new WrtError('WRT_CONNECTION', `head closed the connection: ${reason}`));
        this.stopHeartbeat();
        this.objects.failAll(new WrtError('WRT_CONNECTION', 'lost the head'));
        this.emit({ type: 'disconnected', reason });
      };
    });
    this.send({
      type: 'RegisterNode',
      name: this.name,
      platform: this.platform.kind,
      cpus: this.cpus,
      gpus: this.gpu ? 1 : 0,
      memoryBytes: this.platform.totalMemoryBytes(),
      storeBytes: this.store.maxBytes,
      resources: this.options.resources ?? {},
      gpuAdapter: this.gpuAdapter,
      maxOperatorMemoryBytes: this.ceilings.operatorMemoryBytes,
      maxDeadlineMs: this.ceilings.deadlineMs,
      maxGpuBytesPerCall: this.ceilings.gpuBytesPerCall,
      directAddress: this.options.directAddress ?? '',
    });
    return registered;
  }

  /**
   * Runs an actor call a driver made directly (ADR 0009; the caller checked the driver's route):
   * its `TaskStatus`, the result inline, goes to `reply`. `hosts` says whether the actor lives here.
   */
  readonly direct = {
    call: (m: MessageOf<'ActorCall'>, reply: (s: MessageOf<'TaskStatus'>) => void): void => this.actors.directCall(m, reply),
    hosts: (actorId: string): boolean => this.actors.hosts(actorId),
  };

  /** This node's objects, for a driver in the same process. */
  localObjects(): LocalObjects {
    return this.objects.localObjects();
  }

  /** Leaves the cluster and stops every slot thread. */
  async stop(): Promise<void> {
    this.stopHeartbeat();
    this.conn?.close(1000, 'node stopping');
    this.actors.killAll();
    this.streams.stopAll();
    await this.slots.close();
    this.store.close();
    this.objects.device.clear();
    this.gpus.close();
  }

  /**
   * Offers the head `cpus` of this node's slots from now on: -1 all of them, 0 none (paused: units
   * running now finish, no new ones come). A volunteer tab's pause button and CPU share control,
   * low battery and compute pressure call it; the head hears of it at once.
   */
  offer(cpus: number): void {
    const next = cpus < 0 ? -1 : Math.min(this.cpus, Math.floor(cpus));
    if (next === this.offeredCpus) return;
    this.offeredCpus = next;
    if (this.heartbeat) this.sendHeartbeat();
  }

  private startHeartbeat(intervalMs: number): void {
    this.sendHeartbeat();
    this.heartbeat = setInterval(() => this.sendHeartbeat(), intervalMs);
  }

  private sendHeartbeat(): void {
    this.send({
      type: 'Heartbeat',
      runningTasks: this.counters.running + this.streams.running,
      storeUsedBytes: this.store.usedBytes,
      tasksFinished: this.counters.tasksFinished,
      tasksFailed: this.counters.tasksFailed,
      gpuKernels: this.counters.gpuKernels,
      directCalls: this.counters.directCalls,
      bytesPulled: this.objects.bytesPulled,
      subtasks: this.streams.metrics().flatMap(({ jobId, subtasks }) =>
        subtasks.map((s) => ({
          jobId,
          vertex: s.vertexId,
          index: s.index,
          recordsIn: s.recordsIn,
          recordsOut: s.recordsOut,
          backPressuredMs: s.backPressuredMs,
          outputWatermark: s.outputWatermark,
        })),
      ),
      storeSpilledBytes: this.store.stats.spilledBytes,
      storeRestoredBytes: this.store.stats.restoredBytes,
      storeOnDiskBytes: this.store.stats.onDiskBytes,
      offeredCpus: this.offeredCpus,
    });
  }

  private stopHeartbeat(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
  }

  private send(m: Message): void {
    if (this.conn) sendMessage(this.conn, m);
  }

  private handle(msg: Message): void {
    // The node's ceilings hold whatever a deployment asks (the head refuses jobs over them).
    // (A copy: over an in-memory connection the message is the head's own object.)
    if (msg.type === 'DeployTask' || msg.type === 'DeployStreamSlot') {
      const c = this.ceilings;
      msg = { ...msg, maxMemoryBytes: Math.min(msg.maxMemoryBytes || c.operatorMemoryBytes, c.operatorMemoryBytes) };
      if (msg.type === 'DeployTask' || msg.type === 'DeployStreamSlot')
        msg.deadlineMs = Math.min(msg.deadlineMs || c.deadlineMs, c.deadlineMs);
    }
    if (this.options.reportDeployments) {
      if (msg.type === 'DeployTask')
        this.emit({ type: 'deployed', jobId: msg.jobId, taskId: msg.taskId, kind: msg.kind, operator: msg.operator });
      else if (msg.type === 'DeployStreamSlot')
        this.emit({ type: 'deployed', jobId: msg.jobId, taskId: `slot-${msg.slot}`, kind: 'StreamSlot', operator: '' });
    }
    switch (msg.type) {
      case 'DeployTask':
        if (msg.kind === 'Operator') void this.tasks.runOperator(msg);
        else if (msg.kind === 'Task' && msg.operator.startsWith(GPU_TASK_PREFIX)) void this.gpuTasks.run(msg);
        else if (msg.kind === 'Task') void this.tasks.runRemoteTask(msg);
        else this.actors.handle(msg);
        break;
      case 'PutObject':
        this.objects.storePut(msg);
        break;
      case 'CancelTask':
        this.tasks.cancel(msg.objectId);
        break;
      case 'ObjectPull':
        this.objects.servePull(msg);
        break;
      case 'ObjectChunk':
        this.objects.receiveChunk(msg);
        break;
      case 'ReleaseObjects':
        for (const id of msg.objectIds) this.objects.release(id);
        break;
      case 'CancelJob':
        this.tasks.cancelJobCalls(msg.jobId, msg.reason);
        this.streams.handle(msg);
        break;
      case 'DeployStreamSlot':
      case 'StreamData':
      case 'StreamCredit':
      case 'TriggerCheckpoint':
      case 'AlignWatermarks':
        this.streams.handle(msg);
        break;
      case 'TrustReport': {
        const { valid, invalid, streak, trusted, quarantined, unitsDone } = msg;
        this.emit({ type: 'trust', report: { valid, invalid, streak, trusted, quarantined, unitsDone } });
        break;
      }
      case 'ErrorMessage':
        this.platform.log(`wrt node: head reports ${msg.failure.code}: ${msg.failure.message}`);
        break;
      default:
        this.platform.log(`wrt node: ignoring unexpected ${msg.type}`);
    }
  }
}
