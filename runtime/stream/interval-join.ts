/**
 * A keyed interval join (Flink's `IntervalJoinOperator`, `KeyedStream.intervalJoin`): a left
 * element at time l and a right element of the same key at time r join when
 * `l + lowerMs ≤ r ≤ l + upperMs` (both bounds inclusive). Each side is buffered per key while an
 * element of the other side could still match it: a left element while the watermark is at most
 * `l + upperMs`, a right element while it is at most `r - lowerMs`. Elements with a timestamp
 * below the watermark on arrival are late and dropped (counted), as in Flink.
 *
 * As Flink's operator keeps each side in a `MapState<Long, List<…>>`, a side's elements are kept
 * in buckets by timestamp, and one cleanup timer per bucket drops the whole bucket when it fires
 * (no scan of the key's other elements).
 */
import { WrtError } from '../errors.js';
import { TimerQueue } from './timer-queue.js';

export interface IntervalJoinOptions<K, L, R> {
  lowerMs: number;
  upperMs: number;
  /** Called for each matching pair, with the larger of the two timestamps. */
  emit(key: K, left: L, right: R, timestampMs: number): void;
}

interface Sides<L, R> {
  /** Elements by timestamp, each bucket in arrival order. */
  left: Map<number, L[]>;
  right: Map<number, R[]>;
}

export interface IntervalJoinSnapshot<K, L, R> {
  wm: number;
  late: number;
  /** Per key: buffered [time, value] of each side. */
  buffers: [K, [number, L][], [number, R][]][];
  timers: [number, K, 'left' | 'right'][];
}

export class IntervalJoinOperator<K, L, R> {
  private readonly buffers = new Map<K, Sides<L, R>>();
  private readonly timers = new TimerQueue<K, 'left' | 'right'>((k, side) => `${String(k)}\u0000${side}`);
  private wm = -Infinity;
  lateElements = 0;

  /** @throws RangeError when lowerMs > upperMs or either is not an integer. */
  constructor(private readonly o: IntervalJoinOptions<K, L, R>) {
    if (!Number.isSafeInteger(o.lowerMs) || !Number.isSafeInteger(o.upperMs) || o.lowerMs > o.upperMs)
      throw new WrtError(
        'WRT_INVALID_ARGUMENT',
        `interval join bounds must be integers with lowerMs ≤ upperMs, got [${o.lowerMs}, ${o.upperMs}]`,
      );
  }

  /** The operator's state: watermark, buffered elements and timers (plain values). */
  snapshot(): IntervalJoinSnapshot<K, L, R> {
    const flat = <T>(m: Map<number, T[]>): [number, T][] => [...m].flatMap(([t, vs]) => vs.map((v): [number, T] => [t, v]));
    return {
      wm: this.wm,
      late: this.lateElements,
      buffers: [...this.buffers].map(([k, s]) => [k, flat(s.left), flat(s.right)]),
      timers: this.timers.entries(),
    };
  }

  /** Takes the state of {@link snapshot} (into a fresh operator). */
  restore(s: IntervalJoinSnapshot<K, L, R>): void {
    this.wm = s.wm;
    this.lateElements = s.late;
    for (const [k, left, right] of s.buffers) {
      const sides = this.sides(k);
      for (const [t, v] of left) bucket(sides.left, t).push(v);
      for (const [t, v] of right) bucket(sides.right, t).push(v);
    }
    for (const [t, k, side] of s.timers) this.timers.add(t, k, side);
  }

  processLeft(key: K, value: L, t: number): void {
    if (t < this.wm) {
      this.lateElements++;
      return;
    }
    const sides = this.sides(key);
    const { lowerMs, upperMs } = this.o;
    for (const [rt, rs] of sides.right)
      if (t + lowerMs <= rt && rt <= t + upperMs) for (const r of rs) this.o.emit(key, value, r, Math.max(t, rt));
    bucket(sides.left, t).push(value);
    this.timers.add(t + upperMs + 1, key, 'left');
  }

  processRight(key: K, value: R, t: number): void {
    if (t < this.wm) {
      this.lateElements++;
      return;
    }
    const sides = this.sides(key);
    const { lowerMs, upperMs } = this.o;
    for (const [lt, ls] of sides.left)
      if (lt + lowerMs <= t && t <= lt + upperMs) for (const l of ls) this.o.emit(key, l, value, Math.max(t, lt));
    bucket(sides.right, t).push(value);
    this.timers.add(t - lowerMs + 1, key, 'right');
  }

  /** Drops buffered elements that can no longer match: a timer's bucket, named by its time. */
  advanceWatermark(watermarkMs: number): void {
    if (watermarkMs <= this.wm) return;
    this.wm = watermarkMs;
    for (let tm = this.timers.pollUpTo(watermarkMs); tm !== null; tm = this.timers.pollUpTo(watermarkMs)) {
      const sides = this.buffers.get(tm.key);
      if (!sides) continue;
      if (tm.namespace === 'left') sides.left.delete(tm.time - this.o.upperMs - 1);
      else sides.right.delete(tm.time + this.o.lowerMs - 1);
      if (sides.left.size === 0 && sides.right.size === 0) this.buffers.delete(tm.key);
    }
  }

  /** Elements (both sides, all keys) buffered now. */
  get buffered(): number {
    let n = 0;
    for (const s of this.buffers.values()) for (const m of [s.left, s.right]) for (const vs of m.values()) n += vs.length;
    return n;
  }

  private sides(key: K): Sides<L, R> {
    let s = this.buffers.get(key);
    if (!s) this.buffers.set(key, (s = { left: new Map(), right: new Map() }));
    return s;
  }
}

/** The bucket of timestamp `t` in `m`, made when missing. */
function bucket<T>(m: Map<number, T[]>, t: number): T[] {
  let b = m.get(t);
  if (!b) m.set(t, (b = []));
  return b;
}
