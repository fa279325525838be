// The driver side of tasks, actors and objects: see {@link Runtime}.
import type { Connection, Platform } from '../runtime/platform/platform.js';
import type { Message, MessageOf, TaskArg } from '../runtime/protocol/messages.js';
import { decodeFrame, sendMessage } from '../runtime/protocol/codec.js';
import { WrtError, isErrorCode } from '../runtime/errors.js';
import { headWebSocketUrl } from '../runtime/client/job-client.js';
import { ObjectRef, type ObjectState } from './object-ref.js';
import { TaskError } from './task-error.js';
import { encodeArg, type ArgValue } from './encoding.js';
import { compileOptions, type GetOptions, type ModuleLoader, type RemoteOptions, type WaitOptions } from './options.js';
import { WasmModule } from './wasm-module.js';
import { GpuTasks } from './gpu.js';
import { ActorHandle, type Submitter } from './submitter.js';
import { INLINE_PUT_BYTES, InboundPull, OBJECT_CHUNK_BYTES, failedChunk, serveRange } from '../runtime/store/object-transfer.js';
import type { LocalObjects } from '../runtime/node/node-agent.js';
import { copyBytes } from '../runtime/store/small-copy.js';

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
  private readonly objects = new Map<string, ObjectState>();
  private readonly pulls = new Map<number, InboundPull>();
  /** Puts larger than one chunk, held until the node storing them has pulled them. */
  private readonly outgoing = new Map<string, Uint8Array>();
  private readonly actorStates = new Map<string, MessageOf<'ActorState'>>();
  private readonly actorWaiters = new Map<string, (() => void)[]>();
  private readonly lookups = new Map<number, (m: MessageOf<'ActorInfo'>) => void>();
  private readonly finalizer = new FinalizationRegistry<string>((id) => this.releaseId(id));
  /** Views of the local node's arena handed out by `get`: each keeps its object until collected. */
  private readonly heldViews = new FinalizationRegistry<() => void>((done) => done());
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
    private readonly local: LocalObjects | null = null,
  ) {
    conn.onMessage = (frame) => {
      let msgs: Message[];
      try {
        msgs = decodeFrame(frame);
      } catch {
        conn.close(1002, 'protocol error');
        return;
      }
      for (const msg of msgs) this.handle(msg);
    };
    conn.onMessages = (msgs) => {
      for (const msg of msgs) this.handle(msg);
    };
    conn.onClose = (reason) => {
      this.closed = new WrtError('WRT_CONNECTION', `lost the head: ${reason}`);
      for (const o of this.objects.values()) for (const w of o.waiters.splice(0)) w();
      for (const p of this.pulls.values()) p.fail(this.closed);
      this.outgoing.clear();
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
    const rt = new Runtime(await platform.connect(url), loader, onShutdown, local);
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
    switch (msg.type) {
      case 'ObjectReady': {
        const o = this.objects.get(msg.objectId);
        if (!o) return;
        o.ready = true;
        o.failure = msg.failure;
        o.inline = msg.inline ? copyBytes(msg.data ?? new Uint8Array(0)) : null;
        o.sizeBytes = msg.sizeBytes;
        this.outgoing.delete(msg.objectId);
        for (const w of o.waiters.splice(0)) w();
        return;
      }
      case 'ObjectChunk':
        if (this.pulls.get(msg.requestId)?.onChunk(msg)) this.pulls.delete(msg.requestId);
        return;
      case 'ObjectPull': {
        // The node storing one of our large puts fetches its bytes.
        const bytes = this.outgoing.get(msg.objectId);
        if (bytes) serveRange(bytes, msg, (c) => this.send(c));
        else this.send(failedChunk(msg, { code: 'WRT_OBJECT_LOST', message: `put ${msg.objectId} was released`, retryable: false }));
        return;
      }
      case 'ActorState':
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

  private track(id: string, taskId: string, functionName: string): ObjectRef {
    this.objects.set(id, { ready: false, failure: null, inline: null, sizeBytes: 0, waiters: [], released: false });
    const ref = new ObjectRef(id, this, taskId, functionName);
    this.finalizer.register(ref, id, ref);
    return ref;
  }

  private wireArgs(args: (ArgValue | ObjectRef)[]): TaskArg[] {
    return args.map((a) => {
      if (a instanceof ObjectRef) {
        if (this.objects.get(a.id)?.released !== false) throw new WrtError('WRT_OBJECT_LOST', `${a} was released`);
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
    const wire = this.wireArgs(args);
    const ref = this.track(returnId, taskId, functionName);
    this.send({ type: 'SubmitTask', taskId, moduleId, functionName, args: wire, options: compileOptions(options), returnId });
    return ref;
  }

  /** @internal */
  async createActor(moduleId: string, initFunction: string, args: (ArgValue | ObjectRef)[], options: RemoteOptions): Promise<ActorHandle> {
    const actorId = this.nextId('a');
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
    const wire = this.wireArgs(args);
    const ref = this.track(returnId, `${handle.actorId}.${method}`, method);
    this.send({ type: 'ActorCall', actorId: handle.actorId, method, args: wire, returnId });
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
   * Stores `value` (encoded as a task argument would be) as an object; returns its ref. The bytes
   * are copied at once (changing `value` later does not change the object). Up to
   * {@link INLINE_PUT_BYTES} (100 KiB) the object is ready at once: this driver keeps a copy (gets
   * read it without a message, as a Ray owner's small objects) and sends one to the head, which
   * keeps it for tasks and never refuses it (messages on one connection arrive in order, so a task
   * submitted later finds it there). With a node sharing this process (the embedded cluster),
   * larger values go straight into its arena (one copy). Otherwise up to 1 MiB travel in one
   * message (a node stores them); larger values are kept here until the node storing them has
   * pulled them (flow-controlled, any size up to the node's arena).
   */
  put(value: ArgValue): ObjectRef {
    const objectId = this.nextId('o');
    const data = encodeArg(value);
    const ref = this.track(objectId, '', '');
    if (data.byteLength <= INLINE_PUT_BYTES) {
      const o = this.objects.get(objectId)!;
      o.ready = true;
      o.inline = copyBytes(data);
      o.sizeBytes = data.byteLength;
      this.send({ type: 'PutObject', objectId, data: o.inline, totalBytes: data.byteLength, source: '' });
      return ref;
    }
    if (this.local?.nodeId && this.putLocal(objectId, data)) return ref;
    if (data.byteLength <= OBJECT_CHUNK_BYTES) this.send({ type: 'PutObject', objectId, data, totalBytes: data.byteLength, source: '' });
    else {
      this.outgoing.set(objectId, data.slice());
      this.send({ type: 'PutObject', objectId, data: new Uint8Array(0), totalBytes: data.byteLength, source: '' });
    }
    return ref;
  }

  /** Writes a put into the local node's arena; false when it has no room (the put goes the usual way). */
  private putLocal(objectId: string, data: Uint8Array): boolean {
    try {
      this.local!.put(objectId, data);
    } catch (err) {
      if (err instanceof WrtError && err.code === 'WRT_OBJECT_STORE_FULL') return false;
      throw err;
    }
    this.send({ type: 'PutObject', objectId, data: new Uint8Array(0), totalBytes: data.byteLength, source: this.local!.nodeId });
    return true;
  }

  private state(ref: ObjectRef): ObjectState {
    const o = this.objects.get(ref.id);
    if (!o || o.released) throw new WrtError('WRT_OBJECT_LOST', `${ref} was released`);
    return o;
  }

  private settled(o: ObjectState, timeoutAt: number): Promise<boolean> {
    if (o.ready) return Promise.resolve(true);
    if (this.closed) return Promise.reject(this.closed);
    return new Promise((resolve) => {
      const timer = Number.isFinite(timeoutAt) ? setTimeout(() => resolve(false), Math.max(0, timeoutAt - Date.now())) : null;
      o.waiters.push(() => {
        if (timer) clearTimeout(timer);
        resolve(o.ready);
      });
    });
  }

  private async fetch(ref: ObjectRef, timeoutAt: number): Promise<Uint8Array> {
    for (;;) {
      const o = this.state(ref);
      if (!(await this.settled(o, timeoutAt))) {
        if (this.closed) throw this.closed;
        throw new WrtError('WRT_TIMEOUT', `${ref} was not ready in time`);
      }
      if (o.failure) throw new TaskError(o.failure, ref.taskId, ref.functionName);
      if (o.inline) return o.inline;
      const held = this.local?.hold(ref.id);
      if (held) {
        // A view of the local arena, not a copy: the object stays while the view is reachable.
        this.heldViews.register(held.view, held.done);
        return held.view;
      }
      const requestId = ++this.counter;
      const pull = new InboundPull(
        { requestId, objectId: ref.id, nodeId: '', requester: '' },
        (m) => this.send(m),
        (n) => new Uint8Array(n),
      );
      this.pulls.set(requestId, pull);
      try {
        return await pull.start().done;
      } catch (err) {
        // Lost with its node: the head rebuilds it from lineage and says so with a new ObjectReady.
        if (err instanceof WrtError && err.code === 'WRT_OBJECT_LOST' && err.retryable && !this.closed) {
          o.ready = false;
          continue;
        }
        throw err;
      }
    }
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
  async get(refs: ObjectRef | ObjectRef[], options: GetOptions = {}): Promise<Uint8Array | Uint8Array[]> {
    const timeoutAt = options.timeoutMs === undefined ? Infinity : Date.now() + options.timeoutMs;
    if (Array.isArray(refs)) return Promise.all(refs.map((r) => this.fetch(r, timeoutAt)));
    return this.fetch(refs, timeoutAt);
  }

  /**
   * Waits until `numReturns` of `refs` are ready (finished or failed) or `timeoutMs` passes.
   * @returns the ready refs and the rest, each in the order given
   */
  async wait(refs: ObjectRef[], options: WaitOptions = {}): Promise<{ ready: ObjectRef[]; notReady: ObjectRef[] }> {
    const want = Math.min(options.numReturns ?? 1, refs.length);
    const timeoutAt = options.timeoutMs === undefined ? Infinity : Date.now() + options.timeoutMs;
    const states = refs.map((r) => this.state(r));
    for (;;) {
      const ready = refs.filter((_, i) => states[i]!.ready);
      if (ready.length >= want || Date.now() >= timeoutAt || this.closed) {
        return { ready, notReady: refs.filter((_, i) => !states[i]!.ready) };
      }
      await Promise.race(states.filter((s) => !s.ready).map((s) => this.settled(s, timeoutAt)));
    }
  }

  /** Cancels the task of `ref`: a queued task never runs, a running one is stopped. */
  cancel(ref: ObjectRef): void {
    this.state(ref);
    this.send({ type: 'CancelTask', objectId: ref.id, force: true });
  }

  /** @internal */
  release(ref: ObjectRef): void {
    this.finalizer.unregister(ref);
    this.releaseId(ref.id);
  }

  private releaseId(id: string): void {
    const o = this.objects.get(id);
    if (!o || o.released) return;
    o.released = true;
    this.objects.delete(id);
    this.outgoing.delete(id);
    if (!this.closed) this.send({ type: 'ReleaseObjects', objectIds: [id] });
  }

  /** Disconnects (the head releases this driver's objects and actors) and stops an embedded cluster. */
  async shutdown(): Promise<void> {
    if (!this.closed) {
      this.closed = new WrtError('WRT_CONNECTION', 'the runtime was shut down');
      this.conn.close(1000, 'driver shutdown');
    }
    await this.onShutdown();
  }
}
