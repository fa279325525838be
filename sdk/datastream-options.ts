/**
 * Options of the DataStream API's sources, sinks, operators and aggregates (sdk/datastream.ts;
 * lengths of time in milliseconds, sizes in bytes), and the vertex fields they turn into.
 */
import { WrtError } from '../runtime/errors.js';
import type {
  AggregateSpec,
  ColumnType,
  JobGraphVertex,
  StateSpec,
  StreamColumn,
  WatermarkAlignmentSpec,
} from '../runtime/protocol/messages.js';
import { checkWatermarkAlignment, DEFAULT_ALIGNMENT_UPDATE_MS } from '../runtime/stream/alignment-spec.js';

/** Common vertex options. */
export interface OperatorOptions {
  /** Parallel subtasks; default: the environment's parallelism. */
  parallelism?: number;
  /** Linear-memory cap of a wasm operator instance, bytes. */
  maxMemoryBytes?: number;
  /** Deadline of one wasm call, ms. */
  deadlineMs?: number;
}

/** A source vertex: its format, its columns (the rows it emits) and its watermarks. */
export interface SourceOptions extends OperatorOptions {
  /** "nexmark" (properties: table = person | auction | bid, events, seed). */
  format: string;
  columns: StreamColumn[];
  properties?: Record<string, string>;
  /** Bounded out-of-orderness of the source's watermarks, ms. @default 0 */
  watermarkBoundMs?: number;
  /**
   * Processing time (ms) without data after which the source — or one split of it, as a NATS
   * subject filter — is idle: it stops holding back the watermark downstream until data comes
   * again (Flink's `WatermarkStrategy.withIdleness`). @default never idle
   */
  idleTimeoutMs?: number;
  /**
   * Watermark alignment (Flink's `withWatermarkAlignment`, FLIP-182): a subtask of this source whose
   * watermark is more than `maxDriftMs` (event-time ms) ahead of the slowest source subtask of
   * `group` in the job reads nothing until the group catches up, so a fast split cannot make joins
   * and windows buffer without bound. `updateIntervalMs`: how often watermarks are reported
   * (processing-time ms, 10–60000). @default not aligned; updateIntervalMs 1000
   */
  watermarkAlignment?: { group: string; maxDriftMs: number; updateIntervalMs?: number };
}

/**
 * The vertex field of a source's `watermarkAlignment` option, the interval defaulted.
 * @throws WrtError `WRT_BAD_JOB_GRAPH` naming the source and the field at fault.
 */
export function alignmentOf(id: string, a: NonNullable<SourceOptions['watermarkAlignment']>): WatermarkAlignmentSpec {
  const spec = { group: a.group, maxDriftMs: a.maxDriftMs, updateIntervalMs: a.updateIntervalMs ?? DEFAULT_ALIGNMENT_UPDATE_MS };
  checkWatermarkAlignment(id, spec);
  return spec;
}

/** A sink vertex: where the rows go (`csv` parts to the submitter, `blackhole`, `nats`; docs/streaming.md). */
export interface SinkOptions extends OperatorOptions {
  /** "csv": part-NNNNN.csv files with a header line (RFC 4180, ISO-8601 timestamps). */
  format: string;
  properties?: Record<string, string>;
}

/** A built-in aggregate and the name of its output column. */
export interface AggregateOption {
  /**
   * Built-in, or `wasm`: a user aggregate function, the module's export `operator` (windows only;
   * it gets the values of `column` of each fired window and returns one result each, of `type`).
   */
  function: AggregateSpec['function'];
  /** Input column (not for count). */
  column?: string;
  as: string;
  /** `wasm`: the export. */
  operator?: string;
  /** `wasm`: the result's column type. */
  type?: ColumnType;
}

/** What aggregates read of a stream: its columns and the index of one by name. */
interface Columns {
  readonly columns: StreamColumn[];
  column(name: string): number;
}

const bad = (why: string): never => {
  throw new WrtError('WRT_BAD_JOB_GRAPH', why);
};

/** A vertex of `kind` with the common options `o` (parallelism defaults to the environment's). @internal */
export const blankVertex = (
  id: string,
  kind: JobGraphVertex['kind'],
  o: OperatorOptions,
  env: { parallelism: number },
): JobGraphVertex => ({
  id,
  kind,
  operator: '',
  parallelism: o.parallelism ?? env.parallelism,
  format: '',
  maxMemoryBytes: o.maxMemoryBytes ?? 0,
  deadlineMs: o.deadlineMs ?? 0,
  gpus: 0,
});

/** The vertex spec of aggregate `a` over stream `s`. @throws WrtError `WRT_BAD_JOB_GRAPH` @internal */
export function aggregateSpec(s: Columns, a: AggregateOption): AggregateSpec {
  if (a.function !== 'count' && a.column === undefined) bad(`aggregate ${a.function} "${a.as}" needs a column`);
  const spec: AggregateSpec = { function: a.function, column: a.function === 'count' ? -1 : s.column(a.column!) };
  if (a.function === 'wasm') {
    if (!a.operator || !a.type) bad(`wasm aggregate "${a.as}" needs its operator export and its result type`);
    spec.operator = a.operator;
  }
  return spec;
}

/** The output column of aggregate `a` over stream `s`. @internal */
export function aggregateColumn(s: Columns, a: AggregateOption): StreamColumn {
  if (a.function === 'count') return { name: a.as, type: 'I64' };
  if (a.function === 'wasm') return { name: a.as, type: a.type! };
  if (a.function === 'avg') return { name: a.as, type: 'F64' };
  return { name: a.as, type: s.columns[s.column(a.column!)]!.type };
}

/** What a join reads of each keyed input: its key and its stream's columns and environment. */
interface JoinSide {
  readonly key: number[];
  readonly stream: { readonly columns: StreamColumn[]; readonly env: { parallelism: number } };
}

/** The vertex of a two-input join whose output keeps `columns` of left ++ right (left wins a name clash). @throws WrtError `WRT_BAD_JOB_GRAPH` for a column neither side has @internal */
export function joinVertex(
  kind: 'IntervalJoin' | 'WindowJoin',
  id: string,
  left: JoinSide,
  right: JoinSide,
  columns: string[],
  o: OperatorOptions,
): JobGraphVertex {
  const all = [...left.stream.columns, ...right.stream.columns];
  const project = columns.map((name) => {
    const i = all.findIndex((c) => c.name === name);
    if (i < 0) bad(`${kind === 'IntervalJoin' ? 'interval' : 'window'} join "${id}": no column "${name}" on either side`);
    return i;
  });
  const v = blankVertex(id, kind, left.key.length === 0 ? { ...o, parallelism: 1 } : o, left.stream.env);
  v.project = project;
  v.columns = project.map((i) => all[i]!);
  return v;
}

/** The vertex of a keyed process function reading `inputs` (one stream, or two connected). @internal */
export function processVertex(
  id: string,
  operator: string,
  columns: StreamColumn[],
  states: StateSpec[],
  o: OperatorOptions,
  inputs: JoinSide[],
): JobGraphVertex {
  const v = blankVertex(id, 'Process', inputs[0]!.key.length === 0 ? { ...o, parallelism: 1 } : o, inputs[0]!.stream.env);
  v.operator = operator;
  v.columns = columns;
  v.states = states;
  return v;
}
