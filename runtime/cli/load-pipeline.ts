/**
 * Loading a pipeline `.wasm` for submission. A component is taken apart with jco's transpile API,
 * in process, to find its core module (the fast path nodes instantiate directly); a core module
 * is taken as it is. The pipeline's `graph` export is called here, once, to get its job graph.
 */
import { readFile } from 'node:fs/promises';
import { WrtError } from '../errors.js';
import { wasmKind } from '../node/wasm-binary.js';
import { callGraph, operatorExports } from '../node/operator-call.js';
import { coreModuleOf } from '../platform/node/component-core.js';
import { gpuImports } from '../node/gpu-bridge.js';
import { decodeJobGraph, planBatchJob, type BatchPlan } from '../protocol/job-graph-codec.js';
import type { JobGraph } from '../protocol/messages.js';

export interface LoadedPipeline {
  /** The core module nodes run. */
  core: Uint8Array;
  graph: JobGraph;
  plan: BatchPlan;
  kind: 'core' | 'component';
}

/**
 * Reads and checks a pipeline.
 * @throws WrtError `WRT_INPUT_NOT_FOUND` (no such file), `WRT_NOT_WASM` (not wasm),
 *   `WRT_MISSING_EXPORT` (not a pipeline: no `graph`, or an operator its graph names is missing),
 *   `WRT_BAD_JOB_GRAPH` (graph malformed or of an unsupported shape).
 */
export async function loadPipeline(path: string): Promise<LoadedPipeline> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch {
    throw new WrtError('WRT_INPUT_NOT_FOUND', `pipeline ${path} does not exist or cannot be read`);
  }
  const core = await coreModuleOf(bytes, path);
  const kind = wasmKind(bytes) === 'component' ? 'component' : 'core';
  let instance: WebAssembly.Instance;
  try {
    const module = await WebAssembly.compile(core as Uint8Array<ArrayBuffer>);
    if (!WebAssembly.Module.exports(module).some((e) => e.name === 'graph')) {
      throw new WrtError(
        'WRT_MISSING_EXPORT',
        `${path} lacks the pipeline world's "graph" export (wit/runtime.wit, world pipeline); is it a wrt pipeline?`,
      );
    }
    // The graph export runs here, on the CLI: a GPU import is linked but not granted.
    const made: { instance?: WebAssembly.Instance } = {};
    instance = made.instance = await WebAssembly.instantiate(
      module,
      gpuImports(
        module,
        false,
        () => made.instance,
        () => undefined,
      ),
    );
  } catch (err) {
    if (err instanceof WrtError) throw err;
    if (err instanceof WebAssembly.LinkError) {
      throw new WrtError('WRT_MISSING_EXPORT', `${path} imports what the pipeline world does not grant: ${err.message}`);
    }
    throw new WrtError('WRT_NOT_WASM', `${path} is not valid WebAssembly: ${(err as Error).message}`);
  }
  const graph = decodeJobGraph(callGraph(instance));
  const plan = planBatchJob(graph);
  for (const v of [plan.map, plan.reduce]) {
    try {
      operatorExports(instance, v.operator);
    } catch (err) {
      throw new WrtError(
        'WRT_MISSING_EXPORT',
        `${path}: the job graph's ${v.kind} vertex "${v.id}" names operator "${v.operator}", but ${(err as Error).message.replace(/^the module/, 'the module')}`,
      );
    }
  }
  return { core, graph, plan, kind };
}
