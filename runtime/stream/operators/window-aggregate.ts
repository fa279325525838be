/** The keyed window aggregation (tumbling, sliding, session) over window-operator.ts, with its late side output and wasm aggregates. */
import type { AggregateSpec, ColumnType, JobGraphVertex, StreamColumn } from '../../protocol/messages.js';
import { RowBatch, RowBatchBuilder, type Value } from '../row-batch.js';
import { WindowOperator, type AggregateFunction } from '../window-operator.js';
import type { StateKey } from '../keyed-state.js';
import type { WindowAssigner } from '../time-window.js';
import { callOperator } from '../../sandbox/operator-call.js';
import { WrtError } from '../../errors.js';
import { type Output, type StreamOperator, columnTypes, keyOfRow, keyValues } from './operator.js';
import { type Acc, type MixedAcc, builtinAggregate, mixedAggregate } from './aggregates.js';

export function assignerOf(v: JobGraphVertex): WindowAssigner {
  const w = v.window!;
  if (w.kind === 'Tumbling') return { kind: 'tumbling', sizeMs: w.sizeMs, offsetMs: w.offsetMs };
  if (w.kind === 'Sliding') return { kind: 'sliding', sizeMs: w.sizeMs, slideMs: w.slideMs, offsetMs: w.offsetMs };
  return { kind: 'session', gapMs: w.gapMs };
}

/** Rows collected during one call, emitted as one batch. */
export class RowSink {
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
  /**
   * The columns a row is decoded for, or null for all: aggregates read their columns and keep none
   * of a row (q7's maximum reads the price of bids that carry a ~100-byte string); a late side
   * output takes whole rows.
   */
  private readonly readColumns: number[] | null;
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
    this.readColumns = this.late ? null : [...new Set(this.specs.map((s) => s.column).filter((c) => c >= 0))];
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
    const cols = this.readColumns;
    for (let r = 0; r < batch.rows; r++) {
      let row: Value[];
      if (cols) {
        row = new Array<Value>(batch.types.length);
        for (const c of cols) row[c] = batch.value(c, r);
      } else row = batch.row(r);
      this.op.processElement(keyOfRow(batch, this.key, r), row, batch.timestamp(r));
    }
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
