/**
 * The SDK in Node: `const rt = await init()` starts an embedded local cluster (like `ray.init()`:
 * a head and a node in this process, slots as worker threads; docs/adr/0006), `init({ address })`
 * joins a running one.
 */
import { driverPlatform, loadModuleSource, startEmbeddedCluster } from '../runtime/launch/node/sdk-support.js';
import { Runtime } from './runtime.js';
import { executeStreamOn, type StreamJobOptions, type StreamJobResult } from './stream-job.js';
import type { JobGraph } from '../runtime/protocol/messages.js';

export * from './index.js';

/** Options of {@link init} in Node: a head to join, or the shape of the embedded cluster to start. */
export interface InitOptions {
  /** The head (ws://HOST:PORT or http://HOST:PORT). Without it, an embedded cluster starts. */
  address?: string;
  /**
   * `address`: the credential (the cluster secret or a driver token from `wrt token`).
   * @default `$WRT_TOKEN`, else, for a loopback head, the token file it wrote (docs/security.md)
   */
  token?: string;
  /** `address` over `wss://`: PEM certificates to trust besides the system's (a self-signed head's). */
  ca?: string;
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
  /** Embedded cluster: directories stream jobs' file sources may read under. @default the working directory */
  dataDirs?: string[];
  /** Embedded cluster: NATS servers (HOST or HOST:PORT) stream jobs may reach. @default loopback */
  allowNats?: string[];
}

/**
 * Connects to a cluster, or starts one.
 * @throws WrtError `WRT_CONNECTION`; `WRT_UNAUTHENTICATED` when the head refuses the credential or none is found
 */
export async function init(options: InitOptions = {}): Promise<Runtime> {
  if (options.address)
    return Runtime.connect(await driverPlatform(options.address, options.token, options.ca), options.address, loadModuleSource);
  const cluster = await startEmbeddedCluster(options.nodes ?? 1, options.cpus, options.gpuNodes, options.processes, {
    dataDirs: options.dataDirs,
    allowNats: options.allowNats,
  });
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
export async function executeStream(
  address: string,
  graph: JobGraph,
  options?: StreamJobOptions & { token?: string; ca?: string },
): Promise<StreamJobResult> {
  return executeStreamOn(await driverPlatform(address, options?.token, options?.ca), loadModuleSource, address, graph, options);
}
