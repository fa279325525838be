/**
 * The keyed interval join and window join as stream operators over interval-join.ts and
 * window-join.ts: left input on port 0, right on port 1; an output row is `project` of the left
 * row's columns followed by the right row's.
 */
import type { JobGraphVertex } from '../../protocol/messages.js';
import { RowBatch, type Value } from '../row-batch.js';
import { IntervalJoinOperator, type IntervalJoinSnapshot, type SideElements } from '../interval-join.js';
import { gatherRows } from '../row-gather.js';
import { StateBytes } from '../state-codec.js';
import { WindowJoinOperator } from '../window-join.js';
import type { StateKey } from '../keyed-state.js';
import { type Output, type StreamOperator, columnTypes, keyOfRow } from './operator.js';
import { RowSink, assignerOf } from './window-aggregate.js';

/**
 * A buffered row is read only when it joins (most buffered rows of Nexmark q7 never do, and
 * decoding every row's strings cost more than the join): it is its batch and row number, or its
 * values (row −1: restored from a snapshot that held values). Holding a batch is safe: batches
 * are never written after they are made (an operator's output is a copy out of its wasm memory, a
 * received batch a copy out of its message).
 */
type RowRef = RowBatch | Value[];

const cellOf = (ref: RowRef, row: number, c: number): Value => (row < 0 ? (ref as Value[])[c]! : (ref as RowBatch).value(c, row));
const widthOf = (ref: RowRef, row: number): number => (row < 0 ? (ref as Value[]).length : (ref as RowBatch).types.length);

/** Output rows: `project` of (left ++ right), into a sink flushed after each batch and watermark. */
function projector(v: JobGraphVertex, rows: RowSink): (l: RowRef, lRow: number, r: RowRef, rRow: number, t: number) => void {
  const project = v.project ?? [];
  return (l, lRow, r, rRow, t) => {
    const width = widthOf(l, lRow);
    rows.add(
      t,
      project.map((i) => (i < width ? cellOf(l, lRow, i) : cellOf(r, rRow, i - width))),
    );
  };
}

/** What both keyed joins do with batches and watermarks; subclasses buffer and emit. */
abstract class KeyedJoinStream implements StreamOperator {
  protected readonly rows: RowSink;

  constructor(
    v: JobGraphVertex,
    protected readonly keys: number[][],
    out: Output,
  ) {
    this.rows = new RowSink(columnTypes(v.columns ?? []), out);
  }

  /** Row `row` of `batch`, of key `key`, arrived on `port` (0: left, 1: right). */
  protected abstract add(port: number, key: StateKey, batch: RowBatch, row: number): void;
  /** The join's own watermark step (pairs it emits go to {@link rows}). */
  protected abstract advance(t: number): void;
  abstract snapshot(): unknown;
  abstract restore(state: unknown): void;

  processBatch(port: number, batch: RowBatch): void {
    const cols = this.keys[port] ?? [];
    for (let r = 0; r < batch.rows; r++) this.add(port, keyOfRow(batch, cols, r), batch, r);
    this.rows.flush();
  }
  advanceWatermark(t: number): void {
    this.advance(t);
    this.rows.flush();
  }
  endInput(): void {}
}

/** Keyed interval join (interval-join.ts); a pair's time is the later of the two. */
export class IntervalJoinStreamOperator extends KeyedJoinStream {
  private readonly op: IntervalJoinOperator<StateKey, RowRef, RowRef>;

  constructor(v: JobGraphVertex, keys: number[][], out: Output) {
    super(v, keys, out);
    const emit = projector(v, this.rows);
    this.op = new IntervalJoinOperator({
      lowerMs: v.lowerBoundMs ?? 0,
      upperMs: v.upperBoundMs ?? 0,
      emit: (_k, l, r, t, lRow, rRow) => emit(l, lRow, r, rRow, t),
    });
  }

  protected add(port: number, key: StateKey, batch: RowBatch, row: number): void {
    if (port === 0) this.op.processLeft(key, batch, batch.timestamp(row), row);
    else this.op.processRight(key, batch, batch.timestamp(row), row);
  }
  protected advance(t: number): void {
    this.op.advanceWatermark(t);
  }

  /**
   * The join's state: per side, the buffered rows in arrival order gathered into one WRB1 batch
   * (copied, not decoded: q7 writes every buffered bid each second) and written as bytes.
   */
  snapshot(): unknown {
    const e = this.op.elements();
    const state: IntervalJoinState = { v: 2, wm: e.wm, late: e.late, left: packSide(e.left), right: packSide(e.right) };
    return state;
  }
  restore(state: unknown): void {
    const s = state as IntervalJoinState | IntervalJoinSnapshot<StateKey, Value[], Value[]>;
    if (!('v' in s)) return this.op.restore(s); // written before 2026-12: every row as its values
    this.op.restoreElements({ wm: s.wm, late: s.late, left: this.unpackSide(s.left, 0), right: this.unpackSide(s.right, 1) });
  }

  private unpackSide(p: PackedSide, port: number): SideElements<StateKey, RowRef> {
    const out: SideElements<StateKey, RowRef> = { keys: [], times: [], values: [], rows: [] };
    for (const [key, t, values] of p.plain ?? []) {
      out.keys.push(key);
      out.times.push(t);
      out.values.push(values);
      out.rows.push(-1);
    }
    if (p.rows) {
      const batch = new RowBatch(p.rows instanceof StateBytes ? p.rows.bytes : p.rows);
      const cols = this.keys[port] ?? [];
      for (let r = 0; r < batch.rows; r++) {
        out.keys.push(keyOfRow(batch, cols, r));
        out.times.push(batch.timestamp(r));
        out.values.push(batch);
        out.rows.push(r);
      }
    }
    return out;
  }
}

/**
 * One side of an interval join's snapshot: rows restored from a snapshot of the earlier form, as
 * [key, time, values] (they precede every other row: a restore buffers them first), then the rest
 * as one batch whose timestamps are the rows' times (keys are read back from the key columns).
 */
interface PackedSide {
  plain?: [StateKey, number, Value[]][];
  /** A {@link StateBytes} when written, its Uint8Array when read back. */
  rows?: StateBytes | Uint8Array;
}

interface IntervalJoinState {
  v: 2;
  wm: number;
  late: number;
  left: PackedSide;
  right: PackedSide;
}

function packSide(e: SideElements<StateKey, RowRef>): PackedSide {
  const out: PackedSide = {};
  const batches: RowBatch[] = [];
  const rows: number[] = [];
  for (let i = 0; i < e.rows.length; i++) {
    if (e.rows[i]! < 0) (out.plain ??= []).push([e.keys[i]!, e.times[i]!, e.values[i] as Value[]]);
    else {
      batches.push(e.values[i] as RowBatch);
      rows.push(e.rows[i]!);
    }
  }
  if (batches.length > 0) out.rows = new StateBytes(gatherRows(batches[0]!.types, batches, rows));
  return out;
}

/** A buffered row of the window join: its batch and row, or its values once restored. */
class BatchRow {
  constructor(
    readonly batch: RowBatch,
    readonly row: number,
  ) {}
}
type JoinRow = Value[] | BatchRow;

const refOf = (r: JoinRow): [RowRef, number] => (r instanceof BatchRow ? [r.batch, r.row] : [r, -1]);

/** Keyed window join (window-join.ts); a pair's time is its window's last millisecond. */
export class WindowJoinStreamOperator extends KeyedJoinStream {
  private readonly op: WindowJoinOperator<StateKey, JoinRow, JoinRow>;

  constructor(v: JobGraphVertex, keys: number[][], out: Output) {
    super(v, keys, out);
    const emit = projector(v, this.rows);
    this.op = new WindowJoinOperator<StateKey, JoinRow, JoinRow>({
      assigner: assignerOf(v),
      emit: (_k, l, r, w) => emit(...refOf(l), ...refOf(r), w.end - 1),
    });
  }

  protected add(port: number, key: StateKey, batch: RowBatch, row: number): void {
    if (port === 0) this.op.processLeft(key, new BatchRow(batch, row), batch.timestamp(row));
    else this.op.processRight(key, new BatchRow(batch, row), batch.timestamp(row));
  }
  protected advance(t: number): void {
    this.op.advanceWatermark(t);
  }
  /** The join's state, every buffered row as its values. */
  snapshot(): unknown {
    return this.op.snapshot((r) => (r instanceof BatchRow ? r.batch.row(r.row) : r));
  }
  restore(state: unknown): void {
    this.op.restore(state as never);
  }
}
