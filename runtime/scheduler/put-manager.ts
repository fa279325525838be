/**
 * Drivers' puts on the head: up to {@link INLINE_PUT_BYTES} an object stays on the head; larger
 * ones go to the node with the emptiest store — with their bytes, or, larger than one chunk, as a
 * pulled put that the node fetches from the driver and reports with `ObjectReady`. A put lost with
 * its node before it was stored is pulled again by another node (the driver still holds it).
 */
import type { MessageOf } from '../protocol/messages.js';
import { INLINE_PUT_BYTES, type TaskContext, type TaskNode } from './task-context.js';
import { copyBytes } from '../store/small-copy.js';

export class PutManager {
  /** Pulled puts not yet stored, by object id: the node pulling and the size in bytes. */
  private readonly pulledPuts = new Map<string, { nodeId: string; totalBytes: number }>();

  constructor(private readonly ctx: TaskContext) {}

  /**
   * A driver's put. With a `source`, node `source` holds it already (a driver in that node's
   * process stored it). Up to {@link INLINE_PUT_BYTES} it stays here, and the driver, which holds
   * it as ready since its put, is not told; larger ones go to the node with
   * the emptiest store: with their bytes (ready at once: the node stores them before it reads any
   * later message), or — larger than one chunk — as a pulled put that the node fetches from the
   * driver and reports with `ObjectReady` ({@link putStored}).
   */
  put(driver: string, m: MessageOf<'PutObject'>): void {
    this.ctx.objects.create(m.objectId, driver, null);
    if (m.source) {
      // Stored already, by a driver sharing node `source`'s process (the embedded cluster).
      const holder = [...this.ctx.host.nodes()].find((n) => n.id === m.source && n.alive);
      this.ctx.notify(
        holder
          ? this.ctx.objects.ready(m.objectId, holder.id, m.totalBytes, null)!
          : this.ctx.objects.fail(m.objectId, {
              code: 'WRT_OBJECT_LOST',
              message: `put ${m.objectId}: node ${m.source} is not alive`,
              retryable: false,
            })!,
      );
      return;
    }
    const pulled = m.data.byteLength < m.totalBytes;
    if (!pulled && m.data.byteLength <= INLINE_PUT_BYTES) {
      // The driver holds it as ready since its put (sdk/runtime.ts): no ObjectReady goes back.
      this.ctx.objects.ready(m.objectId, '', m.data.byteLength, copyBytes(m.data));
      return;
    }
    const nodeId = this.storeNode();
    // Puts that came with their bytes while no node is up stay here too.
    if (!nodeId) {
      if (pulled) {
        this.ctx.notify(
          this.ctx.objects.fail(m.objectId, {
            code: 'WRT_INFEASIBLE',
            message: `no live node can store put ${m.objectId} (${m.totalBytes} bytes); start a node first`,
            retryable: false,
          })!,
        );
      } else this.ctx.notify(this.ctx.objects.ready(m.objectId, '', m.data.byteLength, m.data.slice())!);
      return;
    }
    if (!pulled) {
      this.ctx.host.sendToNode(nodeId, { ...m, source: '' });
      this.ctx.notify(this.ctx.objects.ready(m.objectId, nodeId, m.data.byteLength, null)!);
      return;
    }
    this.placePulledPut(m.objectId, driver, m.totalBytes, nodeId);
  }

  private placePulledPut(objectId: string, driver: string, totalBytes: number, nodeId: string): void {
    this.pulledPuts.set(objectId, { nodeId, totalBytes });
    this.ctx.host.sendToNode(nodeId, { type: 'PutObject', objectId, data: new Uint8Array(0), totalBytes, source: driver });
  }

  /** A node stored a pulled put (or could not: the object fails with the node's reason). */
  putStored(nodeId: string, m: MessageOf<'ObjectReady'>): void {
    const placedHere = this.pulledPuts.get(m.objectId)?.nodeId === nodeId;
    if (placedHere) this.pulledPuts.delete(m.objectId);
    if (!placedHere || this.ctx.objects.get(m.objectId)?.state !== 'pending') {
      // Released meanwhile: the node's copy is nobody's.
      if (!m.failure) this.ctx.host.sendToNode(nodeId, { type: 'ReleaseObjects', objectIds: [m.objectId] });
      return;
    }
    this.ctx.notify(
      m.failure
        ? this.ctx.objects.fail(m.objectId, {
            ...m.failure,
            message: `put ${m.objectId} could not be stored on ${nodeId}: ${m.failure.message}`,
          })!
        : this.ctx.objects.ready(m.objectId, nodeId, m.sizeBytes, null)!,
    );
  }

  /** The live node with the emptiest store, or null. */
  private storeNode(): string | null {
    let best: TaskNode | null = null;
    for (const n of this.ctx.host.nodes()) if (n.alive && (!best || n.storeUsedBytes < best.storeUsedBytes)) best = n;
    return best?.id ?? null;
  }

  /** A node is gone: the puts it was pulling go to another node, or fail when none is left. */
  nodeLost(nodeId: string): void {
    for (const [id, p] of this.pulledPuts) {
      if (p.nodeId !== nodeId) continue;
      this.pulledPuts.delete(id);
      const e = this.ctx.objects.get(id);
      if (e?.state !== 'pending') continue;
      // The driver still holds the bytes: another node pulls them.
      const other = this.storeNode();
      if (other) this.placePulledPut(id, e.owner, p.totalBytes, other);
      else
        this.ctx.notify(
          this.ctx.objects.fail(id, {
            code: 'WRT_OBJECT_LOST',
            message: `put ${id} was lost with node ${nodeId} and no node is left`,
            retryable: false,
          })!,
        );
    }
  }
}
