/**
 * The SDK in Node: `const rt = await init()` starts an embedded local cluster (like `ray.init()`:
 * a head and a node in this process, slots as worker threads; docs/adr/0006), `init({ address })`
 * joins a running one.
 */
import { nodePlatform } from '../runtime/platform/node/platform.js';
import { loadModuleSource, startEmbeddedCluster } from '../runtime/launch/node/sdk-support.js';
import { Runtime } from './runtime.js';
import { executeStreamOn, type StreamJobOptions, type StreamJobResult } from './stream-job.js';
import type { JobGraph } from '../runtime/protocol/messages.js';

export * from './index.js';

/** Options of {@link init} in Node: a head to join, or the shape of the embedded cluster to start. */
export interface InitOptions {
  /** The head (ws://HOST:PORT or http://HOST:PORT). Without it, an embedded cluster starts. */
  address?: string;
  /** Embedded cluster: nodes (the first in this process, the others processes). @default 1 */
  nodes?: number;
  /** Embedded cluster: slots per node. @default cores / nodes */
  cpus?: number;
  /** Embedded cluster: how many nodes offer their WebGPU adapter as a GPU (the rest offer none). @default all */
  gpuNodes?: number;
  /**
   * Embedded cluster: run the head and every node as separate processes (as `wrt start` would)
   * instead of in this process. @default false
   */
  processes?: boolean;
}

/** Connects to a cluster, or starts one. @throws WrtError `WRT_CONNECTION`. */
export async function init(options: InitOptions = {}): Promise<Runtime> {
  if (options.address) return Runtime.connect(nodePlatform, options.address, loadModuleSource);
  const cluster = await startEmbeddedCluster(options.nodes ?? 1, options.cpus, options.gpuNodes, options.processes);
  try {
    return await Runtime.connect(cluster.platform, cluster.address, loadModuleSource, () => cluster.stop(), cluster.local);
  } catch (err) {
    await cluster.stop();
    throw err;
  }
}

/**
 * Runs the stream job `graph` (built with `StreamEnvironment` from `wrt/stream`) on the cluster at
 * `address` (e.g. `rt.address`) to its end, as Flink's `env.execute()`; see sdk/stream-job.ts.
 * @returns the job id, its final state and the text of its CSV sink parts
 * @throws WrtError `WRT_INVALID_ARGUMENT` (not a stream graph), the failing subtask's code, `WRT_CONNECTION`
 */
export function executeStream(address: string, graph: JobGraph, options?: StreamJobOptions): Promise<StreamJobResult> {
  return executeStreamOn(nodePlatform, loadModuleSource, address, graph, options);
}
