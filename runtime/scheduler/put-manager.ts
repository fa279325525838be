/**
 * Drivers' puts on the head: up to {@link INLINE_PUT_BYTES} an object stays on the head; up to
 * one chunk it goes with its bytes to the node with the emptiest store; larger ones stay with the
 * driver that put them (docs/adr/0010-driver-owned-large-puts.md): the object directory names the
 * driver as their holder, and nodes pull them through the relay when a task reads them. A put
 * that a driver in a node's process stored in that node's arena is held by that node.
 */
import type { MessageOf } from '../protocol/messages.js';
import { INLINE_PUT_BYTES, type TaskContext, type TaskNode } from './task-context.js';
import { copyBytes } from '../store/small-copy.js';

export class PutManager {
  constructor(private readonly ctx: TaskContext) {}

  /**
   * A driver's put. With a `source`, node `source` holds it already (a driver in that node's
   * process stored it). Up to {@link INLINE_PUT_BYTES} it stays here; up to one chunk (the bytes
   * came with it) it goes to the node with the emptiest store (ready at once: the node stores it
   * before it reads any later message); larger — the message carries no bytes — the driver holds
   * it. The driver holds inline and held puts as ready since its put, and is not told; the others
   * are ready with the ObjectReady sent here.
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
    if (m.data.byteLength < m.totalBytes) {
      // Held by the driver: pulls for it go there (object-relay.ts); the release too (TaskContext.drop).
      this.ctx.objects.ready(m.objectId, driver, m.totalBytes, null);
      return;
    }
    if (m.data.byteLength <= INLINE_PUT_BYTES) {
      this.ctx.objects.ready(m.objectId, '', m.data.byteLength, copyBytes(m.data));
      return;
    }
    // Up to one chunk: the driver waits for ObjectReady.
    const nodeId = this.storeNode();
    if (!nodeId) {
      // While no node is up it stays here.
      this.ctx.notify(this.ctx.objects.ready(m.objectId, '', m.data.byteLength, m.data.slice())!);
      return;
    }
    this.ctx.host.sendToNode(nodeId, { ...m, source: '' });
    this.ctx.notify(this.ctx.objects.ready(m.objectId, nodeId, m.data.byteLength, null)!);
  }

  /** The live node with the emptiest store, or null. */
  private storeNode(): string | null {
    let best: TaskNode | null = null;
    for (const n of this.ctx.host.nodes()) if (n.alive && (!best || n.storeUsedBytes < best.storeUsedBytes)) best = n;
    return best?.id ?? null;
  }
}
