/** The keyed interval join and window join as stream operators over interval-join.ts and window-join.ts. */
import type { JobGraphVertex } from '../../protocol/messages.js';
import type { RowBatch } from '../row-batch.js';
import { type Value } from '../row-batch.js';
import { IntervalJoinOperator } from '../interval-join.js';
import { WindowJoinOperator } from '../window-join.js';
import type { StateKey } from '../keyed-state.js';
import { type Output, type StreamOperator, columnTypes, keyOfRow } from './operator.js';
import { RowSink, assignerOf } from './window-aggregate.js';

/**
 * A buffered row: row `row` of an input batch, read only when it joins (most buffered rows of
 * Nexmark q7 never do, and decoding every row's strings cost more than the join), or its values
 * (rows restored from a snapshot). Holding a batch is safe: batches are never written after they
 * are made (an operator's output is a copy out of its wasm memory, a received batch a copy out of
 * its message).
 */
type JoinRow = Value[] | BatchRow;

class BatchRow {
  constructor(
    readonly batch: RowBatch,
    readonly row: number,
  ) {}
}

const widthOf = (r: JoinRow): number => (r instanceof BatchRow ? r.batch.types.length : r.length);
const cell = (r: JoinRow, c: number): Value => (r instanceof BatchRow ? r.batch.value(c, r.row) : r[c]!);
const plainRow = (r: JoinRow): Value[] => (r instanceof BatchRow ? r.batch.row(r.row) : r);

/** What the two keyed joins (interval-join.ts, window-join.ts) have in common. */
interface KeyedJoin {
  processLeft(key: StateKey, value: JoinRow, t: number): void;
  processRight(key: StateKey, value: JoinRow, t: number): void;
  advanceWatermark(t: number): void;
  snapshot(plain: (v: JoinRow) => JoinRow): unknown;
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
    make: (emit: (left: JoinRow, right: JoinRow, t: number) => void) => KeyedJoin,
  ) {
    this.rows = new RowSink(columnTypes(v.columns ?? []), out);
    const project = v.project ?? [];
    this.op = make((l, r, t) => {
      const width = widthOf(l);
      this.rows.add(
        t,
        project.map((i) => (i < width ? cell(l, i) : cell(r, i - width))),
      );
    });
  }

  processBatch(port: number, batch: RowBatch): void {
    const cols = this.keys[port] ?? [];
    for (let r = 0; r < batch.rows; r++) {
      const k = keyOfRow(batch, cols, r);
      if (port === 0) this.op.processLeft(k, new BatchRow(batch, r), batch.timestamp(r));
      else this.op.processRight(k, new BatchRow(batch, r), batch.timestamp(r));
    }
    this.rows.flush();
  }
  advanceWatermark(t: number): void {
    this.op.advanceWatermark(t);
    this.rows.flush();
  }
  endInput(): void {}
  /** The join's state, every buffered row as its values. */
  snapshot(): unknown {
    return this.op.snapshot(plainRow);
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
        new IntervalJoinOperator<StateKey, JoinRow, JoinRow>({
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
        new WindowJoinOperator<StateKey, JoinRow, JoinRow>({ assigner: assignerOf(v), emit: (_k, l, r, w) => emit(l, r, w.end - 1) }),
    );
  }
}
