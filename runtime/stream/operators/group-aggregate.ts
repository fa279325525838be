import type { JobGraphVertex } from '../../protocol/messages.js';
import type { RowBatch } from '../row-batch.js';
import { type Value } from '../row-batch.js';
import type { AggregateFunction } from '../window-operator.js';
import type { StateKey } from '../keyed-state.js';
import { type Output, type StreamOperator, columnTypes, keyOfRow, keyValues } from './operator.js';
import { type Acc, builtinAggregate } from './aggregates.js';
import { RowSink } from './window-aggregate.js';

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
