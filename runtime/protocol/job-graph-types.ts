/**
 * Job graphs as plain TypeScript values (runtime/protocol/job-graph.fbs; job-graph-codec.ts
 * converts them): vertices, edges, stream columns, windows, aggregates, keyed state and
 * watermark alignment. Lengths of time in milliseconds, sizes in bytes. messages.ts re-exports
 * them with the messages that carry graphs.
 */

export type ColumnType = 'I64' | 'F64' | 'Utf8' | 'Timestamp';

/** A column of a stream vertex's output rows (row batch layout WRB1, docs/batch-format.md). */
export interface StreamColumn {
  name: string;
  type: ColumnType;
}

/** Event-time window assigner; every length in milliseconds. */
export interface WindowSpec {
  kind: 'Tumbling' | 'Sliding' | 'Session';
  sizeMs: number;
  slideMs: number;
  gapMs: number;
  offsetMs: number;
  allowedLatenessMs: number;
}

/** A built-in aggregate over input column `column` (-1 for count). */
export interface AggregateSpec {
  /** Built-in, or `wasm`: a user aggregate function (the module's export `operator`). */
  function: 'count' | 'sum' | 'min' | 'max' | 'avg' | 'wasm';
  column: number;
  /** `wasm`: the export's name. */
  operator?: string;
}

/** Keyed state of a Process vertex; `ttlMs` 0 = forever (processing-time ms). */
export interface StateSpec {
  name: string;
  kind: 'Value' | 'List' | 'Map';
  ttlMs: number;
}

export interface JobGraphVertex {
  id: string;
  kind: 'Source' | 'Map' | 'Reduce' | 'Sink' | 'Window' | 'IntervalJoin' | 'Process' | 'Aggregate' | 'WindowJoin';
  operator: string;
  /** Parallel subtasks; 0 = the runtime's default. */
  parallelism: number;
  format: string;
  /** 0 = the runtime's default. */
  maxMemoryBytes: number;
  /** 0 = the runtime's default. */
  deadlineMs: number;
  /** GPUs each subtask needs (0 or 1); a GPU operator may import `wrt:runtime/gpu`. */
  gpus: number;
  // Stream vertices only (absent in batch graphs); see job-graph.fbs.
  columns?: StreamColumn[];
  /** Connector options; `${arg}` values are replaced by job arguments at submission. */
  properties?: Record<string, string>;
  window?: WindowSpec;
  aggregates?: AggregateSpec[];
  states?: StateSpec[];
  lowerBoundMs?: number;
  upperBoundMs?: number;
  project?: number[];
  watermarkBoundMs?: number;
  idleTimeoutMs?: number;
  /** Sources: watermark alignment (job-graph.fbs `alignment_group`; stream/watermark-alignment.ts). */
  watermarkAlignment?: WatermarkAlignmentSpec;
}

/**
 * A source's watermark alignment (Flink's `WatermarkStrategy.withWatermarkAlignment`, FLIP-182):
 * its subtasks pause while their watermark is more than `maxDriftMs` (event-time ms) ahead of the
 * slowest watermark of `group` across the job, and report theirs at most every `updateIntervalMs`.
 */
export interface WatermarkAlignmentSpec {
  group: string;
  maxDriftMs: number;
  updateIntervalMs: number;
}

export interface JobGraphEdge {
  from: string;
  to: string;
  partitioning: 'Forward' | 'Hash' | 'Rebalance' | 'Global';
  /** Streams: key columns of the sender for Hash partitioning. */
  key?: number[];
  /** Streams: the receiver's input (0 or 1). */
  input?: number;
  /** Streams: the sender's output (0 its results, 1 a Window's late side output). */
  output?: number;
}

export interface JobGraph {
  name: string;
  vertices: JobGraphVertex[];
  edges: JobGraphEdge[];
  /** A stream job graph; absent or false: a batch graph. */
  streaming?: boolean;
  /** Streams: key groups; 0 or absent = 128. */
  maxParallelism?: number;
}
