/**
 * The node agent (the role of Ray's raylet and Flink's TaskManager): joins a head, offers its
 * slots, runs deployed subtasks in them, keeps their outputs in its object store and serves
 * objects to other nodes through the head. The same code runs in a Node process and a browser tab.
 */
import type { Connection, Platform } from '../platform/platform.js';
import type { Message, MessageOf, ObjectLocation } from '../protocol/messages.js';
import { decodeFrame, sendMessage } from '../protocol/codec.js';
import { ObjectStore } from '../store/object-store.js';
import { SlotPool, type CallControl, type OperatorCall } from './slot-pool.js';
import { ActorHost } from './actor-host.js';
import type { ArenaRange } from './slot-messages.js';
import { capMemory, WASM_PAGE_BYTES } from '../sandbox/wasm-binary.js';
import { splitPartitioned } from './partitioned-batch.js';
import { WrtError, toFailure } from '../errors.js';
import { GpuContext, describeAdapter } from '../../gpu/context.js';
import { runGpuKernel, serveGpuRequest } from './gpu-tasks.js';
import type { GpuRequestHandler } from './gpu-bridge.js';
import { InboundPull, failedChunk, serveRange } from '../store/object-transfer.js';
import { GPU_TASK_PREFIX, gpuKernelOf, gpuOutputBytes, parseGpuParams } from './gpu-kernel-contract.js';
import { StreamSlots } from './stream-slots.js';

/** Task results up to this many bytes travel back inline instead of staying in the store (Ray: 100 KiB). */
export const INLINE_RESULT_BYTES = 100 * 1024;

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
  /** Largest operator output in bytes. @default 64 MiB */
  outputCapBytes?: number;
  /** Custom resources offered, by name. */
  resources?: Record<string, number>;
  /**
   * Offer the platform's WebGPU adapter as `gpus: 1` when there is one. `false` offers none.
   * @default true
   */
  gpu?: boolean;
}

/**
 * What a driver in this node's process (the SDK's embedded cluster) uses to put and get objects in
 * the node's arena directly, instead of moving their bytes through protocol messages.
 */
export interface LocalObjects {
  /** The node's id (a put's `source`). */
  readonly nodeId: string;
  /**
   * Copies `bytes` into the arena as object `id`, holding one reference (dropped by the head's
   * `ReleaseObjects`, as for a task's output).
   * @throws WrtError `WRT_OBJECT_STORE_FULL` when neither growing nor spilling makes room
   */
  put(id: string, bytes: Uint8Array): void;
  /**
   * A view of object `id` in the arena, kept there (a reference and a pin: never spilled, never
   * freed) until `done()`; null when this node does not hold it.
   */
  hold(id: string): { view: Uint8Array; done: () => void } | null;
}

export type NodeAgentEvent =
  | { type: 'registered'; nodeId: string }
  | { type: 'task-finished'; taskId: string; operator: string; elapsedMs: number }
  | { type: 'task-failed'; taskId: string; message: string }
  | { type: 'disconnected'; reason: string };

export class NodeAgent {
  nodeId = '';
  tasksFinished = 0;
  private conn: Connection | null = null;
  private readonly store: ObjectStore;
  private readonly slots: SlotPool;
  /** Slots of stream jobs: each a thread of its own, outside the pool. */
  private readonly streams: StreamSlots;
  private readonly moduleBytes = new Map<string, Uint8Array>();
  private readonly compiled = new Map<string, Promise<WebAssembly.Module>>();
  /** The same modules once compiled, for calls that can be prepared without waiting. */
  private readonly compiledNow = new Map<string, WebAssembly.Module>();
  /** Pulls in progress, by request id. */
  private readonly pulls = new Map<number, InboundPull>();
  /** The same pulls by object id: a second user of an object on its way waits for the first pull. */
  private readonly inbound = new Map<string, Promise<void>>();
  private nextPullId = 1;
  private running = 0;
  private heartbeat: ReturnType<typeof setInterval> | null = null;
  private readonly listeners: ((e: NodeAgentEvent) => void)[] = [];
  private readonly actors = new Map<string, ActorHost>();
  /** Running tasks by return id, to cancel them. */
  private readonly cancellers = new Map<string, CallControl>();
  /** Tasks cancelled before they reached a slot. */
  private readonly cancelledEarly = new Set<string>();
  /** Operator calls of batch subtasks running now, by job (a cancelled job's are stopped). */
  private readonly jobCalls = new Map<string, Set<CallControl>>();
  readonly cpus: number;
  readonly name: string;
  private readonly outputCapBytes: number;
  /** The WebGPU device behind `gpus`, when the node has one. */
  gpu: GpuContext | null = null;
  /** What the node found: the adapter, or why it offers no GPU. */
  gpuAdapter = '';
  /** WGSL sources returned by modules' exports, by `module/export`. */
  private readonly wgsl = new Map<string, Promise<string>>();

  constructor(
    private readonly platform: Platform,
    private readonly options: NodeAgentOptions,
  ) {
    this.cpus = Math.max(1, options.cpus ?? platform.hardwareConcurrency());
    this.name = options.name ?? platform.defaultNodeName();
    this.outputCapBytes = options.outputCapBytes ?? 64 * 2 ** 20;
    this.store = new ObjectStore({
      maxBytes: options.storeBytes ?? (platform.kind === 'node' ? 2 ** 30 : 256 * 2 ** 20),
      spill: platform.spillStorage(this.name, options.spillDir),
    });
    this.slots = new SlotPool(platform, this.store.memory, this.cpus, this.serveGpu);
    this.streams = new StreamSlots(platform, this.store.memory, {
      nodeId: () => this.nodeId,
      send: (m) => this.send(m),
      module: (hash, bytes, maxMemoryBytes) => this.compile(hash, bytes, maxMemoryBytes),
      outputCapBytes: this.outputCapBytes,
      log: (line) => platform.log(line),
    });
  }

  on(listener: (e: NodeAgentEvent) => void): void {
    this.listeners.push(listener);
  }

  private emit(e: NodeAgentEvent): void {
    for (const l of this.listeners) l(e);
  }

  /** Runs slots' `wrt:runtime/gpu` requests on this node's device (gpu-bridge.ts). */
  private readonly serveGpu: GpuRequestHandler = (request) => serveGpuRequest(this.gpu, this.gpuAdapter, request);

  /** Looks for a WebGPU adapter (unless disabled) and opens a device on it. */
  private async openGpu(): Promise<void> {
    if (this.options.gpu === false) {
      this.gpuAdapter = 'disabled (--no-gpu)';
      return;
    }
    const found = await this.platform.gpu();
    if (!found.gpu) {
      this.gpuAdapter = found.reason;
      return;
    }
    try {
      this.gpu = await GpuContext.create(found.gpu);
      this.gpuAdapter = describeAdapter(this.gpu.adapter);
    } catch (err) {
      this.gpuAdapter = (err as Error).message;
    }
  }

  /** Connects and registers; resolves with the node id the head assigned. */
  async start(): Promise<string> {
    await this.openGpu();
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
        for (const p of this.pulls.values()) p.fail(new WrtError('WRT_CONNECTION', 'lost the head'));
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
    });
    return registered;
  }

  /** This node's objects, for a driver in the same process. */
  localObjects(): LocalObjects {
    const store = this.store;
    const nodeId = (): string => this.nodeId;
    return {
      get nodeId() {
        return nodeId();
      },
      put: (id, bytes) => store.put(id, bytes),
      hold: (id) => {
        if (!store.has(id)) return null;
        const range = store.pin(id);
        store.retain(id);
        let held = true;
        return {
          view: new Uint8Array(store.memory.buffer, range.offset, range.length),
          done: () => {
            if (!held) return;
            held = false;
            store.unpin(id);
            store.release(id);
          },
        };
      },
    };
  }

  /** Leaves the cluster and stops every slot thread. */
  async stop(): Promise<void> {
    this.stopHeartbeat();
    this.conn?.close(1000, 'node stopping');
    for (const a of this.actors.values()) a.kill();
    this.streams.stopAll();
    await this.slots.close();
    this.store.close();
    this.gpu?.destroy();
    this.gpu = null;
  }

  private startHeartbeat(intervalMs: number): void {
    this.heartbeat = setInterval(() => {
      this.send({
        type: 'Heartbeat',
        runningTasks: this.running + this.streams.running,
        storeUsedBytes: this.store.usedBytes,
        tasksFinished: this.tasksFinished,
        storeSpilledBytes: this.store.stats.spilledBytes,
        storeRestoredBytes: this.store.stats.restoredBytes,
        storeOnDiskBytes: this.store.stats.onDiskBytes,
      });
    }, intervalMs);
  }

  private stopHeartbeat(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
  }

  private send(m: Message): void {
    if (this.conn) sendMessage(this.conn, m);
  }

  private handle(msg: Message): void {
    switch (msg.type) {
      case 'DeployTask':
        if (msg.kind === 'Operator') void this.runTask(msg);
        else if (msg.kind === 'Task' && msg.operator.startsWith(GPU_TASK_PREFIX)) void this.runGpuTask(msg);
        else if (msg.kind === 'Task') void this.runRemoteTask(msg);
        else this.actorMessage(msg);
        break;
      case 'PutObject':
        if (msg.source) void this.storePut(msg);
        else if (!this.store.has(msg.objectId)) this.store.put(msg.objectId, msg.data);
        break;
      case 'CancelTask': {
        const ctl = this.cancellers.get(msg.objectId);
        if (ctl) ctl.cancel(new WrtError('WRT_TASK_CANCELLED', `task of ${msg.objectId} was cancelled while running`));
        else this.cancelledEarly.add(msg.objectId);
        break;
      }
      case 'ObjectPull':
        this.servePull(msg);
        break;
      case 'ObjectChunk':
        this.receiveChunk(msg);
        break;
      case 'ReleaseObjects':
        for (const id of msg.objectIds) this.store.release(id);
        break;
      case 'CancelJob':
        this.cancelJobCalls(msg.jobId, msg.reason);
        this.streams.handle(msg);
        break;
      case 'DeployStreamSlot':
      case 'StreamData':
      case 'StreamCredit':
      case 'TriggerCheckpoint':
        this.streams.handle(msg);
        break;
      case 'ErrorMessage':
        this.platform.log(`wrt node: head reports ${msg.failure.code}: ${msg.failure.message}`);
        break;
      default:
        this.platform.log(`wrt node: ignoring unexpected ${msg.type}`);
    }
  }

  /**
   * The compiled module of a deployment, capped at its memory limit. The bytes travel with the
   * first deployment of a module to this node and are kept for later ones.
   */
  private module(d: MessageOf<'DeployTask'>): Promise<WebAssembly.Module> {
    return this.compile(d.moduleHash, d.module, d.maxMemoryBytes);
  }

  /** Module `hash` (its bytes given the first time, else empty) compiled with its memory capped. */
  private compile(hash: string, module: Uint8Array, maxMemoryBytes: number): Promise<WebAssembly.Module> {
    if (module.byteLength > 0 && !this.moduleBytes.has(hash)) this.moduleBytes.set(hash, module.slice());
    const key = compiledKey(hash, maxMemoryBytes);
    let m = this.compiled.get(key);
    if (!m) {
      const bytes = this.moduleBytes.get(hash);
      if (!bytes) return Promise.reject(new WrtError('WRT_MISSING_EXPORT', `module ${hash} was never sent to this node`));
      m = WebAssembly.compile(capMemory(bytes, Math.floor(maxMemoryBytes / WASM_PAGE_BYTES)) as Uint8Array<ArrayBuffer>);
      m.then(
        (compiled) => this.compiledNow.set(key, compiled),
        () => {},
      );
      this.compiled.set(key, m);
    }
    return m;
  }

  /** Stops the running batch subtasks of job `jobId` (the head cancelled it or it failed). */
  private cancelJobCalls(jobId: string, reason: string): void {
    const calls = this.jobCalls.get(jobId);
    if (!calls) return;
    this.jobCalls.delete(jobId);
    this.platform.log(`wrt node: stopping ${calls.size} running subtask(s) of job ${jobId}: ${reason}`);
    for (const ctl of calls) ctl.cancel(new WrtError('WRT_TASK_CANCELLED', `job ${jobId} ended while this subtask ran: ${reason}`));
  }

  private async runTask(d: MessageOf<'DeployTask'>): Promise<void> {
    this.running++;
    const temporary: string[] = [];
    let inputBytes = 0;
    try {
      const module = await this.module(d);
      const ranges = [];
      if (d.inlineInput) {
        const id = `${d.taskId}/inline`;
        this.store.put(id, d.inlineInput);
        ranges.push(this.hold(id, temporary));
        inputBytes += d.inlineInput.byteLength;
      }
      for (const input of d.inputs) {
        await this.acquire(input.objectId, input.nodeId);
        ranges.push(this.hold(input.objectId, temporary));
        inputBytes += input.sizeBytes;
      }
      const started = performance.now();
      let control: CallControl | null = null;
      const output = await this.slots
        .call(this.callSpec(d, module, ranges), (ctl) => {
          control = ctl;
          const calls = this.jobCalls.get(d.jobId) ?? new Set<CallControl>();
          this.jobCalls.set(d.jobId, calls.add(ctl));
        })
        .finally(() => {
          const calls = this.jobCalls.get(d.jobId);
          if (control) calls?.delete(control);
          if (calls?.size === 0) this.jobCalls.delete(d.jobId);
        });
      const outputs: ObjectLocation[] = [];
      if (d.output === 'store') {
        splitPartitioned(output, d.partitions, d.operator).forEach((part, i) => {
          const id = `${d.taskId}/p${i}`;
          this.store.put(id, part);
          outputs.push({ objectId: id, nodeId: this.nodeId, sizeBytes: part.byteLength });
        });
      }
      this.tasksFinished++;
      this.send({ ...this.noReturn(d), state: 'Finished', outputs, data: d.output === 'head' ? output : null, failure: null, inputBytes });
      this.emit({ type: 'task-finished', taskId: d.taskId, operator: d.operator, elapsedMs: performance.now() - started });
    } catch (err) {
      const failure = toFailure(err, 'WRT_OPERATOR_ERROR');
      this.send({ ...this.noReturn(d), state: 'Failed', outputs: [], data: null, failure, inputBytes });
      this.emit({ type: 'task-failed', taskId: d.taskId, message: failure.message });
    } finally {
      this.releaseHeld(temporary);
      this.running--;
    }
  }

  /**
   * Pins object `id` (one reference already the caller's) so its range stays valid until the call
   * that reads it is over, and adds it to `held`; if it cannot be pinned, the reference is dropped.
   */
  private hold(id: string, held: string[]): ArenaRange {
    try {
      const range = this.store.pin(id);
      held.push(id);
      return range;
    } catch (err) {
      this.store.release(id);
      throw err;
    }
  }

  /** Unpins and releases what {@link hold} collected. */
  private releaseHeld(held: string[]): void {
    for (const id of held) {
      this.store.unpin(id);
      this.store.release(id);
    }
  }

  private noReturn(d: MessageOf<'DeployTask'>) {
    return { type: 'TaskStatus' as const, jobId: d.jobId, taskId: d.taskId, returnId: '', returnBytes: 0, returnInline: false };
  }

  /**
   * Resolves a task's arguments to pinned arena ranges: inline bytes are stored, objects of this
   * node are retained, remote objects pulled. `temporary` collects the ids for {@link releaseHeld}.
   */
  /**
   * The slot call of task or actor call `d`: at once when its module is compiled and its
   * arguments are all inline (the usual call: no promises on the way), else once the module is
   * compiled and the object arguments are here. Objects it stores or holds go into `temporary`.
   * @throws WrtError `WRT_OBJECT_STORE_FULL` (at once) when an inline argument does not fit
   */
  private prepareCall(d: MessageOf<'DeployTask'>, temporary: string[]): OperatorCall | Promise<OperatorCall> {
    const compiled = this.compiledNow.get(compiledKey(d.moduleHash, d.maxMemoryBytes));
    if (compiled && d.args.every((a) => !a.objectId)) return this.callSpec(d, compiled, this.storeInlineArgs(d, temporary));
    return this.module(d).then(async (module) => this.callSpec(d, module, await this.resolveArgs(d, temporary)));
  }

  /** {@link resolveArgs} for a call whose arguments are all inline. */
  private storeInlineArgs(d: MessageOf<'DeployTask'>, temporary: string[]): ArenaRange[] {
    return d.args.map((a, i) => {
      const id = `${d.taskId}/arg${i}`;
      this.store.put(id, a.data ?? new Uint8Array(0));
      return this.hold(id, temporary);
    });
  }

  private async resolveArgs(d: MessageOf<'DeployTask'>, temporary: string[]): Promise<ArenaRange[]> {
    const ranges: ArenaRange[] = [];
    for (const [i, a] of d.args.entries()) {
      let id = a.objectId;
      if (!id) {
        id = `${d.taskId}/arg${i}`;
        this.store.put(id, a.data ?? new Uint8Array(0));
      } else await this.acquire(id, '');
      ranges.push(this.hold(id, temporary));
    }
    return ranges;
  }

  /** Reports a task or actor-call result: inline when small, else kept in the store. */
  private finishWithResult(d: MessageOf<'DeployTask'>, output: Uint8Array, inputBytes: number): void {
    const inline = d.returnId !== '' && output.byteLength <= INLINE_RESULT_BYTES;
    const stored = d.returnId !== '' && !inline;
    if (stored) this.store.put(d.returnId, output);
    // One literal (no spreads): this runs once per call.
    this.send({
      type: 'TaskStatus',
      jobId: d.jobId,
      taskId: d.taskId,
      returnId: d.returnId,
      returnBytes: output.byteLength,
      failure: null,
      inputBytes,
      state: 'Finished',
      outputs: stored ? [{ objectId: d.returnId, nodeId: this.nodeId, sizeBytes: output.byteLength }] : [],
      data: inline ? output : null,
      returnInline: inline,
    });
  }

  private failTask(d: MessageOf<'DeployTask'>, err: unknown): void {
    const failure = toFailure(err, 'WRT_OPERATOR_ERROR');
    this.send({ ...this.noReturn(d), returnId: d.returnId, state: 'Failed', outputs: [], data: null, failure, inputBytes: 0 });
    this.emit({ type: 'task-failed', taskId: d.taskId, message: failure.message });
  }

  /** The slot call of deployment `d` (operator, task, actor call or WGSL export) on `inputs`. */
  private callSpec(d: MessageOf<'DeployTask'>, module: WebAssembly.Module, inputs: ArenaRange[]): OperatorCall {
    return {
      moduleKey: moduleKeyOf(d),
      module,
      operator: d.operator,
      partitions: d.partitions,
      inputs,
      outputCapBytes: this.outputCapBytes,
      maxMemoryBytes: d.maxMemoryBytes,
      deadlineMs: d.deadlineMs,
      gpu: d.gpus > 0,
    };
  }

  /** A remote-function task: any free slot, the module's shared instance there. */
  private async runRemoteTask(d: MessageOf<'DeployTask'>): Promise<void> {
    this.running++;
    const temporary: string[] = [];
    try {
      const prepared = this.prepareCall(d, temporary);
      const spec = prepared instanceof Promise ? await prepared : prepared;
      const started = performance.now();
      const cancelled = (): WrtError => new WrtError('WRT_TASK_CANCELLED', `task of ${d.returnId} was cancelled before it ran`);
      if (this.cancelledEarly.delete(d.returnId)) throw cancelled();
      const output = await this.slots.call(spec, (ctl) => {
        if (this.cancelledEarly.delete(d.returnId)) ctl.cancel(cancelled());
        else this.cancellers.set(d.returnId, ctl);
      });
      this.tasksFinished++;
      this.finishWithResult(
        d,
        output,
        spec.inputs.reduce((s, r) => s + r.length, 0),
      );
      this.emit({ type: 'task-finished', taskId: d.taskId, operator: d.operator, elapsedMs: performance.now() - started });
    } catch (err) {
      this.failTask(d, err);
    } finally {
      this.cancellers.delete(d.returnId);
      this.releaseHeld(temporary);
      this.running--;
    }
  }

  /**
   * A GPU task (`gpu.*`, runtime/node/gpu-tasks.ts): arguments are resolved as for any task and
   * handed to the kernel as views of the arena; a result above the inline limit is written by
   * the GPU read-back straight into its object-store allocation.
   */
  private async runGpuTask(d: MessageOf<'DeployTask'>): Promise<void> {
    this.running++;
    const temporary: string[] = [];
    let stored = false;
    try {
      if (!this.gpu) throw new WrtError('WRT_GPU_UNAVAILABLE', `node ${this.name} has no GPU: ${this.gpuAdapter}`);
      const kernel = gpuKernelOf(d.operator);
      const ranges = await this.resolveArgs(d, temporary);
      const views = ranges.map((r) => new Uint8Array(this.store.memory.buffer, r.offset, r.length));
      if (views.length === 0)
        throw new WrtError('WRT_INVALID_ARGUMENT', `${d.operator} takes a JSON parameter block as its first argument`);
      const params = parseGpuParams(views[0]!);
      const wgsl = params.source ? await this.moduleWgsl(d, params.source) : null;
      const data = views.slice(1);
      const bytes = gpuOutputBytes(kernel, params, data);
      let out: Uint8Array;
      if (d.returnId && bytes > INLINE_RESULT_BYTES) {
        out = this.store.create(d.returnId, bytes);
        stored = true;
      } else out = new Uint8Array(bytes);
      const started = performance.now();
      await runGpuKernel(this.gpu, kernel, params, data, out, wgsl);
      if (stored) this.store.seal(d.returnId);
      this.tasksFinished++;
      const base = {
        type: 'TaskStatus' as const,
        jobId: d.jobId,
        taskId: d.taskId,
        returnId: d.returnId,
        returnBytes: bytes,
        failure: null,
        inputBytes: 0,
      };
      if (stored) {
        const outputs = [{ objectId: d.returnId, nodeId: this.nodeId, sizeBytes: bytes }];
        this.send({ ...base, state: 'Finished', outputs, data: null, returnInline: false });
      } else this.send({ ...base, state: 'Finished', outputs: [], data: out, returnInline: !!d.returnId });
      this.emit({ type: 'task-finished', taskId: d.taskId, operator: d.operator, elapsedMs: performance.now() - started });
    } catch (err) {
      if (stored) this.store.release(d.returnId);
      this.failTask(d, err);
    } finally {
      this.releaseHeld(temporary);
      this.running--;
    }
  }

  /** The WGSL that export `name` of the task's module returns (run once per module in a slot). */
  private moduleWgsl(d: MessageOf<'DeployTask'>, name: string): Promise<string> {
    const key = `${d.moduleHash}/${name}`;
    let source = this.wgsl.get(key);
    if (!source) {
      source = this.module(d).then(async (module) => {
        return new TextDecoder().decode(await this.slots.call(this.callSpec({ ...d, operator: name }, module, [])));
      });
      void source.catch(() => this.wgsl.delete(key));
      this.wgsl.set(key, source);
    }
    return source;
  }

  /** Actor creation, calls and kills. */
  private actorMessage(d: MessageOf<'DeployTask'>): void {
    if (d.kind === 'ActorKill') {
      this.actors.get(d.actorId)?.kill();
      this.actors.delete(d.actorId);
      return;
    }
    let actor = this.actors.get(d.actorId);
    if (d.kind === 'ActorCreate') {
      actor?.kill();
      actor = new ActorHost(
        d.actorId,
        this.platform,
        this.store.memory,
        (reason) => {
          this.actors.delete(d.actorId);
          this.send({
            type: 'ActorState',
            actorId: d.actorId,
            state: 'Dead',
            nodeId: this.nodeId,
            message: `${reason.code}: ${reason.message}`,
            restarts: 0,
          });
        },
        this.serveGpu,
      );
      this.actors.set(d.actorId, actor);
    }
    if (!actor) {
      this.failTask(d, new WrtError('WRT_ACTOR_DIED', `actor ${d.actorId} is not on node ${this.nodeId}`));
      return;
    }
    const temporary: string[] = [];
    let prepare: Promise<OperatorCall> | OperatorCall;
    try {
      prepare = this.prepareCall(d, temporary);
    } catch (err) {
      prepare = Promise.reject(err instanceof Error ? err : new WrtError('WRT_INVALID_ARGUMENT', String(err)));
    }
    this.running++;
    actor
      .enqueue(prepare)
      .then(
        (output) => {
          this.tasksFinished++;
          this.finishWithResult(d, output, 0);
        },
        (err) => {
          this.failTask(d, err);
          actor.reportDeath();
        },
      )
      .finally(() => {
        this.releaseHeld(temporary);
        this.running--;
      });
  }

  /**
   * Holds one reference to object `objectId` for the caller: retains it when this node has it,
   * else pulls it from `nodeId` ('' lets the head find it). Concurrent users of one object share
   * a single pull.
   * @throws WrtError from the holder (`WRT_OBJECT_LOST`) or the store (`WRT_OBJECT_STORE_FULL`)
   */
  private async acquire(objectId: string, nodeId: string): Promise<void> {
    for (;;) {
      const arriving = this.inbound.get(objectId);
      if (arriving) {
        await arriving.catch(() => {});
        continue;
      }
      if (this.store.has(objectId)) {
        this.store.retain(objectId);
        return;
      }
      const pull = this.pullObject(objectId, nodeId);
      this.inbound.set(objectId, pull);
      try {
        return await pull;
      } finally {
        this.inbound.delete(objectId);
      }
    }
  }

  /**
   * Pulls a remote object into the local store, flow-controlled (object-transfer.ts); it ends with
   * one reference, the caller's. A failed pull leaves nothing behind.
   */
  private async pullObject(objectId: string, nodeId: string): Promise<void> {
    const requestId = this.nextPullId++;
    let created = false;
    const pull = new InboundPull(
      { requestId, objectId, nodeId, requester: this.nodeId },
      (m) => this.send(m),
      (total) => {
        created = true;
        return this.store.create(objectId, total);
      },
    );
    this.pulls.set(requestId, pull);
    try {
      await pull.start().done;
      this.store.seal(objectId);
    } catch (err) {
      if (created) this.store.release(objectId);
      throw err;
    } finally {
      this.pulls.delete(requestId);
    }
  }

  private receiveChunk(c: MessageOf<'ObjectChunk'>): void {
    this.pulls.get(c.requestId)?.onChunk(c);
  }

  /** Serves one range of a local object (the holder side of object-transfer.ts; stateless). */
  private servePull(req: MessageOf<'ObjectPull'>): void {
    if (!this.store.has(req.objectId)) {
      this.send(
        failedChunk(req, { code: 'WRT_OBJECT_LOST', message: `object ${req.objectId} is not on node ${this.nodeId}`, retryable: true }),
      );
      return;
    }
    serveRange(this.store.get(req.objectId), req, (c) => this.send(c));
  }

  /**
   * A driver's put larger than one chunk: pull its bytes from the driver, then tell the head it is
   * stored (or why not). The stored object keeps one reference, the owner's.
   */
  private async storePut(m: MessageOf<'PutObject'>): Promise<void> {
    let failure = null;
    try {
      if (!this.store.has(m.objectId)) await this.pullObject(m.objectId, m.source);
    } catch (err) {
      failure = toFailure(err, 'WRT_OBJECT_LOST');
    }
    this.send({
      type: 'ObjectReady',
      objectId: m.objectId,
      nodeId: this.nodeId,
      sizeBytes: m.totalBytes,
      data: null,
      inline: false,
      failure,
    });
  }
}

/**
 * The slot instance cache key of a deployment: one instance per module, memory cap and GPU grant
 * (an instance's `wrt:runtime/gpu` import is bound to the grant it was created with).
 */
function moduleKeyOf(d: MessageOf<'DeployTask'>): string {
  return `${d.moduleHash}/${d.maxMemoryBytes}${d.gpus > 0 ? '/gpu' : ''}`;
}

/** Compiled modules are kept per module and memory cap (the cap is compiled into the module). */
function compiledKey(hash: string, maxMemoryBytes: number): string {
  return `${hash}/${maxMemoryBytes}`;
}
