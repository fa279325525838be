/**
 * The job graph (runtime/protocol/job-graph.fbs, root `JobGraph`, identifier "WJG1"): encoding,
 * guarded decoding of the bytes a pipeline's `graph` export returns, and validation.
 */
import * as flatbuffers from 'flatbuffers';
import { WrtError } from '../errors.js';
import { CheckedByteBuffer, FrameBoundsError } from './checked-byte-buffer.js';
import type { AggregateSpec, JobGraph, JobGraphEdge, JobGraphVertex } from './messages.js';
import { JobGraph as JobGraphTable } from './generated/wrt/protocol/job-graph.js';
import { Vertex } from './generated/wrt/protocol/vertex.js';
import { Edge } from './generated/wrt/protocol/edge.js';
import { Column } from './generated/wrt/protocol/column.js';
import { KeyValue } from './generated/wrt/protocol/key-value.js';
import { WindowSpec as WindowSpecTable } from './generated/wrt/protocol/window-spec.js';
import { Aggregate } from './generated/wrt/protocol/aggregate.js';
import { StateSpec as StateSpecTable } from './generated/wrt/protocol/state-spec.js';

const KINDS = ['Source', 'Map', 'Reduce', 'Sink', 'Window', 'IntervalJoin', 'Process', 'Aggregate', 'WindowJoin'] as const;
const PARTITIONINGS = ['Forward', 'Hash', 'Rebalance', 'Global'] as const;
const COLUMN_TYPES = ['I64', 'F64', 'Utf8', 'Timestamp'] as const;
const WINDOW_KINDS = ['Tumbling', 'Sliding', 'Session'] as const;
const STATE_KINDS = ['Value', 'List', 'Map'] as const;
const AGGREGATES = ['count', 'sum', 'min', 'max', 'avg', 'wasm'] as const;

const big = (n: number | undefined): bigint => BigInt(n ?? 0);
const num = (n: bigint): number => (n > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(n));

/** The stream fields of a vertex, written before `startVertex` (FlatBuffers forbids nesting). */
function encodeStreamParts(b: flatbuffers.Builder, v: JobGraphVertex) {
  const columns = v.columns?.map((c) => Column.createColumn(b, b.createString(c.name), COLUMN_TYPES.indexOf(c.type)));
  const properties = v.properties
    ? Object.entries(v.properties).map(([k, val]) => KeyValue.createKeyValue(b, b.createString(k), b.createString(val)))
    : undefined;
  const aggregates = v.aggregates?.map((a) =>
    Aggregate.createAggregate(b, b.createString(a.function), a.column, a.operator ? b.createString(a.operator) : 0),
  );
  const states = v.states?.map((st) =>
    StateSpecTable.createStateSpec(b, b.createString(st.name), STATE_KINDS.indexOf(st.kind), big(st.ttlMs)),
  );
  const w = v.window;
  return {
    alignmentGroup: v.watermarkAlignment && b.createString(v.watermarkAlignment.group),
    columns: columns && Vertex.createColumnsVector(b, columns),
    properties: properties && Vertex.createPropertiesVector(b, properties),
    aggregates: aggregates && Vertex.createAggregatesVector(b, aggregates),
    states: states && Vertex.createStatesVector(b, states),
    project: v.project && Vertex.createProjectVector(b, v.project),
    window:
      w &&
      WindowSpecTable.createWindowSpec(
        b,
        WINDOW_KINDS.indexOf(w.kind),
        big(w.sizeMs),
        big(w.slideMs),
        big(w.gapMs),
        big(w.offsetMs),
        big(w.allowedLatenessMs),
      ),
  };
}

/** @internal Writes a JobGraph table into `b`. */
export function encodeJobGraphTable(b: flatbuffers.Builder, g: JobGraph): flatbuffers.Offset {
  const vertices = g.vertices.map((v) => {
    const id = b.createString(v.id);
    const op = b.createString(v.operator);
    const format = b.createString(v.format);
    const sp = encodeStreamParts(b, v);
    Vertex.startVertex(b);
    Vertex.addId(b, id);
    Vertex.addKind(b, KINDS.indexOf(v.kind));
    Vertex.addOperator(b, op);
    Vertex.addParallelism(b, v.parallelism);
    Vertex.addFormat(b, format);
    Vertex.addMaxMemoryBytes(b, BigInt(v.maxMemoryBytes));
    Vertex.addDeadlineMs(b, v.deadlineMs);
    Vertex.addGpus(b, v.gpus);
    if (sp.columns !== undefined) Vertex.addColumns(b, sp.columns);
    if (sp.properties !== undefined) Vertex.addProperties(b, sp.properties);
    if (sp.window !== undefined) Vertex.addWindow(b, sp.window);
    if (sp.aggregates !== undefined) Vertex.addAggregates(b, sp.aggregates);
    if (sp.states !== undefined) Vertex.addStates(b, sp.states);
    if (sp.project !== undefined) Vertex.addProject(b, sp.project);
    if (v.lowerBoundMs) Vertex.addLowerBoundMs(b, big(v.lowerBoundMs));
    if (v.upperBoundMs) Vertex.addUpperBoundMs(b, big(v.upperBoundMs));
    if (v.watermarkBoundMs) Vertex.addWatermarkBoundMs(b, big(v.watermarkBoundMs));
    if (v.idleTimeoutMs) Vertex.addIdleTimeoutMs(b, big(v.idleTimeoutMs));
    if (sp.alignmentGroup !== undefined) {
      Vertex.addAlignmentGroup(b, sp.alignmentGroup);
      Vertex.addMaxDriftMs(b, big(v.watermarkAlignment!.maxDriftMs));
      Vertex.addAlignmentUpdateMs(b, v.watermarkAlignment!.updateIntervalMs);
    }
    return Vertex.endVertex(b);
  });
  const edges = g.edges.map((e) => {
    const from = b.createString(e.from);
    const to = b.createString(e.to);
    const key = e.key && Edge.createKeyVector(b, e.key);
    Edge.startEdge(b);
    Edge.addFrom(b, from);
    Edge.addTo(b, to);
    Edge.addPartitioning(b, PARTITIONINGS.indexOf(e.partitioning));
    if (key !== undefined) Edge.addKey(b, key);
    if (e.input) Edge.addInput(b, e.input);
    if (e.output) Edge.addOutput(b, e.output);
    return Edge.endEdge(b);
  });
  const name = b.createString(g.name);
  const vv = JobGraphTable.createVerticesVector(b, vertices);
  const ev = JobGraphTable.createEdgesVector(b, edges);
  JobGraphTable.startJobGraph(b);
  JobGraphTable.addName(b, name);
  JobGraphTable.addVertices(b, vv);
  JobGraphTable.addEdges(b, ev);
  if (g.streaming) JobGraphTable.addStreaming(b, true);
  if (g.maxParallelism) JobGraphTable.addMaxParallelism(b, g.maxParallelism);
  return JobGraphTable.endJobGraph(b);
}

function list<T>(n: number, at: (i: number) => T | null, what: string): T[] {
  const out: T[] = [];
  for (let i = 0; i < n; i++) {
    const x = at(i);
    if (x === null) throw new FrameBoundsError(`${what} ${i} missing`);
    out.push(x);
  }
  return out;
}

/** The stream fields of a decoded vertex (only those present). */
function decodeStreamParts(v: Vertex): Partial<JobGraphVertex> {
  const out: Partial<JobGraphVertex> = {};
  if (v.columnsLength() > 0)
    out.columns = list(v.columnsLength(), (i) => v.columns(i), 'column').map((c) => ({
      name: c.name() ?? '',
      type: pick(COLUMN_TYPES, c.type(), 'column type'),
    }));
  if (v.propertiesLength() > 0)
    out.properties = Object.fromEntries(
      list(v.propertiesLength(), (i) => v.properties(i), 'property').map((p) => [p.key() ?? '', p.value() ?? '']),
    );
  const w = v.window();
  if (w)
    out.window = {
      kind: pick(WINDOW_KINDS, w.kind(), 'window kind'),
      sizeMs: num(w.sizeMs()),
      slideMs: num(w.slideMs()),
      gapMs: num(w.gapMs()),
      offsetMs: num(w.offsetMs()),
      allowedLatenessMs: num(w.allowedLatenessMs()),
    };
  if (v.aggregatesLength() > 0)
    out.aggregates = list(v.aggregatesLength(), (i) => v.aggregates(i), 'aggregate').map((a) => {
      const fn = a.function_() ?? '';
      if (!(AGGREGATES as readonly string[]).includes(fn)) throw new FrameBoundsError(`unknown aggregate function "${fn}"`);
      const spec: AggregateSpec = { function: fn as (typeof AGGREGATES)[number], column: a.column() };
      if (a.operator()) spec.operator = a.operator()!;
      return spec;
    });
  if (v.statesLength() > 0)
    out.states = list(v.statesLength(), (i) => v.states(i), 'state').map((st) => ({
      name: st.name() ?? '',
      kind: pick(STATE_KINDS, st.kind(), 'state kind'),
      ttlMs: num(st.ttlMs()),
    }));
  if (v.projectLength() > 0) out.project = list(v.projectLength(), (i) => v.project(i), 'project index');
  if (v.lowerBoundMs() !== 0n) out.lowerBoundMs = Number(v.lowerBoundMs());
  if (v.upperBoundMs() !== 0n) out.upperBoundMs = Number(v.upperBoundMs());
  if (v.watermarkBoundMs() !== 0n) out.watermarkBoundMs = num(v.watermarkBoundMs());
  if (v.idleTimeoutMs() !== 0n) out.idleTimeoutMs = num(v.idleTimeoutMs());
  const group = v.alignmentGroup();
  if (group) out.watermarkAlignment = { group, maxDriftMs: num(v.maxDriftMs()), updateIntervalMs: v.alignmentUpdateMs() };
  return out;
}

function pick<T>(names: readonly T[], v: number, what: string): T {
  const n = names[v];
  if (n === undefined) throw new FrameBoundsError(`unknown ${what} ${v}`);
  return n;
}

/** @internal Reads a JobGraph table (bounds are checked by the caller's CheckedByteBuffer). */
export function decodeJobGraphTable(t: JobGraphTable): JobGraph {
  const vertices: JobGraphVertex[] = [];
  for (let i = 0; i < t.verticesLength(); i++) {
    const v = t.vertices(i);
    if (!v) throw new FrameBoundsError(`vertex ${i} missing`);
    const mem = v.maxMemoryBytes();
    vertices.push({
      id: v.id() ?? '',
      kind: pick(KINDS, v.kind(), 'vertex kind'),
      operator: v.operator() ?? '',
      parallelism: v.parallelism(),
      format: v.format() ?? '',
      maxMemoryBytes: mem > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(mem),
      deadlineMs: v.deadlineMs(),
      gpus: v.gpus(),
      ...decodeStreamParts(v),
    });
  }
  const edges = [];
  for (let i = 0; i < t.edgesLength(); i++) {
    const e = t.edges(i);
    if (!e) throw new FrameBoundsError(`edge ${i} missing`);
    const edge: JobGraphEdge = {
      from: e.from() ?? '',
      to: e.to() ?? '',
      partitioning: pick(PARTITIONINGS, e.partitioning(), 'partitioning'),
    };
    if (e.keyLength() > 0) edge.key = list(e.keyLength(), (k) => e.key(k), 'key column');
    if (e.input() !== 0) edge.input = e.input();
    if (e.output() !== 0) edge.output = e.output();
    edges.push(edge);
  }
  const g: JobGraph = { name: t.name() ?? '', vertices, edges };
  if (t.streaming()) g.streaming = true;
  if (t.maxParallelism() !== 0) g.maxParallelism = t.maxParallelism();
  return g;
}

/** Encodes a job graph as standalone FlatBuffers bytes (identifier "WJG1"). */
export function encodeJobGraph(g: JobGraph): Uint8Array {
  const b = new flatbuffers.Builder(512);
  b.finish(encodeJobGraphTable(b, g), 'WJG1');
  return b.asUint8Array();
}

/**
 * Decodes job-graph bytes returned by a pipeline.
 * @throws WrtError `WRT_BAD_JOB_GRAPH` when the bytes are not a well-formed "WJG1" buffer.
 */
export function decodeJobGraph(bytes: Uint8Array): JobGraph {
  try {
    if (bytes.byteLength < 12) throw new FrameBoundsError(`${bytes.byteLength} bytes is too short`);
    const bb = new CheckedByteBuffer(bytes);
    if (!bb.__has_identifier('WJG1')) throw new FrameBoundsError('the bytes lack the "WJG1" identifier');
    return decodeJobGraphTable(JobGraphTable.getRootAsJobGraph(bb));
  } catch (err) {
    throw new WrtError('WRT_BAD_JOB_GRAPH', `the pipeline's job graph is malformed: ${(err as Error).message}`);
  }
}

/** The one graph shape the batch runner executes: text source → map → hash shuffle → reduce → sink. */
export interface BatchPlan {
  source: JobGraphVertex;
  map: JobGraphVertex;
  reduce: JobGraphVertex;
  sink: JobGraphVertex;
}

/**
 * Checks a graph and finds its stages.
 * @throws WrtError `WRT_BAD_JOB_GRAPH` naming what is wrong.
 */
export function planBatchJob(g: JobGraph): BatchPlan {
  const bad = (why: string): never => {
    throw new WrtError('WRT_BAD_JOB_GRAPH', `job graph "${g.name}": ${why}`);
  };
  if (g.streaming) bad('it is a stream job graph; the batch runner takes Source → Map → Reduce → Sink');
  const ids = new Set<string>();
  for (const v of g.vertices) {
    if (!v.id) bad('a vertex has no id');
    if (ids.has(v.id)) bad(`vertex id "${v.id}" is used twice`);
    ids.add(v.id);
    if ((v.kind === 'Map' || v.kind === 'Reduce') && !v.operator) bad(`${v.kind} vertex "${v.id}" names no operator export`);
  }
  for (const e of g.edges) if (!ids.has(e.from) || !ids.has(e.to)) bad(`edge ${e.from} → ${e.to} names an unknown vertex`);
  const one = (kind: JobGraphVertex['kind']): JobGraphVertex => {
    const vs = g.vertices.filter((v) => v.kind === kind);
    if (vs.length !== 1) bad(`expected exactly one ${kind} vertex, found ${vs.length} (supported shape: Source → Map → Reduce → Sink)`);
    return vs[0]!;
  };
  const plan = { source: one('Source'), map: one('Map'), reduce: one('Reduce'), sink: one('Sink') };
  const edge = (a: JobGraphVertex, b: JobGraphVertex, p: 'Forward' | 'Hash'): void => {
    if (!g.edges.some((e) => e.from === a.id && e.to === b.id && e.partitioning === p)) bad(`missing ${p} edge ${a.id} → ${b.id}`);
  };
  edge(plan.source, plan.map, 'Forward');
  edge(plan.map, plan.reduce, 'Hash');
  edge(plan.reduce, plan.sink, 'Forward');
  if (g.edges.length !== 3) bad(`expected 3 edges, found ${g.edges.length}`);
  if (plan.source.format !== 'text') bad(`source format "${plan.source.format}" is not supported (supported: text)`);
  if (plan.sink.format !== 'tsv') bad(`sink format "${plan.sink.format}" is not supported (supported: tsv)`);
  if (plan.reduce.parallelism > 4096) bad(`reduce parallelism ${plan.reduce.parallelism} exceeds 4096`);
  return plan;
}
