/**
 * The node's side of objects (the role of Ray's object manager on one node): pulls remote objects
 * into the local store through the head (flow-controlled, runtime/store/object-transfer.ts),
 * serves ranges of local objects to other nodes, stores drivers' large puts, and pins objects for
 * the calls that read them. A second user of an object on its way waits for the first pull.
 * Objects kept on the GPU (device-objects.ts) are read back into the arena the first time anything
 * but a GPU task asks for them, the same way: one read-back, later users wait for it.
 */
import type { Message, MessageOf } from '../protocol/messages.js';
import type { ArenaRange, ObjectStore } from '../store/object-store.js';
import { InboundPull, failedChunk, serveRange } from '../store/object-transfer.js';
import { WrtError, toFailure } from '../errors.js';
import type { DeviceObjects } from './device-objects.js';

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

export class LocalObjectManager {
  /** Pulls in progress, by request id. */
  private readonly pulls = new Map<number, InboundPull>();
  /** The same pulls by object id. */
  private readonly inbound = new Map<string, Promise<void>>();
  private nextPullId = 1;
  /** Bytes of objects pulled into this node's store from elsewhere since it started. */
  bytesPulled = 0;

  constructor(
    private readonly store: ObjectStore,
    private readonly nodeId: () => string,
    private readonly send: (m: Message) => void,
    /** Objects on the node's GPU. */
    readonly device: DeviceObjects,
  ) {}

  /** Object `id` is in the arena, or on its way there; false when this node does not hold it. */
  private local(id: string): boolean {
    return this.store.has(id) || this.inbound.has(id) || this.device.has(id);
  }

  /** Brings a device-resident object into the arena (once; a second caller waits for the first). */
  private async fromDevice(id: string): Promise<void> {
    const arriving = this.inbound.get(id);
    if (arriving) return arriving;
    if (!this.device.has(id)) return;
    const readBack = this.readBack(id);
    this.inbound.set(id, readBack);
    try {
      await readBack;
    } finally {
      this.inbound.delete(id);
    }
  }

  private async readBack(id: string): Promise<void> {
    const o = this.device.readBack(id);
    if (!o) return;
    // Not sealed while it is written, so it never spills half-written; the owner's reference moves here.
    const view = this.store.create(id, o.bytes);
    try {
      let at = 0;
      for (const s of o.segments) {
        await s.ctx.read(s.buffer, s.byteLength, view.subarray(at, at + s.byteLength));
        at += s.byteLength;
      }
    } catch (err) {
      this.store.release(id);
      this.device.giveBack(id);
      throw new WrtError('WRT_OBJECT_LOST', `object ${id} could not be read back from the GPU: ${(err as Error).message}`, { cause: err });
    }
    this.store.seal(id);
    if (!this.device.moved(id)) this.store.release(id);
  }

  /** Drops the owner's reference to object `id` (the head's ReleaseObjects), wherever it lives. */
  release(id: string): void {
    if (!this.device.release(id)) this.store.release(id);
  }

  /**
   * Holds one reference to object `objectId` for the caller: retains it when this node has it,
   * else pulls it from `nodeId` ('' lets the head find it).
   * @throws WrtError from the holder (`WRT_OBJECT_LOST`) or the store (`WRT_OBJECT_STORE_FULL`)
   */
  async acquire(objectId: string, nodeId: string): Promise<void> {
    for (;;) {
      const arriving = this.inbound.get(objectId);
      if (arriving) {
        await arriving.catch(() => {});
        continue;
      }
      if (this.device.has(objectId)) {
        await this.fromDevice(objectId);
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
   * Pulls a remote object into the local store; it ends with one reference, the caller's. A
   * failed pull leaves nothing behind.
   */
  private async pullObject(objectId: string, nodeId: string): Promise<void> {
    const requestId = this.nextPullId++;
    let created = false;
    let size = 0;
    const pull = new InboundPull(
      { requestId, objectId, nodeId, requester: this.nodeId() },
      (m) => this.send(m),
      (total) => {
        const view = this.store.create(objectId, total);
        created = true;
        size = total;
        return view;
      },
    );
    this.pulls.set(requestId, pull);
    try {
      await pull.start().done;
      this.store.seal(objectId);
      this.bytesPulled += size;
    } catch (err) {
      if (created) this.store.release(objectId);
      throw err;
    } finally {
      this.pulls.delete(requestId);
    }
  }

  /** A chunk of one of this node's pulls. */
  receiveChunk(c: MessageOf<'ObjectChunk'>): void {
    this.pulls.get(c.requestId)?.onChunk(c);
  }

  /** Fails every pull in progress (the head is gone). */
  failAll(err: WrtError): void {
    for (const p of this.pulls.values()) p.fail(err);
  }

  /** Serves one range of a local object (the holder side of object-transfer.ts; stateless). */
  servePull(req: MessageOf<'ObjectPull'>): void {
    if (!this.store.has(req.objectId) && this.local(req.objectId)) {
      this.fromDevice(req.objectId).then(
        () => this.servePull(req),
        (err: unknown) => this.send(failedChunk(req, toFailure(err, 'WRT_OBJECT_LOST'))),
      );
      return;
    }
    const lost = this.device.lostReason(req.objectId);
    if (lost) {
      this.send(
        failedChunk(req, {
          code: 'WRT_OBJECT_LOST',
          message: `object ${req.objectId} was on the GPU of node ${this.nodeId()}, which lost its device (${lost})`,
          retryable: false,
        }),
      );
      return;
    }
    if (!this.store.has(req.objectId)) {
      this.send(
        failedChunk(req, { code: 'WRT_OBJECT_LOST', message: `object ${req.objectId} is not on node ${this.nodeId()}`, retryable: true }),
      );
      return;
    }
    serveRange(this.store.get(req.objectId), req, (c) => this.send(c));
  }

  /**
   * A driver's put of at most one chunk, with its bytes: stored at once. The stored object keeps
   * one reference, the owner's. (Larger puts stay with their driver: ADR 0010.)
   */
  storePut(m: MessageOf<'PutObject'>): void {
    if (!this.store.has(m.objectId)) this.store.put(m.objectId, m.data);
  }

  /**
   * Pins object `id` (one reference already the caller's) so its range stays valid until the call
   * that reads it is over, and adds it to `held`; if it cannot be pinned, the reference is dropped.
   */
  hold(id: string, held: string[]): ArenaRange {
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
  releaseHeld(held: string[]): void {
    for (const id of held) {
      this.store.unpin(id);
      this.store.release(id);
    }
  }

  /** This node's objects, for a driver in the same process. */
  localObjects(): LocalObjects {
    const store = this.store;
    const nodeId = this.nodeId;
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
}
