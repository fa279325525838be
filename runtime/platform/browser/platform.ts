/** The browser {@link Platform}: the native WebSocket, Web Worker slots. */
import type { Connection, Platform, SlotThread } from '../platform.js';
import { WrtError } from '../../errors.js';

/** URL of the slot worker bundle; the head serves it beside the node-agent bundle. */
let slotUrl = '/assets/slot-entry.js';
export function setSlotUrl(url: string): void {
  slotUrl = url;
}

function wrap(ws: WebSocket, peer: string): Connection {
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
      ws.close(code, reason.slice(0, 120));
    },
  };
  ws.binaryType = 'arraybuffer';
  ws.addEventListener('message', (ev) => {
    if (ev.data instanceof ArrayBuffer) conn.onMessage?.(new Uint8Array(ev.data));
  });
  let closed = false;
  const closing = (reason: string): void => {
    if (!closed) {
      closed = true;
      conn.onClose?.(reason);
    }
  };
  ws.addEventListener('close', (ev) => closing(`closed (${ev.code})`));
  ws.addEventListener('error', () => closing('connection error'));
  return conn;
}

export const browserPlatform: Platform = {
  kind: 'browser',
  connect(url) {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      ws.addEventListener('open', () => resolve(wrap(ws, url)), { once: true });
      ws.addEventListener('error', () => reject(new WrtError('WRT_CONNECTION', `could not connect to ${url}`)), { once: true });
    });
  },
  spawnSlot(): SlotThread {
    const worker = new Worker(slotUrl, { type: 'module' });
    const thread: SlotThread = {
      onMessage: null,
      onError: null,
      postMessage: (m, transfer) => worker.postMessage(m, transfer ?? []),
      terminate: async () => worker.terminate(),
    };
    worker.addEventListener('message', (ev) => thread.onMessage?.(ev.data));
    worker.addEventListener('error', (ev) => thread.onError?.(new Error(ev.message)));
    return thread;
  },
  hardwareConcurrency: () => navigator.hardwareConcurrency || 2,
  totalMemoryBytes: () => ((navigator as { deviceMemory?: number }).deviceMemory ?? 4) * 2 ** 30,
  defaultNodeName: () => `browser-${crypto.randomUUID().slice(0, 8)}`,
  log: (line) => console.log(line),
};
