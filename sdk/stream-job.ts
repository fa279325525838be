/**
 * Running a DataStream job from a driver, as Flink's `env.execute()` does: the graph built with
 * `StreamEnvironment` (`wrt/stream`) goes to the head with the wasm module of its operators; the
 * driver receives the rows of its CSV sinks and resolves when the job ends. Platform-neutral:
 * `sdk/node.ts` and `sdk/browser.ts` bind it to their platform and module loader.
 */
import type { Platform } from '../runtime/platform/platform.js';
import type { JobGraph } from '../runtime/protocol/messages.js';
import { runJob } from '../runtime/client/job-client.js';
import { WrtError } from '../runtime/errors.js';
import type { ModuleLoader } from './options.js';

/** Options of `executeStream`. Times are milliseconds. */
export interface StreamJobOptions {
  /**
   * The wasm module whose exports the graph's string-named operators are (a path, file: or http(s):
   * URL, or bytes, as `rt.load` takes). Omit it when the graph uses only built-in operators
   * (windows, aggregates, joins, sources and sinks).
   */
  module?: string | URL | Uint8Array;
  /** Job arguments that sources, sinks and operators read (`--arg name=value` of `wrt submit`). */
  args?: Record<string, string>;
  /** Subtasks of vertices that set no parallelism. @default 0 = the cluster's slots */
  parallelism?: number;
  /** Milliseconds between aligned checkpoints; 0 = none. @default 0 */
  checkpointIntervalMs?: number;
  /** Called with the job's id once the head accepts it (for `wrt savepoint / stop / cancel JOB`). */
  onAccepted?(jobId: string): void;
  /**
   * Receives the bytes of each CSV sink part as they arrive (`partition` = sink subtask index);
   * calls are serialised. Without it the parts are collected into the result.
   */
  onOutput?(partition: number, data: Uint8Array): Promise<void> | void;
}

/** How a stream job ended. */
export interface StreamJobResult {
  jobId: string;
  /** `Finished` (bounded sources ran to their end) or `Stopped` (`wrt stop`). */
  state: 'Finished' | 'Stopped';
  /** CSV sink output as UTF-8 text, one entry a sink subtask, in subtask order (empty with `onOutput`). */
  parts: string[];
}

/** The smallest valid core module (magic and version): the job's module when the graph has no wasm operators. */
const EMPTY_MODULE = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);

/**
 * Submits the stream job `graph` to the head at `address` and runs it to its end.
 * @throws WrtError `WRT_INVALID_ARGUMENT` when `graph` is not a stream graph, the failing subtask's
 *   code when the job fails (e.g. `WRT_OPERATOR_TRAP`, `WRT_INPUT_NOT_FOUND`), `WRT_CONNECTION`.
 */
export async function executeStreamOn(
  platform: Platform,
  loader: ModuleLoader,
  address: string,
  graph: JobGraph,
  options: StreamJobOptions = {},
): Promise<StreamJobResult> {
  if (!graph.streaming) {
    throw new WrtError(
      'WRT_INVALID_ARGUMENT',
      `job graph "${graph.name}" is not a stream graph; build it with StreamEnvironment (wrt/stream)`,
    );
  }
  const module = options.module === undefined ? EMPTY_MODULE : await loader(options.module);
  const parts = new Map<number, Uint8Array[]>();
  let jobId = '';
  const status = await runJob(
    platform,
    address,
    {
      name: graph.name,
      module,
      graph,
      inputChunks: 0,
      inputBytes: 0,
      args: options.args ?? {},
      operatorMaxMemoryBytes: 0,
      operatorDeadlineMs: 0,
      parallelism: options.parallelism ?? 0,
      checkpointIntervalMs: options.checkpointIntervalMs ?? 0,
    },
    {
      readChunk: (index) => Promise.reject(new WrtError('WRT_PROTOCOL', `a stream job has no input chunks (the head asked for ${index})`)),
      onOutput: (partition, data) => {
        if (options.onOutput) return options.onOutput(partition, data);
        const list = parts.get(partition) ?? [];
        list.push(data);
        parts.set(partition, list);
      },
      onAccepted: (id) => {
        jobId = id;
        options.onAccepted?.(id);
      },
    },
  );
  const decoder = new TextDecoder();
  const texts = [...parts.keys()]
    .sort((a, b) => a - b)
    .map((p) =>
      parts
        .get(p)!
        .map((b) => decoder.decode(b))
        .join(''),
    );
  return { jobId: jobId || status.jobId, state: status.state as StreamJobResult['state'], parts: texts };
}
