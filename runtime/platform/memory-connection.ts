/**
 * A pair of {@link Connection}s joined in memory: what one side sends, the other receives, in
 * order. For a head and a node in one process (the embedded cluster of `init()`, docs/adr/0006):
 * the protocol, the head and the node agent are the ones a cluster of processes runs; only the
 * socket is gone.
 *
 * The messages of a turn go together, a microtask after the sender's synchronous work (so a loop
 * of sends is one delivery and a receiver never runs inside its sender's call). The hot messages
 * of tasks and actors ({@link OBJECT_MESSAGES}) may travel as objects, not encoded, to a receiver
 * that takes objects (`onMessages`); their buffers are the sender's own (a task's output, the
 * head's records), never views of an arena that may be reused. Everything else is encoded and
 * decoded exactly as on a socket. What arrives before the receiver sets a handler waits for it. Closing either side closes both; each side's `onClose` is called
 * once, after what was sent before the close has arrived.
 */
import type { Connection } from './platform.js';
import type { Message } from '../protocol/messages.js';
import { decodeMessage, encodeFrame, encodeMessage } from '../protocol/codec.js';
import { BATCH_BYTES } from './websocket-connection.js';

/** Message types that may cross as objects. */
export const OBJECT_MESSAGES: ReadonlySet<Message['type']> = new Set([
  'SubmitTask',
  'DeployTask',
  'TaskStatus',
  'ObjectReady',
  'ActorCall',
  'ReleaseObjects',
]);

class MemoryEnd implements Connection {
  private frameHandler: ((frame: Uint8Array) => void) | null = null;
  private objectHandler: ((messages: Message[]) => void) | null = null;
  /** Delivered while this end had no handler: handed over, in order, once one is set. */
  private held: (Uint8Array | Message)[] = [];
  onClose: ((reason: string) => void) | null = null;
  peerEnd: MemoryEnd | null = null;
  /** Sent and not yet delivered: encoded messages and message objects, in order. */
  private pending: (Uint8Array | Message)[] = [];
  private pendingBytes = 0;
  private scheduled = false;
  /** Set by close(): later sends are dropped; what was sent before still arrives. */
  private closing = false;
  private closeReason = '';
  private ended = false;

  constructor(readonly peer: string) {}

  get onMessage(): ((frame: Uint8Array) => void) | null {
    return this.frameHandler;
  }
  set onMessage(handler: ((frame: Uint8Array) => void) | null) {
    this.frameHandler = handler;
    this.release();
  }
  get onMessages(): ((messages: Message[]) => void) | null {
    return this.objectHandler;
  }
  set onMessages(handler: ((messages: Message[]) => void) | null) {
    this.objectHandler = handler;
    this.release();
  }

  /** Takes what arrived before a handler was set, if one is set now. */
  private release(): void {
    if (this.held.length === 0 || (!this.frameHandler && !this.objectHandler)) return;
    const held = this.held;
    this.held = [];
    this.receive(held);
  }

  /** Delivers `pending` (the peer's sends) to this end's handler; false when they do not decode. */
  receive(pending: (Uint8Array | Message)[]): boolean {
    if (this.objectHandler) {
      let messages: Message[];
      try {
        messages = pending.map((e) => (e instanceof Uint8Array ? decodeMessage(e) : e));
      } catch {
        return false;
      }
      this.objectHandler(messages);
    } else if (this.frameHandler) {
      // Frames of at most BATCH_BYTES (a socket's largest gathered frame would be FLUSH_BYTES, but
      // in one process there is nothing to pipeline).
      let frame: Uint8Array[] = [];
      let bytes = 0;
      for (const e of pending) {
        const m = e instanceof Uint8Array ? e : encodeMessage(e);
        if (frame.length > 0 && bytes + 4 + m.byteLength > BATCH_BYTES) {
          this.frameHandler(encodeFrame(frame));
          frame = [];
          bytes = 0;
        }
        frame.push(m);
        bytes += 4 + m.byteLength;
      }
      if (frame.length > 0) this.frameHandler(encodeFrame(frame));
    } else this.held.push(...pending);
    return true;
  }

  get bufferedAmount(): number {
    return this.pendingBytes;
  }

  send(message: Uint8Array): void {
    if (this.closing || this.ended) return;
    this.pending.push(message);
    this.pendingBytes += 4 + message.byteLength;
    this.schedule();
  }

  sendObject(message: Message): void {
    if (!OBJECT_MESSAGES.has(message.type)) return this.send(encodeMessage(message));
    if (this.closing || this.ended) return;
    this.pending.push(message);
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(this.flush);
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    const pending = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    const peer = this.peerEnd;
    if (pending.length > 0 && peer && !this.ended && !peer.ended && !peer.receive(pending)) {
      this.close(1002, 'protocol error');
      return;
    }
    if (this.closing) {
      this.end(this.closeReason);
      peer?.end(this.closeReason);
    }
  };

  close(code = 1000, reason = ''): void {
    if (this.closing || this.ended) return;
    this.closing = true;
    this.closeReason = `closed (${code}${reason ? ' ' + reason.slice(0, 120) : ''})`;
    this.schedule();
  }

  private end(reason: string): void {
    if (this.ended) return;
    this.ended = true;
    this.pending = [];
    this.pendingBytes = 0;
    this.onClose?.(reason);
  }
}

/**
 * Two joined connections: what `a` sends, `b` receives, and the other way round.
 * @param peerOfA what `a`'s owner logs as its peer; `peerOfB` likewise for `b`
 */
export function memoryConnectionPair(peerOfA: string, peerOfB: string): [Connection, Connection] {
  const a = new MemoryEnd(peerOfA);
  const b = new MemoryEnd(peerOfB);
  a.peerEnd = b;
  b.peerEnd = a;
  return [a, b];
}
