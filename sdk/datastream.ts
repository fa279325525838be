/**
 * The DataStream API: builds a stream job graph (runtime/protocol/job-graph.fbs with
 * `streaming: true`) the way Flink's `StreamExecutionEnvironment` does, for a pipeline to return
 * from its `graph-for` export (encode it with `encodeJobGraph` at build time, ADR 0001) or for the
 * runtime to run. Platform-free: the same in Node and in the browser.
 *
 * Rows are typed columns (row batch layout WRB1, docs/batch-format.md) with an event timestamp
 * (ms). Operators named by string are exports of the pipeline's wasm module; windows, interval
 * joins and aggregates are built into the runtime (runtime/stream/). Every time is milliseconds.
 *
 * ```ts
 * const env = new StreamEnvironment('q11');
 * env.source('bids', { format: 'nexmark', columns: BID, properties: { table: 'bid' } })
 *   .keyBy('bidder')
 *   .window({ kind: 'Session', gapMs: 10_000 })
 *   .aggregate('sessions', [{ function: 'count', as: 'bid_count' }], ['starttime', 'endtime'])
 *   .sinkTo('out', { format: 'csv' });
 * const graph = env.build();
 * ```
 * Errors: `WrtError('WRT_BAD_JOB_GRAPH')` naming the vertex, for unknown columns, duplicate ids and
 * bad window sizes.
 */
import { WrtError } from '../runtime/errors.js';
import type { JobGraph, JobGraphEdge, JobGraphVertex, StateSpec, StreamColumn, WindowSpec } from '../runtime/protocol/messages.js';

export type { StreamColumn, WindowSpec, StateSpec } from '../runtime/protocol/messages.js';

export type { OperatorOptions, SourceOptions, SinkOptions, AggregateOption } from './datastream-options.js';
import {
  aggregateColumn,
  alignmentOf,
  aggregateSpec,
  blankVertex,
  joinVertex,
  processVertex,
  type OperatorOptions,
  type SourceOptions,
  type SinkOptions,
  type AggregateOption,
} from './datastream-options.js';

const bad = (why: string): never => {
  throw new WrtError('WRT_BAD_JOB_GRAPH', why);
};

/**
 * Builds a stream job graph (Flink's `StreamExecutionEnvironment`): `source(...)` starts a
 * {@link DataStream}; `build()` returns the graph to run with `executeStream` (wrt/sdk) or to encode
 * into a pipeline module's `graph-for` export.
 */
export class StreamEnvironment {
  private readonly vertices: JobGraphVertex[] = [];
  private readonly edges: JobGraphEdge[] = [];

  /**
   * @param parallelism default subtasks per operator; 0 lets the runtime choose (its slots).
   * @param maxParallelism key groups (Flink's max parallelism). @default 128
   */
  constructor(
    readonly name: string,
    readonly parallelism = 0,
    readonly maxParallelism = 128,
  ) {}

  /** @internal */
  add(
    v: JobGraphVertex,
    inputs: { stream: DataStream; partitioning: JobGraphEdge['partitioning']; key?: number[]; input?: number }[],
  ): DataStream {
    if (this.vertices.some((x) => x.id === v.id)) bad(`job graph "${this.name}": vertex id "${v.id}" is used twice`);
    this.vertices.push(v);
    for (const i of inputs) {
      // A union is one edge from each of its members (the receiver reads them as one input).
      for (const m of i.stream.members) {
        let partitioning = i.partitioning;
        if (partitioning === 'Forward' || partitioning === 'Rebalance')
          partitioning = m.parallelism === v.parallelism ? 'Forward' : 'Rebalance';
        const e: JobGraphEdge = { from: m.id, to: v.id, partitioning };
        if (i.key) e.key = i.key;
        if (i.input) e.input = i.input;
        if (m.output) e.output = m.output;
        this.edges.push(e);
      }
    }
    return new DataStream(this, v.id, v.columns ?? [], v.parallelism);
  }

  /** @internal vertex `id` and the columns of its first input (what a Window's late data carries). */
  inputOf(id: string): { vertex: JobGraphVertex | undefined; columns: StreamColumn[] } {
    const vertex = this.vertices.find((v) => v.id === id);
    const columnsOf = (e: JobGraphEdge | undefined): StreamColumn[] =>
      !e
        ? []
        : e.output === 1
          ? columnsOf(this.edges.find((x) => x.to === e.from && !x.input))
          : (this.vertices.find((v) => v.id === e.from)?.columns ?? []);
    return { vertex, columns: columnsOf(this.edges.find((e) => e.to === id && !e.input)) };
  }

  /**
   * A source vertex `id`: rows of `o.columns` from `o.format` (`nexmark`, `csv`, `jsonl`, `text`, `nats`).
   * @throws WrtError `WRT_BAD_JOB_GRAPH` for a used id, an idle timeout that is not a positive integer (ms)
   *   or a watermark alignment out of bounds (datastream-options.ts `alignmentOf`)
   */
  source(id: string, o: SourceOptions): DataStream {
    const v = blankVertex(id, 'Source', o, this);
    v.format = o.format;
    v.columns = o.columns;
    if (o.properties) v.properties = o.properties;
    if (o.watermarkBoundMs) v.watermarkBoundMs = o.watermarkBoundMs;
    if (o.idleTimeoutMs !== undefined) {
      if (!(Number.isSafeInteger(o.idleTimeoutMs) && o.idleTimeoutMs > 0))
        bad(`source "${id}": idleTimeoutMs must be a positive integer (ms), got ${o.idleTimeoutMs}`);
      v.idleTimeoutMs = o.idleTimeoutMs;
    }
    if (o.watermarkAlignment) v.watermarkAlignment = alignmentOf(id, o.watermarkAlignment);
    return this.add(v, []);
  }

  /**
   * The job graph (`streaming: true`), a copy: the environment can go on growing.
   * @throws WrtError `WRT_BAD_JOB_GRAPH` when the graph has no sink
   */
  build(): JobGraph {
    if (!this.vertices.some((v) => v.kind === 'Sink')) bad(`job graph "${this.name}" has no sink`);
    return {
      name: this.name,
      vertices: this.vertices.map((v) => ({ ...v })),
      edges: this.edges.map((e) => ({ ...e })),
      streaming: true,
      maxParallelism: this.maxParallelism,
    };
  }
}

/**
 * A stream of rows of `columns` from one vertex (Flink's `DataStream`): `map`, `union`, `keyBy`,
 * `global`, `lateData` and `sinkTo` add vertices after it.
 */
export class DataStream {
  constructor(
    readonly env: StreamEnvironment,
    readonly id: string,
    readonly columns: StreamColumn[],
    /** Subtasks of the vertex (0: the runtime's default). */
    readonly parallelism: number,
    /** @internal the vertices a {@link union} reads from; a plain stream is its own one member. */
    readonly members: readonly DataStream[] = [],
    /** @internal which output of the vertex (1: a Window's late side output). */
    readonly output = 0,
  ) {
    if (members.length === 0) this.members = [this];
  }

  /**
   * The late side output of a window aggregation (Flink's `sideOutputLateData`): the elements that
   * came too late for every window they belong to (after the window's last millisecond plus its
   * allowed lateness had passed the watermark), as they came — the window's input columns and
   * timestamps. Without a reader, late elements are dropped.
   * @throws WrtError `WRT_BAD_JOB_GRAPH` when this stream is not a window aggregation's result.
   */
  lateData(): DataStream {
    const { vertex, columns } = this.env.inputOf(this.id);
    if (this.members.length !== 1 || this.output !== 0 || vertex?.kind !== 'Window')
      bad(`lateData(): "${this.id}" is not the result of a window aggregation`);
    return new DataStream(this.env, this.id, columns, this.parallelism, [], 1);
  }

  /**
   * The elements of this stream and of `others` as one stream (Flink's `union`): no vertex of its
   * own — whatever consumes it gets one input edge from each, and takes the smallest of their
   * watermarks. Every stream must have the same columns (names and types, in order).
   * @throws WrtError `WRT_BAD_JOB_GRAPH` naming the stream whose columns differ.
   */
  union(...others: DataStream[]): DataStream {
    const shape = (s: DataStream): string => s.columns.map((c) => `${c.name}:${c.type}`).join(', ');
    for (const o of others) {
      if (o.env !== this.env) bad(`union: stream "${o.id}" belongs to another job graph`);
      if (shape(o) !== shape(this))
        bad(`union: stream "${o.id}" has columns (${shape(o)}), stream "${this.id}" has (${shape(this)}); union needs the same columns`);
    }
    const members = [...new Set([this, ...others].flatMap((s) => s.members))];
    return new DataStream(this.env, `union(${members.map((m) => m.id).join(', ')})`, this.columns, this.parallelism, members);
  }

  /** Forward when the receiver runs as many subtasks, else round robin (as Flink chooses). */
  private edgeTo(parallelism: number) {
    return { stream: this, partitioning: parallelism === this.parallelism ? ('Forward' as const) : ('Rebalance' as const) };
  }

  /** Index of column `name`. @throws WrtError `WRT_BAD_JOB_GRAPH`. */
  column(name: string): number {
    const i = this.columns.findIndex((c) => c.name === name);
    if (i < 0) bad(`vertex "${this.id}" has no column "${name}" (columns: ${this.columns.map((c) => c.name).join(', ')})`);
    return i;
  }

  /**
   * A wasm operator over batches: map, filter, flatMap and projections alike take a row batch and
   * return one with `columns` (export `operator(input: list<u8>) -> result<list<u8>, string>`).
   */
  map(id: string, operator: string, columns: StreamColumn[], o: OperatorOptions = {}): DataStream {
    const v = blankVertex(id, 'Map', o, this.env);
    v.operator = operator;
    v.columns = columns;
    return this.env.add(v, [this.edgeTo(v.parallelism)]);
  }

  /** Partitions by the values of `columns` (hash into key groups, Flink's `keyBy`). */
  keyBy(...columns: string[]): KeyedStream {
    return new KeyedStream(
      this,
      columns.map((c) => this.column(c)),
    );
  }

  /** Everything to one subtask, keyed by nothing (a non-keyed window or aggregate). */
  global(): KeyedStream {
    return new KeyedStream(this, []);
  }

  /** Ends the stream in sink vertex `id`. @throws WrtError `WRT_BAD_JOB_GRAPH` for a used id */
  sinkTo(id: string, o: SinkOptions): void {
    const v = blankVertex(id, 'Sink', o, this.env);
    v.format = o.format;
    v.columns = this.columns;
    if (o.properties) v.properties = o.properties;
    this.env.add(v, [this.edgeTo(v.parallelism)]);
  }
}

/**
 * A stream partitioned by key columns (`key`: their indexes; empty: one global partition), as
 * Flink's `KeyedStream`: windows, aggregates, keyed process functions and joins act per key.
 */
export class KeyedStream {
  constructor(
    readonly stream: DataStream,
    readonly key: number[],
  ) {}

  /** @internal the edge into a keyed operator. */
  edge(input = 0) {
    return this.key.length === 0
      ? { stream: this.stream, partitioning: 'Global' as const, input }
      : { stream: this.stream, partitioning: 'Hash' as const, key: this.key, input };
  }

  /** The key columns, in key order. */
  keyColumns(): StreamColumn[] {
    return this.key.map((k) => this.stream.columns[k]!);
  }

  /**
   * Event-time windows per key: `Tumbling` (`sizeMs`), `Sliding` (`sizeMs`, `slideMs`) or `Session`
   * (`gapMs`), with `offsetMs` and `allowedLatenessMs`; all milliseconds.
   * @throws WrtError `WRT_BAD_JOB_GRAPH` for a missing or non-positive size, slide or gap
   */
  window(spec: Partial<WindowSpec> & Pick<WindowSpec, 'kind'>): WindowedStream {
    const w: WindowSpec = { sizeMs: 0, slideMs: 0, gapMs: 0, offsetMs: 0, allowedLatenessMs: 0, ...spec };
    if (w.kind === 'Session' ? !(w.gapMs > 0) : !(w.sizeMs > 0))
      bad(`a ${w.kind} window needs a positive ${w.kind === 'Session' ? 'gapMs' : 'sizeMs'}`);
    if (w.kind === 'Sliding' && !(w.slideMs > 0)) bad('a Sliding window needs a positive slideMs');
    return new WindowedStream(this, w);
  }

  /** Keyed aggregation without windows; bounded input: the final result per key at end of input. */
  aggregate(id: string, aggregates: AggregateOption[], o: OperatorOptions = {}): DataStream {
    const v = blankVertex(id, 'Aggregate', this.key.length === 0 ? { ...o, parallelism: 1 } : o, this.stream.env);
    v.aggregates = aggregates.map((a) => aggregateSpec(this.stream, a));
    v.columns = [...this.keyColumns(), ...aggregates.map((a) => aggregateColumn(this.stream, a))];
    return this.stream.env.add(v, [this.edge()]);
  }

  /**
   * A wasm keyed process function (Flink's `KeyedProcessFunction`): `operator` gets batches of
   * rows, and batches of fired timers, and reaches `states` and timers through the
   * `wrt:runtime/keyed-state` imports (docs/streaming.md).
   */
  process(id: string, operator: string, columns: StreamColumn[], states: StateSpec[], o: OperatorOptions = {}): DataStream {
    return this.stream.env.add(processVertex(id, operator, columns, states, o, [this]), [this.edge(0)]);
  }

  /** Two keyed inputs into one process function (Flink's `KeyedCoProcessFunction`); keys must agree in type. */
  connect(other: KeyedStream): ConnectedStreams {
    if (other.key.length !== this.key.length)
      bad(`connected streams need keys of the same arity (${this.key.length} vs ${other.key.length})`);
    return new ConnectedStreams(this, other);
  }

  /** Interval join (Flink's `KeyedStream.intervalJoin`): pairs with lower ≤ right.time − left.time ≤ upper. */
  intervalJoin(right: KeyedStream, lowerMs: number, upperMs: number): IntervalJoin {
    if (!(lowerMs <= upperMs)) bad(`interval join bounds are reversed: lower ${lowerMs} > upper ${upperMs}`);
    return new IntervalJoin(this, right, lowerMs, upperMs);
  }

  /**
   * Window join (Flink's `join(…).where(…).equalTo(…).window(…)`): every pair of a left and a
   * right element with the same key in the same tumbling or sliding event-time window, emitted when
   * the window fires, at its last millisecond. Keys must agree in arity.
   */
  join(right: KeyedStream): { window(spec: Partial<WindowSpec> & Pick<WindowSpec, 'kind'>): WindowJoin } {
    if (right.key.length !== this.key.length) bad(`window join: keys of ${this.key.length} and ${right.key.length} columns`);
    return {
      window: (spec) => {
        if (spec.kind === 'Session') bad('a window join takes tumbling or sliding windows, not session windows');
        return new WindowJoin(this, right, this.window(spec).spec);
      },
    };
  }
}

/** Two keyed streams read by one process function (Flink's `ConnectedStreams`), made by `KeyedStream.connect`. */
export class ConnectedStreams {
  constructor(
    readonly first: KeyedStream,
    readonly second: KeyedStream,
  ) {}

  /** `operator` gets rows of the first input on port 0, of the second on port 1, timers on port 2. */
  process(id: string, operator: string, columns: StreamColumn[], states: StateSpec[], o: OperatorOptions = {}): DataStream {
    return this.first.stream.env.add(processVertex(id, operator, columns, states, o, [this.first, this.second]), [
      this.first.edge(0),
      this.second.edge(1),
    ]);
  }
}

/**
 * An interval join (Flink's): a left row joins right rows of the same key whose timestamps lie in
 * [left + lowerMs, left + upperMs]. Made by `KeyedStream.intervalJoin`.
 */
export class IntervalJoin {
  constructor(
    readonly left: KeyedStream,
    readonly right: KeyedStream,
    readonly lowerMs: number,
    readonly upperMs: number,
  ) {}

  /** The joined rows keep `columns`, named from the left's columns then the right's (left wins a clash). */
  project(id: string, columns: string[], o: OperatorOptions = {}): DataStream {
    const v = joinVertex('IntervalJoin', id, this.left, this.right, columns, o);
    v.lowerBoundMs = this.lowerMs;
    v.upperBoundMs = this.upperMs;
    return this.left.stream.env.add(v, [this.left.edge(0), this.right.edge(1)]);
  }
}

/** A window join (Flink's): rows of both sides with the same key in the same window join. Made by `KeyedStream.join(...).window(...)`. */
export class WindowJoin {
  constructor(
    readonly left: KeyedStream,
    readonly right: KeyedStream,
    readonly spec: WindowSpec,
  ) {}

  /** The joined rows keep `columns`, named from the left's columns then the right's (left wins a clash). */
  project(id: string, columns: string[], o: OperatorOptions = {}): DataStream {
    const v = joinVertex('WindowJoin', id, this.left, this.right, columns, o);
    v.window = this.spec;
    return this.left.stream.env.add(v, [this.left.edge(0), this.right.edge(1)]);
  }
}

/** A keyed stream cut into event-time windows, made by `KeyedStream.window`; `aggregate` closes it. */
export class WindowedStream {
  constructor(
    readonly keyed: KeyedStream,
    readonly spec: WindowSpec,
  ) {}

  /**
   * Built-in aggregates per key and window. Output columns: the key columns, the aggregates, then
   * the window's start and end (timestamps, named by `windowColumns`); each row's timestamp is the
   * window's last millisecond (end − 1).
   */
  aggregate(
    id: string,
    aggregates: AggregateOption[],
    windowColumns: [string, string] = ['window_start', 'window_end'],
    o: OperatorOptions = {},
  ): DataStream {
    const s = this.keyed.stream;
    const v = blankVertex(id, 'Window', this.keyed.key.length === 0 ? { ...o, parallelism: 1 } : o, s.env);
    v.window = this.spec;
    v.aggregates = aggregates.map((a) => aggregateSpec(s, a));
    v.columns = [
      ...this.keyed.keyColumns(),
      ...aggregates.map((a) => aggregateColumn(s, a)),
      { name: windowColumns[0], type: 'Timestamp' },
      { name: windowColumns[1], type: 'Timestamp' },
    ];
    return s.env.add(v, [this.keyed.edge()]);
  }
}
