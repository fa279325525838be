/** The browser {@link Platform}: the native WebSocket, Web Worker slots. */
import type { Platform, SlotThread } from '../platform.js';
import { openConnection, type WebSocketLike } from '../websocket-connection.js';
import { WrtError } from '../../errors.js';
import { browserGpu } from './gpu.js';

/** URL of the slot worker bundle; the head serves it beside the node-agent bundle. */
let slotUrl = '/assets/slot-entry.js';
export function setSlotUrl(url: string): void {
  slotUrl = url;
}

export const browserPlatform: Platform = {
  kind: 'browser',
  connect(url) {
    return openConnection(
      new WebSocket(url) as unknown as WebSocketLike,
      url,
      () => new WrtError('WRT_CONNECTION', `could not connect to ${url}`),
    );
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
    worker.addEventListener('error', (ev) => thread.onError?.(new WrtError('WRT_SLOT_DIED', ev.message)));
    return thread;
  },
  hardwareConcurrency: () => navigator.hardwareConcurrency || 2,
  totalMemoryBytes: () => ((navigator as { deviceMemory?: number }).deviceMemory ?? 4) * 2 ** 30,
  defaultNodeName: () => `browser-${crypto.randomUUID().slice(0, 8)}`,
  // No file system: a full arena refuses with WRT_OBJECT_STORE_FULL.
  spillStorage: () => null,
  gpu: browserGpu,
  log: (line) => console.log(line),
};
