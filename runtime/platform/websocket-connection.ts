/**
 * A {@link Connection} over any WHATWG-style WebSocket: the browser's own, `ws`'s client in Node,
 * and the `ws` server's sockets (which implement `addEventListener` too). Binary frames only; a
 * text frame closes the connection with 1003 (unsupported data).
 *
 * Frames received before the owner sets `onMessage` are held and delivered, in order, when it does.
 *
 * Messages sent in one turn of the event loop leave as one frame ({@link encodeFrame}), flushed by
 * `setImmediate` (after the turn's I/O callbacks, so replies from several slot threads share a
 * frame; a microtask where there is none, as in browsers) or once {@link FLUSH_BYTES} have
 * gathered: a burst of small messages (a driver submitting a thousand tasks, the head answering
 * them) costs a socket write per 16 KiB, not one each, and the next process starts on the first
 * frame while this one still encodes the rest. A message of {@link BATCH_BYTES} or more (an object
 * chunk) that has room for its length prefix before it goes out at once as a frame of its own,
 * without being copied into one.
 */
import type { Connection } from './platform.js';
import { encodeFrame, withFramePrefix } from '../protocol/codec.js';

/** Messages of at least this many bytes leave as frames of their own (uncopied when they can). */
export const BATCH_BYTES = 256 * 1024;
/**
 * Bytes of messages gathered before a frame leaves without waiting for the end of the turn. Small
 * enough that a burst pipelines through driver, head and node (with the whole burst in one frame,
 * each process waited for the one before it to finish: 1000 asynchronous actor calls across
 * processes 33K → 43K/s at 16 KiB; 4 KiB was slower again, 64 KiB about the same).
 */
export const FLUSH_BYTES = 16 * 1024;

/** The part of a WHATWG WebSocket this file uses. */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  readonly bufferedAmount: number;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: string, handler: (ev: never) => void, options?: { once?: boolean }): void;
}

const OPEN = 1;

export function connectionOverWebSocket(ws: WebSocketLike, peer: string): Connection {
  const pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let scheduled = false;
  const flush = (): void => {
    scheduled = false;
    if (pending.length === 0) return;
    const frame = encodeFrame(pending);
    pending.length = 0;
    pendingBytes = 0;
    if (ws.readyState === OPEN) ws.send(frame);
  };
  // Frames that arrive before the owner sets onMessage (the head's challenge can arrive in the same
  // socket read as the upgrade response, before the code awaiting `open` has run) wait here.
  const held: Uint8Array[] = [];
  let onMessage: Connection['onMessage'] = null;
  const conn: Connection = {
    peer,
    get onMessage() {
      return onMessage;
    },
    set onMessage(handler) {
      onMessage = handler;
      while (onMessage && held.length > 0) onMessage(held.shift()!);
    },
    onClose: null,
    get bufferedAmount() {
      return ws.bufferedAmount + pendingBytes;
    },
    send(message) {
      if (ws.readyState !== OPEN) return;
      // A large message with room for its length prefix leaves as a frame of its own, uncopied
      // (after what was gathered before it, so the order holds).
      const alone = message.byteLength >= BATCH_BYTES ? withFramePrefix(message) : null;
      if (alone) {
        flush();
        ws.send(alone);
        return;
      }
      if (pendingBytes > 0 && pendingBytes + message.byteLength > FLUSH_BYTES) flush();
      pending.push(message);
      pendingBytes += 4 + message.byteLength;
      if (!scheduled) {
        scheduled = true;
        (globalThis.setImmediate ?? queueMicrotask)(flush);
      }
    },
    close(code = 1000, reason = '') {
      flush();
      ws.close(code, reason.slice(0, 120));
    },
  };
  ws.binaryType = 'arraybuffer';
  ws.addEventListener('message', (ev: { data: unknown }) => {
    if (!(ev.data instanceof ArrayBuffer)) conn.close(1003, 'text frames are not accepted');
    else if (onMessage) onMessage(new Uint8Array(ev.data));
    else held.push(new Uint8Array(ev.data));
  });
  let closed = false;
  const closing = (reason: string): void => {
    if (closed) return;
    closed = true;
    conn.onClose?.(reason);
  };
  ws.addEventListener('close', (ev: { code: number; reason: string }) => closing(`closed (${ev.code}${ev.reason ? ' ' + ev.reason : ''})`));
  ws.addEventListener('error', () => closing('connection error'));
  return conn;
}

/** Resolves with a Connection once `ws` is open; rejects with `onFail()` if it closes first. */
export function openConnection(ws: WebSocketLike, peer: string, onFail: () => Error): Promise<Connection> {
  return new Promise((resolve, reject) => {
    ws.addEventListener('open', () => resolve(connectionOverWebSocket(ws, peer)), { once: true });
    ws.addEventListener('error', () => reject(onFail()), { once: true });
    ws.addEventListener('close', () => reject(onFail()), { once: true });
  });
}
