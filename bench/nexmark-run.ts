/**
 * One Nexmark query of samples/nexmark/build/pipeline.wasm as a stream job on a running cluster,
 * timed from the job's acceptance to its end, with the CPU seconds of the cluster's processes and
 * this client (/proc): what bench:nexmark and bench:scale measure.
 */
import { callConfigure } from '../runtime/sandbox/operator-call.js';
import { decodeJobGraph } from '../runtime/protocol/job-graph-codec.js';
import { refusingKeyedState } from '../runtime/stream/keyed-state-imports.js';
import type { LocalCluster } from '../runtime/launch/node/local-cluster.js';
import { runJob } from '../runtime/client/job-client.js';
import { nodePlatform } from '../runtime/platform/node/platform.js';
import { withCredential } from '../runtime/client/authenticate.js';
import type { JobGraph } from '../runtime/protocol/messages.js';
import { ownCpuSeconds, processCpuSeconds } from './process-cpu.js';

export interface NexmarkRun {
  jobId: string;
  /** Job accepted → finished, seconds. */
  seconds: number;
  /** CPU seconds of the cluster's processes and this one over the job. */
  cpuSeconds: number;
  detail: string;
}

/** The query's job graph from `configure` (`args`: query, events, seed), its sinks turned into `sink`. */
export function nexmarkQueryGraph(module: WebAssembly.Module, args: Record<string, string>, sink: 'blackhole' | 'csv'): JobGraph {
  const graph = decodeJobGraph(callConfigure(new WebAssembly.Instance(module, refusingKeyedState(module)), args));
  return { ...graph, vertices: graph.vertices.map((v) => (v.kind === 'Sink' ? { ...v, format: sink } : v)) };
}

/** Runs the query of `args` on `cluster` at `parallelism` (the sink output reaches this process and is dropped). */
export async function runNexmarkOnCluster(
  cluster: LocalCluster,
  module: WebAssembly.Module,
  core: Uint8Array,
  args: Record<string, string>,
  o: { parallelism: number; checkpointIntervalMs: number; sink: 'blackhole' | 'csv' },
): Promise<NexmarkRun> {
  const graph = nexmarkQueryGraph(module, args, o.sink);
  const pids = cluster.processes.map((p) => p.pid);
  const cpuBefore = pids.map(processCpuSeconds);
  const clientBefore = ownCpuSeconds();
  let started = 0;
  let bytes = 0;
  let jobId = '';
  const status = await runJob(
    withCredential(nodePlatform, cluster.token, 'driver'),
    cluster.address,
    {
      name: `nexmark-${args.query}`,
      module: core,
      graph,
      inputChunks: 0,
      inputBytes: 0,
      args,
      operatorMaxMemoryBytes: 0,
      operatorDeadlineMs: 0,
      parallelism: o.parallelism,
      checkpointIntervalMs: o.checkpointIntervalMs,
    },
    {
      readChunk: () => Promise.reject(new Error('a stream job has no input chunks')),
      onOutput: (_partition, data) => void (bytes += data.byteLength),
      onAccepted: (id) => {
        jobId = id;
        started = performance.now();
      },
    },
  );
  const seconds = (performance.now() - started) / 1000;
  let cpu = ownCpuSeconds() - clientBefore;
  pids.forEach((pid, i) => (cpu += processCpuSeconds(pid) - cpuBefore[i]!));
  return { jobId, seconds, cpuSeconds: cpu, detail: `${(bytes / 1e6).toFixed(2)} MB out, ${status.message}` };
}
