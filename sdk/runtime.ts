// The driver side of tasks, actors and objects: see {@link Runtime}.
import type { Connection, Platform } from '../runtime/platform/platform.js';
import type { Message, MessageOf, TaskArg } from '../runtime/protocol/messages.js';
import { onFrames, sendMessage } from '../runtime/protocol/codec.js';
import { WrtError, isErrorCode } from '../runtime/errors.js';
import { headWebSocketUrl } from '../runtime/client/job-client.js';
import { ObjectRef } from './object-ref.js';
import { TaskError } from './task-error.js';
import { encodeArg, snapshotArgs, type ArgValue } from './encoding.js';
import { compileOptions, type GetOptions, type ModuleLoader, type RemoteOptions, type WaitOptions } from './options.js';
import { WasmModule } from './wasm-module.js';
import { GpuTasks } from './gpu.js';
import { ActorHandle, type Submitter } from './submitter.js';
import type { LocalObjects } from '../runtime/node/node-agent.js';
import { DriverObjects } from './driver-objects.js';
import { DirectCalls } from './direct-calls.js';
import type { FailureRecord } from '../runtime/errors.js';

export { ActorHandle, type GetOptions, type WaitOptions, type ModuleLoader };

/**
 * A driver's connection to a cluster (Ray's `ray.init()` context; made by `init()` of `wrt/sdk`,
 * ended by `shutdown()`, which also stops an embedded cluster): loads wasm modules, submits tasks
 * and actors, and puts, gets, waits for and cancels objects by {@link ObjectRef}; `rt.gpu` runs GPU
 * kernels as tasks. Platform-neutral (`sdk/node.ts` and `sdk/browser.ts` give it their platform).
 * Object bytes are `Uint8Array`s; times are milliseconds; failures are `WrtError`s with a code
 * (docs/errors.md), task failures `TaskError`s.
 */
export class Runtime implements Submitter {
  /** The objects this driver owns and reads (driver-objects.ts). */
  private readonly objects: DriverObjects;
  /** Actor calls, through the head or directly to the actor's node (direct-calls.ts, ADR 0009). */
  private readonly direct: DirectCalls;
  private readonly actorStates = new Map<string, MessageOf<'ActorState'>>();
  private readonly actorWaiters = new Map<string, (() => void)[]>();
  private readonly lookups = new Map<number, (m: MessageOf<'ActorInfo'>) => void>();
  private readonly token = crypto.randomUUID().slice(0, 8);
  private counter = 0;
  private closed: WrtError | null = null;
  /** The head this runtime is connected to (ws:// URL). */
  address = '';
  /** GPU tasks: wrt's WebGPU kernels, run on nodes that have an adapter. */
  readonly gpu: GpuTasks = new GpuTasks(this);

  /** @internal */
  constructor(
    private readonly conn: Connection,
    private readonly loader: ModuleLoader,
    private readonly onShutdown: () => Promise<void>,
    local: LocalObjects | null = null,
    connectDirect: ((url: string) => Promise<Connection>) | null = null,
  ) {
    this.direct = new DirectCalls(
      {
        connect: (url) => connectDirect!(url),
        wire: (id, args) => this.wireOrFail(id, args as (ArgValue | ObjectRef)[]),
        localArgs: (args) => this.objects.localArgs(args),
        settle: (id, data, failure) => this.objects.settleLocal(id, data, failure),
        relay: (id, m) => this.relay(id, m),
        log: (line) => console.warn(line),
      },
      connectDirect !== null,
    );
    this.objects = new DriverObjects(
      {
        send: (m) => this.send(m),
        closed: () => this.closed,
        nextId: (kind) => this.nextId(kind),
        nextRequest: () => ++this.counter,
      },
      local,
    );
    onFrames(conn, (msg) => this.handle(msg));
    conn.onMessages = (msgs) => {
      for (const msg of msgs) this.handle(msg);
    };
    conn.onClose = (reason) => {
      this.closed = new WrtError('WRT_CONNECTION', `lost the head: ${reason}`);
      this.direct.close();
      this.objects.connectionLost(this.closed);
      for (const ws of this.actorWaiters.values()) for (const w of ws.splice(0)) w();
    };
  }

  /**
   * Connects to the head at `address`. `local`: the node sharing this process (the embedded
   * cluster), whose arena puts are written into and gets read from directly.
   * @throws WrtError `WRT_CONNECTION`.
   */
  static async connect(
    platform: Platform,
    address: string,
    loader: ModuleLoader,
    onShutdown: () => Promise<void> = async () => {},
    local: LocalObjects | null = null,
  ): Promise<Runtime> {
    const url = headWebSocketUrl(address);
    // Direct actor calls (ADR 0009) from Node drivers; a page's WebSockets go through the head.
    const connectDirect = platform.kind === 'node' && platform.connectDirect ? (u: string) => platform.connectDirect!(u) : null;
    const rt = new Runtime(await platform.connect(url), loader, onShutdown, local, connectDirect);
    rt.address = url;
    return rt;
  }

  private nextId(kind: string): string {
    return `${kind}-${this.token}-${++this.counter}`;
  }

  private send(m: Message): void {
    if (this.closed) throw this.closed;
    sendMessage(this.conn, m);
  }

  private handle(msg: Message): void {
    if (msg.type === 'ObjectReady') this.direct.relayedDone(msg.objectId);
    if (this.objects.handle(msg)) return;
    switch (msg.type) {
      case 'ActorRoute':
        this.direct.fromHead(msg);
        return;
      case 'ActorState':
        this.direct.fromHead(msg);
        this.actorStates.set(msg.actorId, msg);
        for (const w of this.actorWaiters.get(msg.actorId)?.splice(0) ?? []) w();
        return;
      case 'ActorInfo':
        this.lookups.get(msg.requestId)?.(msg);
        this.lookups.delete(msg.requestId);
        return;
      default:
        return;
    }
  }

  /**
   * Loads a wasm module or component for tasks and actors.
   * @param source a path (Node), a URL, or the bytes
   * @throws WrtError `WRT_INPUT_NOT_FOUND`, `WRT_NOT_WASM`, `WRT_MISSING_EXPORT`
   */
  async load(source: string | URL | Uint8Array): Promise<WasmModule> {
    const core = await this.loader(source);
    let exports: string[];
    try {
      exports = WebAssembly.Module.exports(await WebAssembly.compile(core as Uint8Array<ArrayBuffer>)).map((e) => e.name);
    } catch (err) {
      throw new WrtError('WRT_NOT_WASM', `not valid WebAssembly: ${(err as Error).message}`);
    }
    const moduleId = this.nextId('m');
    this.send({ type: 'RegisterModule', moduleId, module: core });
    return new WasmModule(this, moduleId, exports);
  }

  private wireArgs(args: (ArgValue | ObjectRef)[]): TaskArg[] {
    return args.map((a) => {
      if (a instanceof ObjectRef) {
        this.objects.checkLive(a);
        return { data: null, objectId: a.id };
      }
      const bytes = encodeArg(a);
      // Sent as an object (in memory), the bytes must be ours: the caller may change theirs.
      const own = this.conn.sendObject !== undefined && (ArrayBuffer.isView(a) || a instanceof ArrayBuffer);
      return { data: own ? bytes.slice() : bytes, objectId: '' };
    });
  }

  /** @internal Submits one task of `moduleId`. */
  submitTask(moduleId: string, functionName: string, args: (ArgValue | ObjectRef)[], options: RemoteOptions): ObjectRef {
    const taskId = this.nextId('t');
    const returnId = this.nextId('o');
    const local = this.objects.localArgs(args);
    if (local === null) {
      const wire = this.wireArgs(args);
      const ref = this.objects.track(returnId, taskId, functionName);
      this.send({ type: 'SubmitTask', taskId, moduleId, functionName, args: wire, options: compileOptions(options), returnId });
      return ref;
    }
    // An argument is a direct call's result (ADR 0009): the task goes once it is ready and put.
    const ref = this.objects.trackLocal(returnId, taskId, functionName);
    const compiled = compileOptions(options);
    this.afterLocalArgs(returnId, args, local, (wire) => ({
      type: 'SubmitTask',
      taskId,
      moduleId,
      functionName,
      args: wire,
      options: compiled,
      returnId,
    }));
    return ref;
  }

  /**
   * Sends call `returnId` (tracked local; `message` makes it from the wire arguments) once its
   * local arguments are ready (`local`, from DriverObjects.localArgs), or fails it with the failure
   * of one that failed, as the head fails a task whose argument failed. Inline arguments are copied
   * now: the caller may change theirs.
   */
  private afterLocalArgs(
    returnId: string,
    args: (ArgValue | ObjectRef)[],
    local: Promise<void> | FailureRecord,
    message: (wire: TaskArg[]) => Message,
  ): void {
    if (!(local instanceof Promise)) return this.objects.settleLocal(returnId, null, local);
    const own = snapshotArgs(args);
    void local.then(() => {
      if (this.closed) return;
      const wire = this.wireOrFail(returnId, own);
      if (wire) this.relay(returnId, message(wire));
    });
  }

  /**
   * The wire arguments of call `returnId` (tracked local) whose local arguments are ready, or null
   * when it failed instead: with the failure of an argument that failed, or `WRT_OBJECT_LOST` for
   * an ObjectRef released while the call waited.
   */
  private wireOrFail(returnId: string, args: (ArgValue | ObjectRef)[]): TaskArg[] | null {
    const failed = this.objects.localArgs(args);
    if (failed) {
      this.objects.settleLocal(returnId, null, failed as FailureRecord);
      return null;
    }
    try {
      return this.wireArgs(args);
    } catch (err) {
      this.objects.settleLocal(returnId, null, { code: 'WRT_OBJECT_LOST', message: (err as Error).message, retryable: false });
      return null;
    }
  }

  /** Sends `m`, call `returnId` (tracked local), to the head, which then knows its result; released if its ref went meanwhile. */
  private relay(returnId: string, m: Message): void {
    const kept = this.objects.relayed(returnId);
    this.send(m);
    if (!kept) this.send({ type: 'ReleaseObjects', objectIds: [returnId] });
  }

  /** @internal */
  async createActor(moduleId: string, initFunction: string, args: (ArgValue | ObjectRef)[], options: RemoteOptions): Promise<ActorHandle> {
    const actorId = this.nextId('a');
    const local = this.objects.localArgs(args);
    if (local instanceof Promise) await local;
    const failed = local instanceof Promise ? this.objects.localArgs(args) : local;
    if (failed) throw new TaskError(failed as FailureRecord, actorId, 'constructor');
    this.send({
      type: 'CreateActor',
      actorId,
      moduleId,
      initFunction,
      args: this.wireArgs(args),
      options: compileOptions(options),
      name: options.name ?? '',
    });
    const handle = new ActorHandle(this, actorId, moduleId);
    await this.actorReady(actorId);
    return handle;
  }

  /** @internal */
  actorCall(handle: ActorHandle, method: string, args: (ArgValue | ObjectRef)[]): ObjectRef {
    const returnId = this.nextId('o');
    if (!this.direct.enabled && this.objects.localArgs(args) === null) {
      const wire = this.wireArgs(args);
      const ref = this.objects.track(returnId, `${handle.actorId}.${method}`, method);
      this.send({ type: 'ActorCall', actorId: handle.actorId, method, args: wire, returnId });
      return ref;
    }
    for (const a of args) if (a instanceof ObjectRef) this.objects.checkLive(a, false);
    if (this.closed) throw this.closed;
    const ref = this.objects.trackLocal(returnId, `${handle.actorId}.${method}`, method);
    const inline = args.every((a) => !(a instanceof ObjectRef));
    this.direct.call(handle.actorId, method, returnId, args, inline);
    return ref;
  }

  /** @internal Resolves when the actor is alive; throws when it is dead. */
  async actorReady(actorId: string): Promise<void> {
    for (;;) {
      const s = this.actorStates.get(actorId);
      if (s?.state === 'Alive') return;
      if (s?.state === 'Dead') {
        const [code, ...rest] = s.message.split(': ');
        const known = code !== undefined && isErrorCode(code);
        throw new TaskError(
          { code: known ? code : 'WRT_ACTOR_DIED', message: known ? rest.join(': ') : s.message, retryable: false },
          actorId,
          'constructor',
        );
      }
      if (this.closed) throw this.closed;
      await new Promise<void>((r) => this.actorWaiters.set(actorId, [...(this.actorWaiters.get(actorId) ?? []), r]));
    }
  }

  /** Finds a named actor. @throws WrtError `WRT_ACTOR_NOT_FOUND`. */
  async getActor(name: string): Promise<ActorHandle> {
    const requestId = ++this.counter;
    const info = await new Promise<MessageOf<'ActorInfo'>>((resolve) => {
      this.lookups.set(requestId, resolve);
      this.send({ type: 'LookupActor', requestId, name });
    });
    if (!info.actorId || info.state === 'Dead') throw new WrtError('WRT_ACTOR_NOT_FOUND', `no live actor is named "${name}"`);
    return new ActorHandle(this, info.actorId, info.moduleId);
  }

  /**
   * Stores `value` (encoded as a task argument would be) as an object; returns its ref at once
   * (sdk/driver-objects.ts says where the bytes go: inline up to 100 KiB, the local node's arena,
   * or pulled by the node storing them).
   */
  put(value: ArgValue): ObjectRef {
    return this.objects.put(value);
  }

  /**
   * The bytes of one object, or of each of several, once ready. An object in the arena of the node
   * sharing this process (embedded cluster) comes back as a view of it, not a copy: it stays
   * there while the view is reachable; do not write to it. Small results (up to 512 bytes) are
   * views of a buffer shared with other results (as Node's pooled Buffers are): read them through
   * `byteOffset` / `byteLength` (`view`, `asNumber` do), not through `.buffer` alone.
   * @throws TaskError with the failing task's code; WrtError `WRT_TIMEOUT` after `timeoutMs`.
   */
  get(ref: ObjectRef, options?: GetOptions): Promise<Uint8Array>;
  get(refs: ObjectRef[], options?: GetOptions): Promise<Uint8Array[]>;
  get(refs: ObjectRef | ObjectRef[], options: GetOptions = {}): Promise<Uint8Array | Uint8Array[]> {
    return this.objects.get(refs, options);
  }

  /**
   * Waits until `numReturns` of `refs` are ready (finished or failed) or `timeoutMs` passes.
   * @returns the ready refs and the rest, each in the order given
   */
  wait(refs: ObjectRef[], options: WaitOptions = {}): Promise<{ ready: ObjectRef[]; notReady: ObjectRef[] }> {
    return this.objects.wait(refs, options);
  }

  /** Cancels the task of `ref`: a queued task never runs, a running one is stopped. */
  cancel(ref: ObjectRef): void {
    // A direct call's result: the head never ran it, and a direct call cannot be cancelled.
    if (this.objects.isLocal(ref)) return;
    this.objects.checkLive(ref);
    this.send({ type: 'CancelTask', objectId: ref.id, force: true });
  }

  /** @internal */
  release(ref: ObjectRef): void {
    this.objects.release(ref);
  }

  /** Disconnects (the head releases this driver's objects and actors) and stops an embedded cluster. */
  async shutdown(): Promise<void> {
    if (!this.closed) {
      this.closed = new WrtError('WRT_CONNECTION', 'the runtime was shut down');
      this.direct.close();
      this.conn.close(1000, 'driver shutdown');
    }
    await this.onShutdown();
  }
}
