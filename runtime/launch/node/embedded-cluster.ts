/**
 * The SDK's embedded cluster (`init()` with no address; docs/adr/0006): the head and the first node
 * run in the driver's own process, like Flink's MiniCluster or Spark's `local[*]`. Slots are still
 * worker threads with their own wasm instances and the node's arena; head, node agent and driver
 * speak the ordinary protocol over in-memory connections ({@link memoryConnectionPair}) instead of
 * loopback sockets. The head also listens on a loopback port, so other drivers, `wrt status` and
 * browser tabs can join; nodes beyond the first are separate `wrt start` processes.
 */
import type { ChildProcess } from 'node:child_process';
import { Head } from '../../head/head.js';
import { NodeAgent, type LocalObjects } from '../../node/node-agent.js';
import { memoryConnectionPair } from '../../platform/memory-connection.js';
import type { Platform } from '../../platform/platform.js';
import { DEFAULT_CHECKPOINT_BASE, DEFAULT_SAVEPOINT_BASE, checkpointDirectory } from '../../platform/node/checkpoint-dir.js';
import { connectJetStream } from '../../platform/node/connectors.js';
import { configuredNodePlatform, nodePlatform } from '../../platform/node/platform.js';
import { confinedJetStream } from '../../platform/node/confinement.js';
import { serveHead } from './head-server.js';
import { reachOf, spawnNode, stopProcess, type LocalReach } from './local-cluster.js';
import { WrtError } from '../../errors.js';
import { newClusterSecret } from '../../protocol/credentials.js';
import { withCredential } from '../../client/authenticate.js';
import { removeClusterToken, writeClusterToken } from './cluster-token.js';

export interface EmbeddedClusterOptions {
  /** Nodes: the first in this process, the others `wrt start` processes. @default 1 */
  nodes?: number;
  /** Slots per node. */
  cpus: number;
  /** How many nodes (from the first) offer their WebGPU adapter. @default all */
  gpuNodes?: number;
  /** What jobs may reach: file-source directories and NATS servers (local-cluster.ts's defaults). */
  reach?: LocalReach;
}

export interface EmbeddedCluster {
  /** The head's WebSocket URL on loopback (for other drivers and tools). */
  address: string;
  /** The platform the driver connects with: `address` reaches the head in memory; connections authenticate as a driver with the cluster secret. */
  platform: Platform;
  /** The in-process node's objects (null for a cluster of processes). */
  local: LocalObjects | null;
  /** Stops the extra node processes, the in-process node's slots, and the head. Idempotent. */
  stop(): Promise<void>;
}

/** Starts the head and the in-process node; resolves once every node has joined. @throws WrtError `WRT_CONNECTION`. */
export async function startEmbeddedCluster(options: EmbeddedClusterOptions): Promise<EmbeddedCluster> {
  const nodes = Math.max(1, options.nodes ?? 1);
  const gpuNodes = options.gpuNodes ?? nodes;
  const reach = options.reach ?? {};
  const confinement = reachOf(reach);
  const secret = newClusterSecret();
  const head = new Head({
    clusterSecret: secret,
    checkpoints: checkpointDirectory(DEFAULT_CHECKPOINT_BASE, DEFAULT_SAVEPOINT_BASE),
    connectJetStream: confinedJetStream(connectJetStream, confinement.allowNats),
  });
  let joined = 0;
  const allJoined = new Promise<void>((resolve) =>
    head.onNodeRegistered(() => {
      if (++joined >= nodes) resolve();
    }),
  );
  const server = await serveHead(head, '127.0.0.1', 0);
  const address = `ws://127.0.0.1:${server.port}/ws`;
  await writeClusterToken(secret, server.port);
  // `address` reaches the head in memory; any other address, over a socket.
  const inMemory: Platform = {
    ...configuredNodePlatform({ confinement }),
    connect: async (url) => {
      if (url !== address) return nodePlatform.connect(url);
      const [mine, heads] = memoryConnectionPair(`${address} (in process)`, 'in process');
      head.accept(heads);
      return mine;
    },
  };
  const platform = withCredential(inMemory, secret, 'driver');
  const agent = new NodeAgent(withCredential(inMemory, secret, 'node'), {
    address,
    cpus: options.cpus,
    name: 'local-1',
    gpu: gpuNodes > 0,
  });
  const processes: ChildProcess[] = [];
  let stopped: Promise<void> | null = null;
  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      await Promise.all(processes.map(stopProcess));
      await agent.stop();
      head.close();
      await server.close();
      await removeClusterToken(secret, server.port);
    })());
  try {
    await agent.start();
    for (let i = 1; i < nodes; i++) {
      const p = spawnNode(address, secret, options.cpus, i, i < gpuNodes, reach);
      processes.push(p);
      p.stderr?.resume();
      p.stdout?.resume();
    }
    const exited = new Promise<never>((_, reject) =>
      processes.forEach((p, i) =>
        p.once('exit', (code) => reject(new WrtError('WRT_CONNECTION', `local node ${i + 2} exited (code ${code}) before it joined`))),
      ),
    );
    await Promise.race([allJoined, exited]);
    return { address, platform, local: agent.localObjects(), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
