/**
 * The objects a driver owns and reads (sdk/runtime.ts's object side; Ray's owner): the state of
 * every ObjectRef it holds, puts (inline, into the local node's arena, sent to a node, or held
 * here: held-puts.ts), gets (inline, a view of the local arena or of a held put, or pulled chunk by
 * chunk through the head), waits and releases. Bytes are `Uint8Array`s; times milliseconds.
 */
import type { Message } from '../runtime/protocol/messages.js';
import { WrtError, type FailureRecord } from '../runtime/errors.js';
import { ObjectRef, type ObjectState } from './object-ref.js';
import { TaskError } from './task-error.js';
import { encodeArg, type ArgValue } from './encoding.js';
import type { GetOptions, WaitOptions } from './options.js';
import { INLINE_PUT_BYTES, InboundPull, OBJECT_CHUNK_BYTES, failedChunk, serveRange } from '../runtime/store/object-transfer.js';
import type { LocalObjects } from '../runtime/node/node-agent.js';
import { copyBytes } from '../runtime/store/small-copy.js';
import { HeldPuts } from './held-puts.js';

/** What the objects need of their runtime. */
export interface ObjectsHost {
  /** Sends to the head; throws the runtime's closing error once it is closed. */
  send(m: Message): void;
  /** Why the runtime is closed, or null while it is open. */
  closed(): WrtError | null;
  /** A fresh id of `kind` ("o" for objects). */
  nextId(kind: string): string;
  /** A fresh request number (pulls). */
  nextRequest(): number;
}

export class DriverObjects {
  private readonly objects = new Map<string, ObjectState>();
  private readonly pulls = new Map<number, InboundPull>();
  /** Puts larger than one chunk, held here until the head releases them (nodes pull them). */
  private readonly held = new HeldPuts();
  private readonly finalizer = new FinalizationRegistry<string>((id) => this.releaseId(id));
  /** Views of the local node's arena handed out by `get`: each keeps its object until collected. */
  private readonly heldViews = new FinalizationRegistry<() => void>((done) => done());

  /** @param local the node sharing this process (embedded cluster), whose arena puts go into and gets read. */
  constructor(
    private readonly host: ObjectsHost,
    private readonly local: LocalObjects | null,
  ) {}

  /** Takes an object message from the head; false for other messages. */
  handle(msg: Message): boolean {
    switch (msg.type) {
      case 'ObjectReady': {
        const o = this.objects.get(msg.objectId);
        if (!o) return true;
        o.ready = true;
        o.failure = msg.failure;
        o.inline = msg.inline ? copyBytes(msg.data ?? new Uint8Array(0)) : null;
        o.sizeBytes = msg.sizeBytes;
        // A held put refused by the head (over the driver's limits) is not kept.
        if (msg.failure) this.held.drop(msg.objectId);
        for (const w of o.waiters.splice(0)) w();
        return true;
      }
      case 'ObjectChunk':
        if (this.pulls.get(msg.requestId)?.onChunk(msg)) this.pulls.delete(msg.requestId);
        return true;
      case 'ObjectPull': {
        // A node (through the head) reads one of our held puts for a task.
        const bytes = this.held.bytes(msg.objectId);
        if (bytes) serveRange(bytes, msg, (c) => this.host.send(c));
        else this.host.send(failedChunk(msg, { code: 'WRT_OBJECT_LOST', message: `put ${msg.objectId} was released`, retryable: false }));
        return true;
      }
      case 'ReleaseObjects':
        // No task, call or ref needs these held puts any more.
        for (const id of msg.objectIds) this.held.drop(id);
        return true;
      default:
        return false;
    }
  }

  /** The connection closed with `err`: waiters wake (and see it), pulls fail, held puts go. */
  connectionLost(err: WrtError): void {
    for (const o of this.objects.values()) for (const w of o.waiters.splice(0)) w();
    for (const p of this.pulls.values()) p.fail(err);
    this.held.clear();
  }

  /** A ref to object `id`, produced by task `taskId` (function `functionName`; '' for puts), not ready yet. */
  track(id: string, taskId: string, functionName: string): ObjectRef {
    this.objects.set(id, { ready: false, failure: null, inline: null, sizeBytes: 0, waiters: [], released: false, local: false });
    const ref = new ObjectRef(id, this, taskId, functionName);
    this.finalizer.register(ref, id, ref);
    return ref;
  }

  /**
   * Whether `ref` may still be passed to a task (with `passing`, it is about to be: a held put then
   * stays until the head releases it, a local result is put first).
   * @throws WrtError `WRT_OBJECT_LOST` when it was released.
   */
  checkLive(ref: ObjectRef, passing = true): void {
    const o = this.objects.get(ref.id);
    if (o?.released !== false) throw new WrtError('WRT_OBJECT_LOST', `${ref} was released`);
    if (!passing) return;
    if (o.local) this.promote(ref.id, o);
    this.held.passed(ref.id);
  }

  /**
   * Tracks the result of a direct actor call (ADR 0009): the head does not know it until
   * {@link checkLive} passes it on. The caller settles it with {@link settleLocal}.
   */
  trackLocal(id: string, taskId: string, functionName: string): ObjectRef {
    const ref = this.track(id, taskId, functionName);
    this.objects.get(id)!.local = true;
    return ref;
  }

  /** A local object's outcome: its bytes (`data`) or its `failure`. */
  settleLocal(id: string, data: Uint8Array | null, failure: FailureRecord | null): void {
    const o = this.objects.get(id);
    if (!o || o.ready) return;
    o.ready = true;
    o.failure = failure;
    o.inline = failure ? null : copyBytes(data ?? new Uint8Array(0));
    o.sizeBytes = o.inline?.byteLength ?? 0;
    for (const w of o.waiters.splice(0)) w();
  }

  /**
   * What must happen before `refs` can be passed to a task or call: null when they can be now; a
   * promise while a local one is not ready; the failure of the first local one that failed (the
   * call then fails with it, as the head fails a call whose argument failed).
   */
  localArgs(refs: readonly unknown[]): Promise<void> | FailureRecord | null {
    let waitFor: Promise<void>[] | null = null;
    for (const r of refs) {
      if (!(r instanceof ObjectRef)) continue;
      const o = this.objects.get(r.id);
      if (!o?.local) continue;
      if (o.ready && o.failure) return o.failure;
      if (!o.ready) (waitFor ??= []).push(this.settled(o, Infinity).then(() => undefined));
    }
    return waitFor ? Promise.all(waitFor).then(() => undefined) : null;
  }

  /** Call `id`, tracked local, goes through the head (which then knows it); false when its ref was released meanwhile. */
  relayed(id: string): boolean {
    const o = this.objects.get(id);
    if (o) o.local = false;
    return o !== undefined;
  }

  /** Whether the head knows nothing of `ref` (a direct call's result never passed on). */
  isLocal(ref: ObjectRef): boolean {
    return this.objects.get(ref.id)?.local === true;
  }

  /** Puts a ready local object under its own id, so the head knows it before a task reads it. */
  private promote(id: string, o: ObjectState): void {
    if (!o.ready || o.failure)
      throw new WrtError('WRT_INVALID_ARGUMENT', `ObjectRef(${id}) is not ready to pass on (internal: wait with localArgs first)`);
    o.local = false;
    this.store(id, o.inline!);
  }

  /**
   * Stores `value` (encoded as a task argument would be) as an object; returns its ref. The bytes
   * are copied at once (changing `value` later does not change the object). Up to
   * {@link INLINE_PUT_BYTES} (100 KiB) the object is ready at once: this driver keeps a copy (gets
   * read it without a message, as a Ray owner's small objects) and sends one to the head, which
   * keeps it for tasks and never refuses it (messages on one connection arrive in order, so a task
   * submitted later finds it there). With a node sharing this process (the embedded cluster),
   * larger values go straight into its arena (one copy). Otherwise up to 1 MiB travel in one
   * message (a node stores them); larger values are held here, ready at once (one copy,
   * held-puts.ts; ADR 0010): a node pulls them through the head when a task reads them
   * (flow-controlled, any size up to that node's arena). They are lost if this driver disconnects,
   * as a Ray object is with its owner.
   */
  put(value: ArgValue): ObjectRef {
    const objectId = this.host.nextId('o');
    const data = encodeArg(value);
    const ref = this.track(objectId, '', '');
    this.store(objectId, data);
    return ref;
  }

  /** Puts `data` as object `objectId`, tracked already (see {@link put}). */
  private store(objectId: string, data: Uint8Array): void {
    if (data.byteLength <= INLINE_PUT_BYTES) {
      const o = this.objects.get(objectId)!;
      o.ready = true;
      o.inline = copyBytes(data);
      o.sizeBytes = data.byteLength;
      this.host.send({ type: 'PutObject', objectId, data: o.inline, totalBytes: data.byteLength, source: '' });
      return;
    }
    if (this.local?.nodeId && this.putLocal(objectId, data)) return;
    if (data.byteLength <= OBJECT_CHUNK_BYTES)
      this.host.send({ type: 'PutObject', objectId, data, totalBytes: data.byteLength, source: '' });
    else {
      const o = this.objects.get(objectId)!;
      this.held.hold(objectId, data);
      o.ready = true;
      o.sizeBytes = data.byteLength;
      this.host.send({ type: 'PutObject', objectId, data: new Uint8Array(0), totalBytes: data.byteLength, source: '' });
    }
  }

  /** Writes a put into the local node's arena; false when it has no room (the put goes the usual way). */
  private putLocal(objectId: string, data: Uint8Array): boolean {
    try {
      this.local!.put(objectId, data);
    } catch (err) {
      if (err instanceof WrtError && err.code === 'WRT_OBJECT_STORE_FULL') return false;
      throw err;
    }
    this.host.send({ type: 'PutObject', objectId, data: new Uint8Array(0), totalBytes: data.byteLength, source: this.local!.nodeId });
    return true;
  }

  private state(ref: ObjectRef): ObjectState {
    const o = this.objects.get(ref.id);
    if (!o || o.released) throw new WrtError('WRT_OBJECT_LOST', `${ref} was released`);
    return o;
  }

  private settled(o: ObjectState, timeoutAt: number): Promise<boolean> {
    if (o.ready) return Promise.resolve(true);
    const closed = this.host.closed();
    if (closed) return Promise.reject(closed);
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
        const closed = this.host.closed();
        if (closed) throw closed;
        throw new WrtError('WRT_TIMEOUT', `${ref} was not ready in time`);
      }
      if (o.failure) throw new TaskError(o.failure, ref.taskId, ref.functionName);
      if (o.inline) return o.inline;
      const mine = this.held.expose(ref.id);
      if (mine) return mine;
      const held = this.local?.hold(ref.id);
      if (held) {
        // A view of the local arena, not a copy: the object stays while the view is reachable.
        this.heldViews.register(held.view, held.done);
        return held.view;
      }
      const requestId = this.host.nextRequest();
      const pull = new InboundPull(
        { requestId, objectId: ref.id, nodeId: '', requester: '' },
        (m) => this.host.send(m),
        (n) => new Uint8Array(n),
      );
      this.pulls.set(requestId, pull);
      try {
        return await pull.start().done;
      } catch (err) {
        // Lost with its node: the head rebuilds it from lineage and says so with a new ObjectReady.
        if (err instanceof WrtError && err.code === 'WRT_OBJECT_LOST' && err.retryable && !this.host.closed()) {
          o.ready = false;
          continue;
        }
        throw err;
      }
    }
  }

  /** The bytes of `refs` once ready (Runtime.get says what they are). */
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
      if (ready.length >= want || Date.now() >= timeoutAt || this.host.closed()) {
        return { ready, notReady: refs.filter((_, i) => !states[i]!.ready) };
      }
      await Promise.race(states.filter((s) => !s.ready).map((s) => this.settled(s, timeoutAt)));
    }
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
    this.held.ownerReleased(id);
    if (!this.host.closed() && !o.local) this.host.send({ type: 'ReleaseObjects', objectIds: [id] });
  }
}
