/** The Node.js {@link Platform}: the `ws` WebSocket client, worker_threads slots. */
import { Worker } from 'node:worker_threads';
import { availableParallelism, hostname, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import WebSocket from 'ws';
import { MAX_FRAME_BYTES } from '../../protocol/codec.js';
import type { Platform, SlotThread } from '../platform.js';
import { openConnection, type WebSocketLike } from '../websocket-connection.js';
import { WrtError } from '../../errors.js';
import { nodeGpu } from './gpu.js';
import { fileSpillStorage } from './spill-storage.js';

const slotEntry = new URL('./slot-entry.js', import.meta.url);

export const nodePlatform: Platform = {
  kind: 'node',
  connect(url) {
    const ws = new WebSocket(url, {
      maxPayload: MAX_FRAME_BYTES + 1024,
      perMessageDeflate: false,
      // An all-zero masking key: RFC 6455 requires clients to mask, and masking with zero is
      // masking, but `ws` then skips the byte-by-byte XOR on both ends. Masking protects
      // intermediaries from script-crafted bytes in browsers; a Node process is not that peer.
      // (Object chunks are 1 MiB; the XOR loop capped driver → head bytes at ~100 MB/s.)
      generateMask: (mask: Buffer) => void mask.fill(0),
    }) as unknown as WebSocketLike;
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
