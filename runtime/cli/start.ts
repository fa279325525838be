/** `wrt start --head` and `wrt start --address URL`: the long-running cluster processes. */
import process from 'node:process';
import { Head } from '../head/head.js';
import { serveHead } from '../launch/node/head-server.js';
import { nodePlatform } from '../platform/node/platform.js';
import { NodeAgent } from '../node/node-agent.js';
import { headWebSocketUrl } from '../client/job-client.js';
import { checkpointDirectory } from '../platform/node/checkpoint-dir.js';
import { connectJetStream } from '../platform/node/connectors.js';
import { reportReady } from '../launch/node/local-cluster.js';

/** Runs `stop` once on SIGINT or SIGTERM, then exits 0. */
function onShutdown(stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (): void => {
    if (stopping) return;
    stopping = true;
    stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}

export interface HeadCommandOptions {
  host: string;
  port: number;
  heartbeatIntervalMs: number;
  heartbeatTimeoutMs: number;
  quiet: boolean;
  /** Where stream jobs' checkpoints go. */
  checkpointDir: string;
  /** Where savepoints go when `wrt savepoint` / `wrt stop` name no directory. */
  savepointDir: string;
}

export async function startHeadCommand(o: HeadCommandOptions): Promise<void> {
  const head = new Head({
    heartbeatIntervalMs: o.heartbeatIntervalMs,
    heartbeatTimeoutMs: o.heartbeatTimeoutMs,
    log: o.quiet ? () => {} : (line) => process.stderr.write(line + '\n'),
    checkpoints: checkpointDirectory(o.checkpointDir, o.savepointDir),
    connectJetStream,
  });
  head.onNodeRegistered((n) => {
    process.stdout.write(`node joined ${n.id} ${n.name} ${n.platform} ${n.cpus} gpus=${n.gpus}\n`);
    reportReady({ type: 'wrt-node-registered', nodeId: n.id, name: n.name });
  });
  const server = await serveHead(head, o.host, o.port);
  const shown = o.host === '0.0.0.0' || o.host === '::' ? '127.0.0.1' : o.host;
  process.stdout.write(
    `wrt head listening on ws://${shown}:${server.port}/ws (volunteer page and status: http://${shown}:${server.port}/)\n`,
  );
  reportReady({ type: 'wrt-head-listening', address: `ws://${shown}:${server.port}/ws` });
  onShutdown(async () => {
    head.close();
    await server.close();
  });
}

export interface NodeCommandOptions {
  address: string;
  cpus?: number;
  name?: string;
  storeMb?: number;
  spillDir?: string;
  resources?: Record<string, number>;
  /** Offer the WebGPU adapter as a GPU (commander's --no-gpu sets false). */
  gpu: boolean;
}

export async function startNodeCommand(o: NodeCommandOptions): Promise<void> {
  const agent = new NodeAgent(nodePlatform, {
    address: headWebSocketUrl(o.address),
    cpus: o.cpus,
    name: o.name,
    storeBytes: o.storeMb ? o.storeMb * 2 ** 20 : undefined,
    spillDir: o.spillDir,
    resources: o.resources,
    gpu: o.gpu,
  });
  let stopping = false;
  agent.on((e) => {
    if (e.type === 'disconnected' && !stopping) {
      process.stderr.write(`wrt node: lost the head (${e.reason}); exiting\n`);
      void agent.stop().finally(() => process.exit(1));
    }
  });
  const id = await agent.start();
  process.stdout.write(
    `wrt node ${id} "${agent.name}" joined ${o.address} with ${agent.cpus} slots and ${agent.gpu ? `a GPU: ${agent.gpuAdapter}` : `no GPU (${agent.gpuAdapter})`}\n`,
  );
  reportReady({ type: 'wrt-node-joined', nodeId: id });
  onShutdown(async () => {
    stopping = true;
    await agent.stop();
  });
}
