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
 * decoded exactly as on a socket. Closing either side closes both; each side's `onClose` is called
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
  onMessage: ((frame: Uint8Array) => void) | null = null;
  onMessages: ((messages: Message[]) => void) | null = null;
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
    if (pending.length > 0 && peer && !this.ended && !peer.ended) {
      if (peer.onMessages) {
        let messages: Message[];
        try {
          messages = pending.map((e) => (e instanceof Uint8Array ? decodeMessage(e) : e));
        } catch {
          this.close(1002, 'protocol error');
          return;
        }
        peer.onMessages(messages);
      } else {
        // Frames of at most BATCH_BYTES, as a socket would carry them.
        let frame: Uint8Array[] = [];
        let bytes = 0;
        for (const e of pending) {
          const m = e instanceof Uint8Array ? e : encodeMessage(e);
          if (frame.length > 0 && bytes + 4 + m.byteLength > BATCH_BYTES) {
            peer.onMessage?.(encodeFrame(frame));
            frame = [];
            bytes = 0;
          }
          frame.push(m);
          bytes += 4 + m.byteLength;
        }
        if (frame.length > 0) peer.onMessage?.(encodeFrame(frame));
      }
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
