/** The Node.js {@link Platform}: the `ws` WebSocket client, worker_threads slots. */
import { Worker } from 'node:worker_threads';
import { statSync } from 'node:fs';
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
import type { Confinement } from './confinement.js';

/**
 * The slot thread's entry: the one-file bundle of scripts/build-slot.mjs when it is at least as new
 * as the compiled module (it boots ~3× faster), else the module itself.
 */
const slotEntry = ((): URL => {
  const plain = new URL('./slot-entry.js', import.meta.url);
  const bundle = new URL('./slot-entry.bundle.js', import.meta.url);
  try {
    return statSync(bundle).mtimeMs >= statSync(plain).mtimeMs ? bundle : plain;
  } catch {
    return plain;
  }
})();

/** Opens a WebSocket to `url`; `ca`: PEM certificates to trust for `wss://` besides the system's (a self-signed head). */
function connectWebSocket(url: string, ca?: string | Buffer): ReturnType<Platform['connect']> {
  const ws = new WebSocket(url, {
    ...(ca ? { ca } : {}),
    maxPayload: MAX_FRAME_BYTES + 1024,
    perMessageDeflate: false,
    // An all-zero masking key: RFC 6455 requires clients to mask, and masking with zero is
    // masking, but `ws` then skips the byte-by-byte XOR on both ends. Masking protects
    // intermediaries from script-crafted bytes in browsers; a Node process is not that peer.
    // (Object chunks are 1 MiB; the XOR loop capped driver → head bytes at ~100 MB/s.)
    generateMask: (mask: Buffer) => void mask.fill(0),
  }) as unknown as WebSocketLike;
  return openConnection(ws, url, () => new WrtError('WRT_CONNECTION', `could not connect to ${url}: is a wrt head running there?`));
}

/** A slot thread running slot-entry.js; `confinement` limits what its jobs' connectors reach (none: unconfined). */
function spawnSlotThread(confinement?: Confinement): SlotThread {
  const worker = new Worker(slotEntry, { workerData: { confinement } });
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
}

/**
 * The Node platform of an in-process harness (tests, benchmarks): its slots' connectors are not
 * confined. Nodes the CLI and the SDK start use {@link configuredNodePlatform}.
 */
export const nodePlatform: Platform = {
  kind: 'node',
  connect: (url) => connectWebSocket(url),
  spawnSlot: () => spawnSlotThread(),
  hardwareConcurrency: () => availableParallelism(),
  totalMemoryBytes: () => totalmem(),
  defaultNodeName: () => `${hostname()}-${process.pid}`,
  gpu: nodeGpu,
  spillStorage: (nodeName, dir) =>
    fileSpillStorage(dir ?? join(tmpdir(), `wrt-spill-${nodeName.replace(/[^A-Za-z0-9._-]/g, '_')}-${process.pid}`)),
  log: (line) => process.stderr.write(line + '\n'),
};

/**
 * The Node platform of a node or client: `ca` adds PEM certificates to trust for `wss://` heads
 * (`--ca-file`); `confinement` limits the file sources and NATS servers of the jobs its slots run
 * (`--data-dir`, `--allow-nats`; confinement.ts).
 */
export function configuredNodePlatform(o: { ca?: string | Buffer; confinement?: Confinement }): Platform {
  return {
    ...nodePlatform,
    connect: (url) => connectWebSocket(url, o.ca),
    spawnSlot: () => spawnSlotThread(o.confinement),
  };
}
