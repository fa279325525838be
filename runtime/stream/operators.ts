/**
 * The operators of a stream subtask, over row batches (WRB1): wasm Map and Process operators and
 * the built-in Window, IntervalJoin and Aggregate. A subtask feeds each operator batches per input
 * port and watermarks (after its inputs' valve); an operator emits batches through its
 * {@link Output} and may emit only rows with timestamps at or after the last watermark it passed on
 * (windows and timers fire before the watermark is forwarded).
 */
import type { AggregateSpec, ColumnType, JobGraphVertex, StateSpec, StreamColumn } from '../protocol/messages.js';
import { RowBatch, RowBatchBuilder, type Value } from './row-batch.js';
import { WindowOperator, type AggregateFunction } from './window-operator.js';
import { IntervalJoinOperator } from './interval-join.js';
import { WindowJoinOperator } from './window-join.js';
import { TimerQueue } from './timer-queue.js';
import { KeyedStateBackend, type StateKey } from './keyed-state.js';
import type { KeyGroupRange } from './key-groups.js';
import type { WindowAssigner } from './time-window.js';
import { keyedStateImports, KEYED_STATE_MODULE, type KeyedStateContext } from './keyed-state-imports.js';
import { callOperator } from '../sandbox/operator-call.js';
import { WrtError } from '../errors.js';

/** Where an operator's output goes. */
export interface Output {
  emit(batch: Uint8Array): void;
  /** A Window's late side output (absent: no edge reads it, late elements are dropped). */
  emitLate?(batch: Uint8Array): void;
}

export interface StreamOperator {
  processBatch(port: number, batch: RowBatch): void;
  /** The subtask's combined watermark advanced to `t` (ms). */
  advanceWatermark(t: number): void;
  /** Every input ended (after the final watermark). */
  endInput(): void;
  /** The operator's state as plain values (written by state-codec.ts), taken at a checkpoint barrier. */
  snapshot(): unknown;
  /** Takes the state of {@link snapshot} into a fresh operator. */
  restore(state: unknown): void;
  /** The earliest processing-time timer (ms since the epoch), or null; absent: the operator has none. */
  nextProcessingTime?(): number | null;
  /** Fires the processing-time timers due at `now` (ms since the epoch); true when any fired. */
  onProcessingTime?(now: number): boolean;
}

/** The key of row `r` from key columns `cols` (one column: its value; several: a JSON array; none: 0). */
export function keyOfRow(batch: RowBatch, cols: readonly number[], r: number): StateKey {
  if (cols.length === 0) return 0;
  if (cols.length === 1) return batch.value(cols[0]!, r);
  return JSON.stringify(cols.map((c) => batch.value(c, r)));
}

/** The key's column values back from {@link keyOfRow}. */
export function keyValues(key: StateKey, arity: number): Value[] {
  if (arity === 0) return [];
  if (arity === 1) return [key];
  return JSON.parse(key as string) as Value[];
}

const columnTypes = (cols: readonly StreamColumn[]): ColumnType[] => cols.map((c) => c.type);

/** Checks a batch a wasm operator returned against the vertex's declared columns. */
function checkOutput(v: JobGraphVertex, bytes: Uint8Array): RowBatch {
  const b = new RowBatch(bytes);
  const want = columnTypes(v.columns ?? []);
  if (b.types.length !== want.length || b.types.some((t, i) => t !== want[i]))
    throw new WrtError(
      'WRT_OPERATOR_ERROR',
      `operator "${v.operator}" of vertex "${v.id}" returned columns (${b.types.join(', ')}), but the job graph declares (${want.join(', ')})`,
    );
  return b;
}

/** Stateless wasm operator: one call per batch. */
export class WasmMapOperator implements StreamOperator {
  constructor(
    private readonly v: JobGraphVertex,
    private readonly instance: WebAssembly.Instance,
    private readonly out: Output,
    private readonly outputCapBytes: number,
  ) {}

  processBatch(port: number, batch: RowBatch): void {
    const result = callOperator(this.instance, this.v.operator, 0, [batch.bytes], this.outputCapBytes, port);
    if (checkOutput(this.v, result).rows > 0) this.out.emit(result);
  }
  advanceWatermark(): void {}
  endInput(): void {}
  /** Stateless: a Map operator's wasm memory is not part of checkpoints. */
  snapshot(): null {
    return null;
  }
  restore(): void {}
}

/** Identifies a (key, time) timer among those deleted before they fired. */
const timerId = (key: StateKey, time: number): string => `${time}\u0000${String(key)}`;

/** Port of the event-time timer batches a Process operator gets. */
export const TIMER_PORT = 2;
/** Port of the processing-time timer batches a Process operator gets. */
export const PROCESSING_TIMER_PORT = 3;

interface ProcessSnapshot {
  backend: string;
  timers: [number, StateKey][];
  deleted: string[];
  watermark: number;
  /** Processing-time timers (absent in snapshots taken before they existed). */
  processing?: { timers: [number, StateKey][]; deleted: string[] };
}

/** One timer domain of a Process operator: timers per (key, time), deletions remembered until due. */
class KeyedTimers {
  private readonly queue = new TimerQueue<StateKey, null>((k) => String(k));
  private readonly deleted = new Set<string>();

  register(key: StateKey, time: number): void {
    this.deleted.delete(timerId(key, time));
    this.queue.add(time, key, null);
  }

  remove(key: StateKey, time: number): void {
    this.deleted.add(timerId(key, time));
  }

  /** The earliest pending time (deleted timers included: they are skipped when due). */
  get next(): number | null {
    return this.queue.peekTime();
  }

  /** Takes the timers due at `upTo`, in time order, leaving out deleted ones. */
  due(upTo: number): { key: StateKey; time: number }[] {
    const fired: { key: StateKey; time: number }[] = [];
    for (let timer = this.queue.pollUpTo(upTo); timer; timer = this.queue.pollUpTo(upTo)) {
      if (this.deleted.delete(timerId(timer.key, timer.time))) continue;
      fired.push({ key: timer.key, time: timer.time });
    }
    return fired;
  }

  snapshot(): { timers: [number, StateKey][]; deleted: string[] } {
    return { timers: this.queue.entries().map(([t, k]) => [t, k]), deleted: [...this.deleted] };
  }

  restore(s: { timers: [number, StateKey][]; deleted: string[] }): void {
    for (const [t, k] of s.timers) this.queue.add(t, k, null);
    for (const d of s.deleted) this.deleted.add(d);
  }
}

/**
 * A wasm keyed process function (Flink's KeyedProcessFunction): batches go to the export with
 * their port; event-time timers that the watermark passes go as a batch (the key columns, row time
 * = timer time) on port 2, processing-time timers whose time the clock (Date.now(), ms) has
 * reached likewise on port 3. Both kinds are in checkpoints; processing-time timers still pending
 * when the input ends are dropped (the job is over; nothing would wait for them).
 */
export class WasmProcessOperator implements StreamOperator {
  readonly ctx: KeyedStateContext;
  private readonly timers = new KeyedTimers();
  private readonly processingTimers = new KeyedTimers();
  private instance!: WebAssembly.Instance;

  /**
   * @param keys key columns of each input port (from the edges' `key`).
   * @param keyTypes types of the key columns (the timer batch's columns).
   */
  constructor(
    private readonly v: JobGraphVertex,
    private readonly keys: number[][],
    private readonly keyTypes: ColumnType[],
    range: KeyGroupRange,
    maxParallelism: number,
    private readonly out: Output,
    private readonly outputCapBytes: number,
  ) {
    this.ctx = {
      backend: new KeyedStateBackend(range, maxParallelism),
      states: v.states ?? ([] as StateSpec[]),
      keyOf: null,
      currentKey: null,
      watermark: -Infinity,
      registerTimer: (k, t) => this.timers.register(k, t),
      deleteTimer: (k, t) => this.timers.remove(k, t),
      registerProcessingTimer: (k, t) => this.processingTimers.register(k, t),
      deleteProcessingTimer: (k, t) => this.processingTimers.remove(k, t),
    };
  }

  /** The `wrt:runtime/keyed-state` imports for this operator's instance. */
  imports(guest: () => WebAssembly.Instance | undefined): WebAssembly.Imports {
    return { [KEYED_STATE_MODULE]: keyedStateImports(this.ctx, () => guest()?.exports as never) };
  }

  bind(instance: WebAssembly.Instance): void {
    this.instance = instance;
  }

  private call(port: number, batch: RowBatch, keyOf: (r: number) => StateKey): void {
    this.ctx.keyOf = keyOf;
    this.ctx.currentKey = null;
    try {
      const result = callOperator(this.instance, this.v.operator, 0, [batch.bytes], this.outputCapBytes, port);
      if (checkOutput(this.v, result).rows > 0) this.out.emit(result);
    } finally {
      this.ctx.keyOf = null;
    }
  }

  processBatch(port: number, batch: RowBatch): void {
    const cols = this.keys[port] ?? [];
    this.call(port, batch, (r) => keyOfRow(batch, cols, r));
  }

  advanceWatermark(t: number): void {
    this.ctx.watermark = t;
    // Timers set by fired timers at or before `t` fire in the same advance.
    for (let fired = this.timers.due(t); fired.length > 0; fired = this.timers.due(t)) this.fire(TIMER_PORT, fired);
  }

  /** Calls the operator with a batch of fired timers: their key columns, row time = timer time. */
  private fire(port: number, fired: { key: StateKey; time: number }[]): void {
    const b = new RowBatchBuilder(this.keyTypes);
    for (const f of fired) b.add(f.time, keyValues(f.key, this.keyTypes.length));
    this.call(port, new RowBatch(b.finish()), (r) => fired[r]!.key);
  }

  nextProcessingTime(): number | null {
    return this.processingTimers.next;
  }

  onProcessingTime(now: number): boolean {
    const fired = this.processingTimers.due(now);
    if (fired.length > 0) this.fire(PROCESSING_TIMER_PORT, fired);
    return fired.length > 0;
  }

  endInput(): void {}

  /** Keyed state (the backend's own snapshot, by key group), timers and the watermark; not the wasm memory. */
  snapshot(): ProcessSnapshot {
    const t = this.timers.snapshot();
    return {
      backend: new TextDecoder().decode(this.ctx.backend.snapshot()),
      timers: t.timers,
      deleted: t.deleted,
      watermark: this.ctx.watermark,
      processing: this.processingTimers.snapshot(),
    };
  }

  restore(state: unknown): void {
    const s = state as ProcessSnapshot;
    this.ctx.backend.restore([new TextEncoder().encode(s.backend)]);
    this.timers.restore(s);
    if (s.processing) this.processingTimers.restore(s.processing);
    this.ctx.watermark = s.watermark;
  }
}

type Acc = number[];

/** Built-in aggregates as one accumulator: per aggregate [value] or, for avg, [sum, count]. */
export function builtinAggregate(specs: AggregateSpec[]): AggregateFunction<Value[], Acc, Value[]> {
  const slots = specs.map((s) => (s.function === 'avg' ? 2 : 1));
  const at: number[] = [];
  slots.reduce((o, n, i) => ((at[i] = o), o + n), 0);
  const size = slots.reduce((a, b) => a + b, 0);
  return {
    create: () =>
      specs.flatMap((s) => (s.function === 'avg' ? [0, 0] : s.function === 'min' ? [Infinity] : s.function === 'max' ? [-Infinity] : [0])),
    add(acc, row) {
      specs.forEach((s, i) => {
        const j = at[i]!;
        const x = s.column < 0 ? 0 : (row[s.column] as number);
        if (s.function === 'count') acc[j]!++;
        else if (s.function === 'sum') acc[j] = acc[j]! + x;
        else if (s.function === 'min') acc[j] = Math.min(acc[j]!, x);
        else if (s.function === 'max') acc[j] = Math.max(acc[j]!, x);
        else {
          acc[j] = acc[j]! + x;
          acc[j + 1]!++;
        }
      });
      return acc;
    },
    merge(a, b) {
      const out = new Array<number>(size);
      specs.forEach((s, i) => {
        const j = at[i]!;
        if (s.function === 'min') out[j] = Math.min(a[j]!, b[j]!);
        else if (s.function === 'max') out[j] = Math.max(a[j]!, b[j]!);
        else {
          out[j] = a[j]! + b[j]!;
          if (s.function === 'avg') out[j + 1] = a[j + 1]! + b[j + 1]!;
        }
      });
      return out;
    },
    result: (acc) => specs.map((s, i) => (s.function === 'avg' ? acc[at[i]!]! / acc[at[i]! + 1]! : acc[at[i]!]!)),
  };
}

/** A window's accumulator when it has wasm aggregates: the built-ins', and each wasm aggregate's values. */
interface MixedAcc {
  b: Acc;
  w: Value[][];
}

/**
 * Built-in and wasm aggregates of a window as one accumulator. A wasm aggregate (function `wasm`)
 * keeps the values of its column; its result position holds those values until the operator has
 * the wasm export reduce them ({@link WindowAggregateOperator}).
 */
function mixedAggregate(specs: AggregateSpec[]): AggregateFunction<Value[], MixedAcc, (Value | Value[])[]> {
  const builtin = builtinAggregate(specs.filter((s) => s.function !== 'wasm'));
  const wasm = specs.flatMap((s) => (s.function === 'wasm' ? [s] : []));
  return {
    create: () => ({ b: builtin.create(), w: wasm.map(() => []) }),
    add(acc, row) {
      acc.b = builtin.add(acc.b, row);
      wasm.forEach((s, i) => acc.w[i]!.push(row[s.column]!));
      return acc;
    },
    merge: (a, b) => ({ b: builtin.merge(a.b, b.b), w: a.w.map((values, i) => [...values, ...b.w[i]!]) }),
    result(acc) {
      const fixed = builtin.result(acc.b);
      let bi = 0;
      let wi = 0;
      return specs.map((s) => (s.function === 'wasm' ? acc.w[wi++]! : fixed[bi++]!));
    },
  };
}

function assignerOf(v: JobGraphVertex): WindowAssigner {
  const w = v.window!;
  if (w.kind === 'Tumbling') return { kind: 'tumbling', sizeMs: w.sizeMs, offsetMs: w.offsetMs };
  if (w.kind === 'Sliding') return { kind: 'sliding', sizeMs: w.sizeMs, slideMs: w.slideMs, offsetMs: w.offsetMs };
  return { kind: 'session', gapMs: w.gapMs };
}

/** Rows collected during one call, emitted as one batch. */
class RowSink {
  private b: RowBatchBuilder;
  constructor(
    private readonly types: ColumnType[],
    private readonly out: Output,
  ) {
    this.b = new RowBatchBuilder(types);
  }
  add(ts: number, row: Value[]): void {
    this.b.add(ts, row);
  }
  flush(): void {
    if (this.b.rows === 0) return;
    this.out.emit(this.b.finish());
    this.b = new RowBatchBuilder(this.types);
  }
}

/** Keyed event-time window with built-in aggregates (runtime/stream/window-operator.ts). */
/**
 * Keyed event-time window with built-in aggregates and user aggregate functions in wasm.
 *
 * A wasm aggregate (`{ function: 'wasm', operator, column }`) is reduced by the module's export
 * `operator` once per batch of fired windows: its input is one row batch of columns (group I64,
 * value: the aggregated column's type), the values of each fired window under its group number
 * (groups ascending, values in arrival order); it returns a batch (group I64, result: the
 * declared output column's type) with one row per group. Values are kept per window until it
 * fires, in checkpoints too — the memory of Flink's `ProcessWindowFunction`, not of an incremental
 * `AggregateFunction`. Errors: `WRT_OPERATOR_ERROR` when the result misses a group or has other
 * columns; traps and caps as for any operator.
 */
export class WindowAggregateOperator implements StreamOperator {
  private readonly op: WindowOperator<StateKey, Value[], Acc | MixedAcc, (Value | Value[])[]>;
  private readonly rows: RowSink;
  /** Late elements, as they came (the input's columns), when an edge reads the late side output. */
  private readonly late: RowSink | null;
  private readonly specs: AggregateSpec[];
  /** Windows fired in this call whose wasm aggregates are still to be reduced. */
  private fired: { t: number; row: (Value | Value[])[] }[] = [];
  private instance: WebAssembly.Instance | null = null;

  /**
   * @param inputColumns the columns of the window's input (those of its late side output).
   * @param instantiate makes the wasm instance of user aggregates (only called when there are some).
   */
  constructor(
    private readonly v: JobGraphVertex,
    private readonly key: number[],
    out: Output,
    private readonly inputColumns: StreamColumn[],
    instantiate: () => WebAssembly.Instance = () => {
      throw new WrtError('WRT_BAD_JOB_GRAPH', `window "${v.id}": no module for its wasm aggregates`);
    },
    private readonly outputCapBytes = 64 << 20,
  ) {
    this.specs = v.aggregates ?? [];
    const wasm = this.specs.some((s) => s.function === 'wasm');
    if (wasm) this.instance = instantiate();
    this.rows = new RowSink(columnTypes(v.columns ?? []), out);
    this.late = out.emitLate ? new RowSink(columnTypes(inputColumns), { emit: (b) => out.emitLate!(b) }) : null;
    const aggregate = (wasm ? mixedAggregate(this.specs) : builtinAggregate(this.specs)) as AggregateFunction<
      Value[],
      Acc | MixedAcc,
      (Value | Value[])[]
    >;
    this.op = new WindowOperator({
      assigner: assignerOf(v),
      aggregate,
      allowedLatenessMs: v.window!.allowedLatenessMs,
      emit: (k, w, result) => {
        const row = [...keyValues(k, key.length), ...result, w.start, w.end];
        if (wasm) this.fired.push({ t: w.end - 1, row });
        else this.rows.add(w.end - 1, row as Value[]);
      },
      late: this.late ? (_k, row, t) => this.late!.add(t, row) : undefined,
    });
  }

  processBatch(_port: number, batch: RowBatch): void {
    for (let r = 0; r < batch.rows; r++) this.op.processElement(keyOfRow(batch, this.key, r), batch.row(r), batch.timestamp(r));
    this.reduceFired();
    this.rows.flush();
    this.late?.flush();
  }
  advanceWatermark(t: number): void {
    this.op.advanceWatermark(t);
    this.reduceFired();
    this.rows.flush();
  }

  /** Has the wasm aggregates reduce the values of the windows fired in this call (one call per aggregate). */
  private reduceFired(): void {
    if (this.fired.length === 0) return;
    const fired = this.fired;
    this.fired = [];
    const base = this.key.length;
    this.specs.forEach((s, i) => {
      if (s.function !== 'wasm') return;
      const col = base + i;
      const b = new RowBatchBuilder(['I64', this.inputColumns[s.column]!.type]);
      fired.forEach((f, g) => {
        for (const value of f.row[col] as Value[]) b.add(f.t, [g, value]);
      });
      const bytes = callOperator(this.instance!, s.operator!, 0, [b.finish()], this.outputCapBytes, 0);
      const result = new RowBatch(bytes);
      const want = this.v.columns![col]!.type;
      if (result.types.length !== 2 || result.types[0] !== 'I64' || result.types[1] !== want)
        throw new WrtError(
          'WRT_OPERATOR_ERROR',
          `aggregate "${s.operator}" of window "${this.v.id}" returned columns (${result.types.join(', ')}); expected (I64 group, ${want} result)`,
        );
      const byGroup = new Map<number, Value>();
      for (let r = 0; r < result.rows; r++) byGroup.set(result.row(r)[0] as number, result.row(r)[1]!);
      fired.forEach((f, g) => {
        if (!byGroup.has(g))
          throw new WrtError('WRT_OPERATOR_ERROR', `aggregate "${s.operator}" of window "${this.v.id}" returned no result for group ${g}`);
        f.row[col] = byGroup.get(g)!;
      });
    });
    for (const f of fired) this.rows.add(f.t, f.row as Value[]);
  }
  endInput(): void {}
  snapshot(): unknown {
    return this.op.snapshot();
  }
  restore(state: unknown): void {
    this.op.restore(state as ReturnType<typeof this.op.snapshot>);
  }
}

/** What the two keyed joins (interval-join.ts, window-join.ts) have in common. */
interface KeyedJoin {
  processLeft(key: StateKey, value: Value[], t: number): void;
  processRight(key: StateKey, value: Value[], t: number): void;
  advanceWatermark(t: number): void;
  snapshot(): unknown;
  restore(s: never): void;
}

/** A keyed two-input join: left on port 0, right on port 1; output rows = `project` of left ++ right. */
class JoinStreamOperator implements StreamOperator {
  private readonly op: KeyedJoin;
  private readonly rows: RowSink;

  constructor(
    v: JobGraphVertex,
    private readonly keys: number[][],
    out: Output,
    make: (emit: (left: Value[], right: Value[], t: number) => void) => KeyedJoin,
  ) {
    this.rows = new RowSink(columnTypes(v.columns ?? []), out);
    const project = v.project ?? [];
    this.op = make((l, r, t) => {
      const both = [...l, ...r];
      this.rows.add(
        t,
        project.map((i) => both[i]!),
      );
    });
  }

  processBatch(port: number, batch: RowBatch): void {
    const cols = this.keys[port] ?? [];
    for (let r = 0; r < batch.rows; r++) {
      const k = keyOfRow(batch, cols, r);
      if (port === 0) this.op.processLeft(k, batch.row(r), batch.timestamp(r));
      else this.op.processRight(k, batch.row(r), batch.timestamp(r));
    }
    this.rows.flush();
  }
  advanceWatermark(t: number): void {
    this.op.advanceWatermark(t);
    this.rows.flush();
  }
  endInput(): void {}
  snapshot(): unknown {
    return this.op.snapshot();
  }
  restore(state: unknown): void {
    this.op.restore(state as never);
  }
}

/** Keyed interval join (interval-join.ts); a pair's time is the later of the two. */
export class IntervalJoinStreamOperator extends JoinStreamOperator {
  constructor(v: JobGraphVertex, keys: number[][], out: Output) {
    super(
      v,
      keys,
      out,
      (emit) =>
        new IntervalJoinOperator<StateKey, Value[], Value[]>({
          lowerMs: v.lowerBoundMs ?? 0,
          upperMs: v.upperBoundMs ?? 0,
          emit: (_k, l, r, t) => emit(l, r, t),
        }),
    );
  }
}

/** Keyed window join (window-join.ts); a pair's time is its window's last millisecond. */
export class WindowJoinStreamOperator extends JoinStreamOperator {
  constructor(v: JobGraphVertex, keys: number[][], out: Output) {
    super(
      v,
      keys,
      out,
      (emit) =>
        new WindowJoinOperator<StateKey, Value[], Value[]>({ assigner: assignerOf(v), emit: (_k, l, r, w) => emit(l, r, w.end - 1) }),
    );
  }
}

/** Keyed aggregation without windows: the final value per key when the input ends (bounded jobs). */
export class GroupAggregateOperator implements StreamOperator {
  private readonly groups = new Map<StateKey, { acc: Acc; t: number }>();
  private readonly fn: AggregateFunction<Value[], Acc, Value[]>;
  private readonly rows: RowSink;

  constructor(
    v: JobGraphVertex,
    private readonly key: number[],
    out: Output,
  ) {
    this.fn = builtinAggregate(v.aggregates ?? []);
    this.rows = new RowSink(columnTypes(v.columns ?? []), out);
  }

  processBatch(_port: number, batch: RowBatch): void {
    for (let r = 0; r < batch.rows; r++) {
      const k = keyOfRow(batch, this.key, r);
      let g = this.groups.get(k);
      if (!g) this.groups.set(k, (g = { acc: this.fn.create(), t: -Infinity }));
      g.acc = this.fn.add(g.acc, batch.row(r));
      g.t = Math.max(g.t, batch.timestamp(r));
    }
  }
  advanceWatermark(): void {}
  endInput(): void {
    for (const [k, g] of this.groups) this.rows.add(g.t, [...keyValues(k, this.key.length), ...this.fn.result(g.acc)]);
    this.rows.flush();
  }
  /** Per key: [key, accumulator, latest timestamp]. */
  snapshot(): [StateKey, Acc, number][] {
    return [...this.groups].map(([k, g]) => [k, g.acc, g.t]);
  }
  restore(state: unknown): void {
    for (const [k, acc, t] of state as [StateKey, Acc, number][]) this.groups.set(k, { acc, t });
  }
}
