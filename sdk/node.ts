/**
 * The SDK in Node: `const rt = await init()` starts an embedded local cluster (a head and one node
 * process, like `ray.init()`), `init({ address })` joins a running one.
 */
import { nodePlatform } from '../runtime/platform/node/platform.js';
import { loadModuleSource, startEmbeddedCluster } from '../runtime/platform/node/sdk-support.js';
import { Runtime } from './runtime.js';

export * from './index.js';

export interface InitOptions {
  /** The head (ws://HOST:PORT or http://HOST:PORT). Without it, an embedded cluster starts. */
  address?: string;
  /** Embedded cluster: node processes. @default 1 */
  nodes?: number;
  /** Embedded cluster: slots per node. @default cores / nodes */
  cpus?: number;
  /** Embedded cluster: how many nodes offer their WebGPU adapter as a GPU (the rest offer none). @default all */
  gpuNodes?: number;
}

/** Connects to a cluster, or starts one. @throws WrtError `WRT_CONNECTION`. */
export async function init(options: InitOptions = {}): Promise<Runtime> {
  if (options.address) return Runtime.connect(nodePlatform, options.address, loadModuleSource);
  const cluster = await startEmbeddedCluster(options.nodes ?? 1, options.cpus, options.gpuNodes);
  try {
    return await Runtime.connect(nodePlatform, cluster.address, loadModuleSource, () => cluster.stop());
  } catch (err) {
    await cluster.stop();
    throw err;
  }
}
