/**
 * From a stream job graph to what runs: each vertex gets its parallelism and its input edges by
 * port, `${arg}` properties get the job's arguments, and every shape rule is checked up front so a
 * bad pipeline fails at submission with a message naming the vertex, not in the middle of a run.
 */
import type { JobGraph, JobGraphEdge, JobGraphVertex, StreamColumn } from '../protocol/messages.js';
import { WrtError } from '../errors.js';
import { DEFAULT_MAX_PARALLELISM } from './key-groups.js';
import { checkWatermarkAlignment } from './alignment-spec.js';

export interface PlannedVertex {
  vertex: JobGraphVertex;
  parallelism: number;
  /** Input edges; `edge.input` is the port (0 or 1). */
  inputs: JobGraphEdge[];
  outputs: JobGraphEdge[];
}

export interface StreamPlan {
  graph: JobGraph;
  maxParallelism: number;
  /** Vertices in topological order (sources first). */
  vertices: PlannedVertex[];
  byId: Map<string, PlannedVertex>;
}

const KEYED = new Set<JobGraphVertex['kind']>(['Window', 'IntervalJoin', 'Process', 'Aggregate', 'WindowJoin']);
const TWO_PORTS = new Set<JobGraphVertex['kind']>(['IntervalJoin', 'Process', 'WindowJoin']);

/**
 * Validates `graph` and resolves it for a run.
 * @param defaultParallelism subtasks of vertices whose parallelism is 0.
 * @throws WrtError `WRT_BAD_JOB_GRAPH` naming the vertex or edge at fault; `WRT_INVALID_ARGUMENT`
 *   when a property names a job argument that was not given.
 */
export function planStreamJob(graph: JobGraph, args: Record<string, string>, defaultParallelism: number): StreamPlan {
  const bad = (why: string): never => {
    throw new WrtError('WRT_BAD_JOB_GRAPH', `stream job graph "${graph.name}": ${why}`);
  };
  if (!graph.streaming) bad('it is not marked as a stream job graph');
  const maxParallelism = graph.maxParallelism || DEFAULT_MAX_PARALLELISM;
  const byId = new Map<string, PlannedVertex>();
  for (const v of graph.vertices) {
    if (!v.id) bad('a vertex has no id');
    if (byId.has(v.id)) bad(`vertex id "${v.id}" is used twice`);
    if (v.kind === 'Reduce') bad(`vertex "${v.id}" is a batch Reduce; stream graphs aggregate with Window or Aggregate`);
    if ((v.kind === 'Map' || v.kind === 'Process') && !v.operator) bad(`${v.kind} vertex "${v.id}" names no operator export`);
    if ((v.kind === 'Window' || v.kind === 'WindowJoin') && !v.window) bad(`${v.kind} vertex "${v.id}" has no window spec`);
    if (v.kind === 'WindowJoin' && v.window!.kind === 'Session')
      bad(`window join "${v.id}" takes tumbling or sliding windows, not session windows`);
    for (const a of v.aggregates ?? []) {
      if (a.function !== 'wasm') continue;
      if (v.kind !== 'Window') bad(`${v.kind} vertex "${v.id}": wasm aggregates run in windows only`);
      if (!a.operator) bad(`window "${v.id}": a wasm aggregate names no operator export`);
      if (a.column < 0) bad(`window "${v.id}": wasm aggregate "${a.operator}" names no input column`);
    }
    if (v.kind !== 'Sink' && !(v.columns && v.columns.length > 0)) bad(`vertex "${v.id}" declares no output columns`);
    const parallelism = KEYED.has(v.kind) && v.parallelism === 0 ? defaultParallelism : v.parallelism || defaultParallelism;
    if (parallelism > maxParallelism) bad(`vertex "${v.id}" has parallelism ${parallelism}, over the job's ${maxParallelism} key groups`);
    const properties = v.properties && substitute(v, args);
    byId.set(v.id, { vertex: properties ? { ...v, properties } : v, parallelism, inputs: [], outputs: [] });
  }
  for (const e of graph.edges) {
    const from = byId.get(e.from);
    const to = byId.get(e.to);
    if (!from || !to) bad(`edge ${e.from} → ${e.to} names an unknown vertex`);
    const port = e.input ?? 0;
    if (port > (TWO_PORTS.has(to!.vertex.kind) ? 1 : 0))
      bad(`edge ${e.from} → ${e.to} goes to input ${port}, which ${to!.vertex.kind} vertices lack`);
    if (e.partitioning === 'Forward' && from!.parallelism !== to!.parallelism)
      bad(`Forward edge ${e.from} → ${e.to} joins parallelism ${from!.parallelism} to ${to!.parallelism}; use Rebalance`);
    if (KEYED.has(to!.vertex.kind) && e.partitioning !== 'Hash' && e.partitioning !== 'Global')
      bad(`${to!.vertex.kind} vertex "${e.to}" needs a keyed input (Hash or Global), got ${e.partitioning} from "${e.from}"`);
    const output = e.output ?? 0;
    if (output > 1 || (output === 1 && from!.vertex.kind !== 'Window'))
      bad(`edge ${e.from} → ${e.to} leaves output ${output} of "${e.from}"; only Window vertices have a second output (late data)`);
    if (e.partitioning === 'Global' && to!.parallelism !== 1) bad(`Global edge ${e.from} → ${e.to} needs "${e.to}" at parallelism 1`);
    from!.outputs.push(e);
    to!.inputs.push(e);
  }
  for (const e of graph.edges) {
    if (e.partitioning !== 'Hash') continue;
    const n = edgeColumns(byId, e).length;
    if (!e.key || e.key.length === 0) bad(`Hash edge ${e.from} → ${e.to} has no key columns`);
    for (const k of e.key!) if (k >= n) bad(`Hash edge ${e.from} → ${e.to} keys on column ${k}, but "${e.from}" has ${n}`);
  }
  for (const pv of byId.values()) {
    const v = pv.vertex;
    if (v.kind === 'Source' && pv.inputs.length > 0) bad(`source "${v.id}" has inputs`);
    if (v.kind !== 'Source' && pv.inputs.length === 0) bad(`vertex "${v.id}" has no input`);
    if (v.kind === 'Sink' && pv.outputs.length > 0) bad(`sink "${v.id}" has outputs`);
    if (v.watermarkAlignment && v.kind !== 'Source') bad(`vertex "${v.id}" is no source and cannot align watermarks`);
    if (v.watermarkAlignment) checkWatermarkAlignment(v.id, v.watermarkAlignment);
    if ((v.kind === 'IntervalJoin' || v.kind === 'WindowJoin') && new Set(pv.inputs.map((e) => e.input ?? 0)).size !== 2)
      bad(`${v.kind === 'IntervalJoin' ? 'interval' : 'window'} join "${v.id}" needs inputs 0 and 1`);
    if (v.kind === 'Sink' && !v.columns) pv.vertex = { ...v, columns: edgeColumns(byId, pv.inputs[0]!) };
  }
  return { graph, maxParallelism, vertices: topological(graph, byId, bad), byId };
}

/**
 * The graph of `plan` with everything planning resolved: each vertex's parallelism, its
 * properties with the job's arguments substituted, sink columns filled in. The head sends it to
 * every slot (DeployStreamSlot `graph`), which indexes it with {@link indexPlannedGraph} instead of
 * planning the job again.
 */
export function resolvedGraph(plan: StreamPlan): JobGraph {
  return {
    ...plan.graph,
    maxParallelism: plan.maxParallelism,
    vertices: plan.graph.vertices.map((v) => {
      const pv = plan.byId.get(v.id)!;
      return { ...pv.vertex, parallelism: pv.parallelism };
    }),
  };
}

/**
 * The {@link StreamPlan} of a graph the head planned ({@link resolvedGraph}): its vertices with
 * their input and output edges, in topological order. No checks, defaults or substitutions: those
 * happened once, at the head.
 * @throws WrtError `WRT_BAD_JOB_GRAPH` when an edge names an unknown vertex or the graph has a cycle
 *   (only a corrupted deployment can)
 */
export function indexPlannedGraph(graph: JobGraph): StreamPlan {
  const bad = (why: string): never => {
    throw new WrtError('WRT_BAD_JOB_GRAPH', `planned stream job graph "${graph.name}": ${why}`);
  };
  const byId = new Map<string, PlannedVertex>(
    graph.vertices.map((v) => [v.id, { vertex: v, parallelism: v.parallelism, inputs: [], outputs: [] }]),
  );
  for (const e of graph.edges) {
    const from = byId.get(e.from);
    const to = byId.get(e.to);
    if (!from || !to) bad(`edge ${e.from} → ${e.to} names an unknown vertex`);
    from!.outputs.push(e);
    to!.inputs.push(e);
  }
  return { graph, maxParallelism: graph.maxParallelism || DEFAULT_MAX_PARALLELISM, vertices: topological(graph, byId, bad), byId };
}

/**
 * The columns of what travels on edge `e`: its sender's output columns, or for a Window's late side
 * output (`e.output` 1) the columns of the Window's own input.
 */
export function edgeColumns(byId: Map<string, PlannedVertex>, e: JobGraphEdge): StreamColumn[] {
  const from = byId.get(e.from)!;
  if ((e.output ?? 0) === 0 || from.inputs.length === 0) return from.vertex.columns ?? [];
  return edgeColumns(byId, from.inputs[0]!);
}

/** A property `${name}` takes the job argument `name`; `${name:-default}` takes `default` when the job has none. */
function substitute(v: JobGraphVertex, args: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(v.properties!).map(([k, val]) => {
      const m = /^\$\{([^}:]+)(?::-([^}]*))?\}$/.exec(val);
      if (!m) return [k, val];
      const arg = args[m[1]!] ?? m[2];
      if (arg === undefined)
        throw new WrtError('WRT_INVALID_ARGUMENT', `vertex "${v.id}" needs the job argument "${m[1]}": pass --arg ${m[1]}=VALUE`);
      return [k, arg];
    }),
  );
}

function topological(graph: JobGraph, byId: Map<string, PlannedVertex>, bad: (why: string) => never): PlannedVertex[] {
  const indegree = new Map([...byId.keys()].map((id) => [id, byId.get(id)!.inputs.length]));
  const ready = [...byId.values()].filter((pv) => pv.inputs.length === 0);
  const out: PlannedVertex[] = [];
  while (ready.length > 0) {
    const pv = ready.shift()!;
    out.push(pv);
    for (const e of pv.outputs) {
      const n = indegree.get(e.to)! - 1;
      indegree.set(e.to, n);
      if (n === 0) ready.push(byId.get(e.to)!);
    }
  }
  if (out.length !== graph.vertices.length) bad('the graph has a cycle');
  return out;
}
