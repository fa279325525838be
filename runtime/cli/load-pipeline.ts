/**
 * Loading a pipeline `.wasm` for submission. A component is taken apart with jco's transpile API,
 * in process, to find its core module (the fast path nodes instantiate directly); a core module
 * is taken as it is. Its job graph comes from the module itself, here, once:
 * - world `pipeline` (batch): the `graph` export;
 * - world `stream-pipeline`: `configure(args)`, given the job's `--arg`s, returns a stream graph
 *   (its keyed-state imports refuse every call at this point; operators get them on the nodes).
 */
import { readFile } from 'node:fs/promises';
import { WrtError } from '../errors.js';
import { wasmKind } from '../sandbox/wasm-binary.js';
import { callConfigure, callGraph, operatorExports } from '../sandbox/operator-call.js';
import { coreModuleOf } from '../platform/node/component-core.js';
import { gpuImports } from '../node/gpu-bridge.js';
import { refusingKeyedState } from '../stream/keyed-state-imports.js';
import { decodeJobGraph, planBatchJob, type BatchPlan } from '../protocol/job-graph-codec.js';
import type { JobGraph } from '../protocol/messages.js';

interface Loaded {
  /** The core module nodes run. */
  core: Uint8Array;
  graph: JobGraph;
  kind: 'core' | 'component';
}

export type LoadedPipeline = (Loaded & { streaming: false; plan: BatchPlan }) | (Loaded & { streaming: true });

/**
 * Reads and checks a pipeline.
 * @param args the job's arguments (`--arg`), given to a stream pipeline's `configure`
 * @throws WrtError `WRT_INPUT_NOT_FOUND` (no such file), `WRT_NOT_WASM` (not wasm),
 *   `WRT_MISSING_EXPORT` (not a pipeline: neither `graph` nor `configure`, or an operator its
 *   graph names is missing), `WRT_BAD_JOB_GRAPH` (a batch graph malformed or of an unsupported shape;
 *   a stream graph's shape is checked by the head when it plans the job),
 *   `WRT_INVALID_ARGUMENT` (the pipeline refused its arguments, or a connector needs one not given).
 */
export async function loadPipeline(path: string, args: Record<string, string> = {}): Promise<LoadedPipeline> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch {
    throw new WrtError('WRT_INPUT_NOT_FOUND', `pipeline ${path} does not exist or cannot be read`);
  }
  const core = await coreModuleOf(bytes, path);
  const kind = wasmKind(bytes) === 'component' ? 'component' : 'core';
  let instance: WebAssembly.Instance;
  let streaming: boolean;
  try {
    const module = await WebAssembly.compile(core as Uint8Array<ArrayBuffer>);
    const exports = new Set(WebAssembly.Module.exports(module).map((e) => e.name));
    streaming = exports.has('configure');
    if (!streaming && !exports.has('graph')) {
      throw new WrtError(
        'WRT_MISSING_EXPORT',
        `${path} lacks the "graph" export of world pipeline and the "configure" export of world stream-pipeline (wit/runtime.wit); is it a wrt pipeline?`,
      );
    }
    // The graph export runs here, on the CLI: a GPU import is linked but not granted.
    const made: { instance?: WebAssembly.Instance } = {};
    const gpu = gpuImports(
      module,
      false,
      () => made.instance,
      () => undefined,
    );
    instance = made.instance = await WebAssembly.instantiate(module, { ...refusingKeyedState(module), ...gpu });
  } catch (err) {
    if (err instanceof WrtError) throw err;
    if (err instanceof WebAssembly.LinkError) {
      throw new WrtError('WRT_MISSING_EXPORT', `${path} imports what the pipeline world does not grant: ${err.message}`);
    }
    throw new WrtError('WRT_NOT_WASM', `${path} is not valid WebAssembly: ${(err as Error).message}`);
  }
  const requireOperator = (kindName: string, id: string, operator: string): void => {
    try {
      operatorExports(instance, operator);
    } catch (err) {
      throw new WrtError(
        'WRT_MISSING_EXPORT',
        `${path}: the job graph's ${kindName} vertex "${id}" names operator "${operator}", but ${(err as Error).message}`,
      );
    }
  };
  if (streaming) {
    const graph = decodeJobGraph(callConfigure(instance, args));
    // The head plans the job (parallelism, arguments, shape rules: runtime/stream/execution-graph.ts);
    // here only what needs the module: the operators the graph names.
    if (!graph.streaming) throw new WrtError('WRT_BAD_JOB_GRAPH', `${path}: configure returned a graph not marked as a stream job graph`);
    for (const v of graph.vertices) if ((v.kind === 'Map' || v.kind === 'Process') && v.operator) requireOperator(v.kind, v.id, v.operator);
    return { core, graph, kind, streaming: true };
  }
  const graph = decodeJobGraph(callGraph(instance));
  const plan = planBatchJob(graph);
  for (const v of [plan.map, plan.reduce]) requireOperator(v.kind, v.id, v.operator);
  return { core, graph, kind, streaming: false, plan };
}
