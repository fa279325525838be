/**
 * What a stream subtask runs, made from its vertex: a source (connectors.ts), a sink, or an
 * operator (operators/), with the key columns of each input port and the subtask's key-group
 * range. StreamSubtask (stream-subtask.ts) moves elements between them and its channels.
 */
import { edgeColumns, type PlannedVertex, type StreamPlan } from './execution-graph.js';
import { keyGroupRange } from './key-groups.js';
import {
  GroupAggregateOperator,
  IntervalJoinStreamOperator,
  WindowJoinStreamOperator,
  WasmMapOperator,
  WasmProcessOperator,
  WindowAggregateOperator,
  type Output,
  type StreamOperator,
} from './operators.js';
import { createSink, createSource, type StreamSink, type StreamSource } from './connectors.js';
import { WrtError } from '../errors.js';
import type { SubtaskHost } from './stream-element.js';

/** A subtask's source, sink or operator: exactly one is set. */
export interface SubtaskParts {
  source: StreamSource | null;
  sink: StreamSink | null;
  operator: StreamOperator | null;
}

/**
 * Makes what subtask `index` of vertex `pv` runs; an operator emits into `out`.
 * @throws WrtError `WRT_BAD_JOB_GRAPH` for a vertex kind that does not run in stream jobs, or
 *   what the source, sink or operator refuses (see each).
 */
export function subtaskParts(plan: StreamPlan, pv: PlannedVertex, index: number, host: SubtaskHost, out: Output): SubtaskParts {
  const v = pv.vertex;
  const parts: SubtaskParts = { source: null, sink: null, operator: null };
  const keys = [0, 1].map((port) => pv.inputs.find((e) => (e.input ?? 0) === port)?.key ?? []);
  const range = keyGroupRange(index, plan.maxParallelism, pv.parallelism);
  switch (v.kind) {
    case 'Source':
      parts.source = createSource(v, index, pv.parallelism, host.connectors ?? {}, () => host.wake?.());
      break;
    case 'Sink':
      parts.sink = createSink(v);
      break;
    case 'Map':
      parts.operator = new WasmMapOperator(v, host.instantiate({}), out, host.outputCapBytes);
      break;
    case 'Process': {
      const from = edgeColumns(
        plan.byId,
        pv.inputs.find((e) => (e.input ?? 0) === 0)!,
      );
      const keyTypes = keys[0]!.map((k) => from[k]!.type);
      const op = new WasmProcessOperator(v, keys, keyTypes, range, plan.maxParallelism, out, host.outputCapBytes);
      const made: { instance?: WebAssembly.Instance } = {};
      made.instance = host.instantiate(op.imports(() => made.instance));
      op.bind(made.instance);
      parts.operator = op;
      break;
    }
    case 'Window':
      parts.operator = new WindowAggregateOperator(
        v,
        keys[0]!,
        out,
        edgeColumns(plan.byId, pv.inputs[0]!),
        () => host.instantiate({}),
        host.outputCapBytes,
      );
      break;
    case 'IntervalJoin':
      parts.operator = new IntervalJoinStreamOperator(v, keys, out);
      break;
    case 'WindowJoin':
      parts.operator = new WindowJoinStreamOperator(v, keys, out);
      break;
    case 'Aggregate':
      parts.operator = new GroupAggregateOperator(v, keys[0]!, out);
      break;
    default:
      throw new WrtError('WRT_BAD_JOB_GRAPH', `vertex "${v.id}": ${v.kind} vertices do not run in stream jobs`);
  }
  return parts;
}
