/**
 * The head's object relay: browser nodes accept no connections, so every object pull between
 * nodes and drivers goes through the head. A range request (`ObjectPull`) is routed to the holder
 * the requester names, or — when it names none — to the one the object directory names; objects
 * kept inline on the head and failed objects are answered here. Chunks (`ObjectChunk`) pass back
 * to the requester; pulls waiting on a holder that leaves fail with `WRT_OBJECT_LOST` (retryable),
 * and their requesters retry (docs/object-transfer.md).
 */
import type { Message, MessageOf } from '../protocol/messages.js';
import type { FailureRecord } from '../errors.js';
import type { ObjectDirectory } from '../scheduler/object-directory.js';
import { endsObject, failedChunk, serveRange } from '../store/object-transfer.js';

/** What the relay needs of the head. */
export interface RelayHost {
  /** The object directory (state, location, inline bytes of objects). */
  objects: ObjectDirectory;
  /** True when `id` is a live node or a connected driver. */
  reachable(id: string): boolean;
  sendTo(id: string, m: Message): void;
}

export class ObjectRelay {
  /** Pulls relayed to a holder and not yet answered in full, by `requester/requestId`. */
  private readonly relayedPulls = new Map<string, { requester: string; requestId: number; objectId: string; owner: string }>();
  /** Objects the head itself holds (verified volunteer outputs), served to pulls that name no holder. */
  private readonly held = new Map<string, Uint8Array>();

  constructor(private readonly host: RelayHost) {}

  /**
   * Routes a range request from a node or driver to the holder of the object: the node the
   * requester names, the one the object directory names when it names none, or a driver serving
   * its own large put. Inline and failed objects are answered here.
   */
  routePull(requester: string, msg: MessageOf<'ObjectPull'>): void {
    let holder = msg.nodeId;
    const held = holder ? undefined : this.held.get(msg.objectId);
    if (held) {
      serveRange(held, { ...msg, requester }, (c) => this.host.sendTo(requester, c));
      return;
    }
    if (!holder) {
      const e = this.host.objects.get(msg.objectId);
      if (e?.state === 'ready' && e.inline) {
        serveRange(e.inline, { ...msg, requester }, (c) => this.host.sendTo(requester, c));
        return;
      }
      if (e?.state === 'failed') {
        this.host.sendTo(requester, failedChunk({ ...msg, requester }, e.failure!));
        return;
      }
      holder = e?.state === 'ready' ? e.nodeId : '';
    }
    if (!this.host.reachable(holder)) {
      const failure: FailureRecord = {
        code: 'WRT_OBJECT_LOST',
        message: `object ${msg.objectId} is not available (its holder ${holder || '?'} is gone)`,
        retryable: true,
      };
      this.host.sendTo(requester, failedChunk({ ...msg, requester }, failure));
      return;
    }
    this.relayedPulls.set(`${requester}/${msg.requestId}`, { requester, requestId: msg.requestId, objectId: msg.objectId, owner: holder });
    this.host.sendTo(holder, { ...msg, nodeId: holder, requester });
  }

  /** The head holds object `objectId` (`bytes`, not copied) until {@link drop}. */
  hold(objectId: string, bytes: Uint8Array): void {
    this.held.set(objectId, bytes);
  }

  drop(objectId: string): void {
    this.held.delete(objectId);
  }

  /**
   * Passes a chunk from holder `from` (node or driver) to the requester, when it answers a pull
   * relayed to `from` for that object; any other chunk is dropped (returns false): no one may
   * answer a pull that was not sent to them. (Chunks of a pull whose requester has left arrive
   * after it was forgotten, and are dropped the same way.)
   */
  relayChunk(from: string, msg: MessageOf<'ObjectChunk'>): boolean {
    const key = `${msg.requester}/${msg.requestId}`;
    const p = this.relayedPulls.get(key);
    if (!p || p.owner !== from || p.objectId !== msg.objectId) return false;
    if (endsObject(msg)) this.relayedPulls.delete(key);
    this.host.sendTo(msg.requester, msg);
    return true;
  }

  /** Fails the pulls that were waiting on a holder that is gone (their requesters retry); forgets its own. */
  failPullsTo(holder: string): void {
    for (const [key, p] of this.relayedPulls) {
      if (p.requester === holder) this.relayedPulls.delete(key);
      if (p.owner !== holder) continue;
      this.relayedPulls.delete(key);
      const failure: FailureRecord = {
        code: 'WRT_OBJECT_LOST',
        message: `object ${p.objectId} was lost with ${holder} during the transfer`,
        retryable: true,
      };
      this.host.sendTo(p.requester, failedChunk(p, failure));
    }
  }
}
