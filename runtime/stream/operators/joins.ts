/** The keyed interval join and window join as stream operators over interval-join.ts and window-join.ts. */
import type { JobGraphVertex } from '../../protocol/messages.js';
import type { RowBatch } from '../row-batch.js';
import { type Value } from '../row-batch.js';
import { IntervalJoinOperator } from '../interval-join.js';
import { WindowJoinOperator } from '../window-join.js';
import type { StateKey } from '../keyed-state.js';
import { type Output, type StreamOperator, columnTypes, keyOfRow } from './operator.js';
import { RowSink, assignerOf } from './window-aggregate.js';

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
