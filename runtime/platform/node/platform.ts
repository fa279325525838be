/** The Node.js {@link Platform}: undici's WebSocket client, worker_threads slots. */
import { Worker } from 'node:worker_threads';
import { availableParallelism, hostname, totalmem } from 'node:os';
import process from 'node:process';
import { WebSocket } from 'undici';
import type { Connection, Platform, SlotThread } from '../platform.js';
import { WrtError } from '../../errors.js';

const slotEntry = new URL('./slot-entry.js', import.meta.url);

/** The part of a WHATWG WebSocket this file uses. */
interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  readonly bufferedAmount: number;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: string, handler: (ev: never) => void, options?: { once?: boolean }): void;
}

/** Wraps undici's WHATWG WebSocket as a Connection. */
export function wrapWebSocket(ws: WebSocketLike, peer: string): Connection {
  const conn: Connection = {
    peer,
    onMessage: null,
    onClose: null,
    get bufferedAmount() {
      return ws.bufferedAmount;
    },
    send(frame) {
      if (ws.readyState === 1) ws.send(frame);
    },
    close(code = 1000, reason = '') {
      try {
        ws.close(code, reason.slice(0, 120));
      } catch {
        ws.close();
      }
    },
  };
  ws.binaryType = 'arraybuffer';
  ws.addEventListener('message', (ev: { data: unknown }) => {
    if (ev.data instanceof ArrayBuffer) conn.onMessage?.(new Uint8Array(ev.data));
    else conn.close(1003, 'text frames are not accepted');
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

/** Resolves once `ws` is open; rejects with WRT_CONNECTION otherwise. */
export function awaitOpen(ws: WebSocketLike, url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const fail = (): void => reject(new WrtError('WRT_CONNECTION', `could not connect to ${url}: is a wrt head running there?`));
    ws.addEventListener('open', () => resolve(), { once: true });
    ws.addEventListener('error', fail, { once: true });
    ws.addEventListener('close', fail, { once: true });
  });
}

export const nodePlatform: Platform = {
  kind: 'node',
  async connect(url) {
    const ws = new WebSocket(url) as unknown as WebSocketLike;
    await awaitOpen(ws, url);
    return wrapWebSocket(ws, url);
  },
  spawnSlot(): SlotThread {
    const worker = new Worker(slotEntry);
    const thread: SlotThread = {
      onMessage: null,
      onError: null,
      postMessage: (m, transfer) => worker.postMessage(m, transfer as never),
      terminate: async () => {
        await worker.terminate();
      },
    };
    worker.on('message', (m) => thread.onMessage?.(m));
    worker.on('error', (e) => thread.onError?.(e));
    return thread;
  },
  hardwareConcurrency: () => availableParallelism(),
  totalMemoryBytes: () => totalmem(),
  defaultNodeName: () => `${hostname()}-${process.pid}`,
  log: (line) => process.stderr.write(line + '\n'),
};
