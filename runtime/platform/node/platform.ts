/** The Node.js {@link Platform}: undici's WebSocket client, worker_threads slots. */
import { Worker } from 'node:worker_threads';
import { availableParallelism, hostname, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import { WebSocket } from 'undici';
import type { Platform, SlotThread } from '../platform.js';
import { openConnection, type WebSocketLike } from '../websocket-connection.js';
import { WrtError } from '../../errors.js';
import { nodeGpu } from './gpu.js';
import { fileSpillStorage } from './spill-storage.js';

const slotEntry = new URL('./slot-entry.js', import.meta.url);

export const nodePlatform: Platform = {
  kind: 'node',
  connect(url) {
    const ws = new WebSocket(url) as unknown as WebSocketLike;
    return openConnection(ws, url, () => new WrtError('WRT_CONNECTION', `could not connect to ${url}: is a wrt head running there?`));
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
  gpu: nodeGpu,
  spillStorage: (nodeName, dir) =>
    fileSpillStorage(dir ?? join(tmpdir(), `wrt-spill-${nodeName.replace(/[^A-Za-z0-9._-]/g, '_')}-${process.pid}`)),
  log: (line) => process.stderr.write(line + '\n'),
};
