/**
 * The job graph (runtime/protocol/job-graph.fbs, root `JobGraph`, identifier "WJG1"): encoding,
 * guarded decoding of the bytes a pipeline's `graph` export returns, and validation.
 */
import * as flatbuffers from 'flatbuffers';
import { WrtError } from '../errors.js';
import { CheckedByteBuffer, FrameBoundsError } from './checked-byte-buffer.js';
import type { JobGraph, JobGraphVertex } from './messages.js';
import { JobGraph as JobGraphTable } from './generated/wrt/protocol/job-graph.js';
import { Vertex } from './generated/wrt/protocol/vertex.js';
import { Edge } from './generated/wrt/protocol/edge.js';

const KINDS = ['Source', 'Map', 'Reduce', 'Sink'] as const;
const PARTITIONINGS = ['Forward', 'Hash'] as const;

/** @internal Writes a JobGraph table into `b`. */
export function encodeJobGraphTable(b: flatbuffers.Builder, g: JobGraph): flatbuffers.Offset {
  const vertices = g.vertices.map((v) => {
    const id = b.createString(v.id);
    const op = b.createString(v.operator);
    const format = b.createString(v.format);
    Vertex.startVertex(b);
    Vertex.addId(b, id);
    Vertex.addKind(b, KINDS.indexOf(v.kind));
    Vertex.addOperator(b, op);
    Vertex.addParallelism(b, v.parallelism);
    Vertex.addFormat(b, format);
    Vertex.addMaxMemoryBytes(b, BigInt(v.maxMemoryBytes));
    Vertex.addDeadlineMs(b, v.deadlineMs);
    Vertex.addGpus(b, v.gpus);
    return Vertex.endVertex(b);
  });
  const edges = g.edges.map((e) => Edge.createEdge(b, b.createString(e.from), b.createString(e.to), PARTITIONINGS.indexOf(e.partitioning)));
  const name = b.createString(g.name);
  const vv = JobGraphTable.createVerticesVector(b, vertices);
  const ev = JobGraphTable.createEdgesVector(b, edges);
  return JobGraphTable.createJobGraph(b, name, vv, ev);
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
    });
  }
  const edges = [];
  for (let i = 0; i < t.edgesLength(); i++) {
    const e = t.edges(i);
    if (!e) throw new FrameBoundsError(`edge ${i} missing`);
    edges.push({ from: e.from() ?? '', to: e.to() ?? '', partitioning: pick(PARTITIONINGS, e.partitioning(), 'partitioning') });
  }
  return { name: t.name() ?? '', vertices, edges };
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
