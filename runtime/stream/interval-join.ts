/**
 * A keyed interval join (Flink's `IntervalJoinOperator`, `KeyedStream.intervalJoin`): a left
 * element at time l and a right element of the same key at time r join when
 * `l + lowerMs ≤ r ≤ l + upperMs` (both bounds inclusive). Each side is buffered per key while an
 * element of the other side could still match it: a left element while the watermark is at most
 * `l + upperMs`, a right element while it is at most `r - lowerMs`. Elements with a timestamp
 * below the watermark on arrival are late and dropped (counted), as in Flink.
 */
import { WrtError } from '../errors.js';
import { TimerQueue } from './timer-queue.js';

export interface IntervalJoinOptions<K, L, R> {
  lowerMs: number;
  upperMs: number;
  /** Called for each matching pair, with the larger of the two timestamps. */
  emit(key: K, left: L, right: R, timestampMs: number): void;
}

interface Buffered<T> {
  t: number;
  v: T;
}

interface Sides<L, R> {
  left: Buffered<L>[];
  right: Buffered<R>[];
}

export interface IntervalJoinSnapshot<K, L, R> {
  wm: number;
  late: number;
  /** Per key: buffered [time, value] of each side. */
  buffers: [K, [number, L][], [number, R][]][];
  /** Written before 2026-12 (cleanup timers); ignored: a restore derives them from the buffers. */
  timers?: unknown;
}

/** Keeps the elements of `list` that `keep` accepts, in order, in place. */
function retain<T>(list: Buffered<T>[], keep: (b: Buffered<T>) => boolean): void {
  let j = 0;
  for (let i = 0; i < list.length; i++) if (keep(list[i]!)) list[j++] = list[i]!;
  list.length = j;
}

export class IntervalJoinOperator<K, L, R> {
  private readonly buffers = new Map<K, Sides<L, R>>();
  /**
   * Cleanup timers, one per buffered element (not deduplicated: a key's cleanup is idempotent, and
   * their order has no effect on output, so snapshots leave them out and a restore rebuilds them).
   */
  private readonly timers = new TimerQueue<K, 'left' | 'right'>(null);
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

  /** The operator's state: watermark and buffered elements (plain values). */
  snapshot(): IntervalJoinSnapshot<K, L, R> {
    return {
      wm: this.wm,
      late: this.lateElements,
      buffers: [...this.buffers].map(([k, s]) => [k, s.left.map((l) => [l.t, l.v]), s.right.map((r) => [r.t, r.v])]),
    };
  }

  /** Takes the state of {@link snapshot} (into a fresh operator), setting each element's cleanup timer again. */
  restore(s: IntervalJoinSnapshot<K, L, R>): void {
    this.wm = s.wm;
    this.lateElements = s.late;
    for (const [k, left, right] of s.buffers) {
      this.buffers.set(k, { left: left.map(([t, v]) => ({ t, v })), right: right.map(([t, v]) => ({ t, v })) });
      for (const [t] of left) this.timers.add(t + this.o.upperMs + 1, k, 'left');
      for (const [t] of right) this.timers.add(t - this.o.lowerMs + 1, k, 'right');
    }
  }

  processLeft(key: K, value: L, t: number): void {
    if (t < this.wm) {
      this.lateElements++;
      return;
    }
    const sides = this.sides(key);
    for (const r of sides.right) if (t + this.o.lowerMs <= r.t && r.t <= t + this.o.upperMs) this.o.emit(key, value, r.v, Math.max(t, r.t));
    sides.left.push({ t, v: value });
    this.timers.add(t + this.o.upperMs + 1, key, 'left');
  }

  processRight(key: K, value: R, t: number): void {
    if (t < this.wm) {
      this.lateElements++;
      return;
    }
    const sides = this.sides(key);
    for (const l of sides.left) if (l.t + this.o.lowerMs <= t && t <= l.t + this.o.upperMs) this.o.emit(key, l.v, value, Math.max(t, l.t));
    sides.right.push({ t, v: value });
    this.timers.add(t - this.o.lowerMs + 1, key, 'right');
  }

  /** Drops buffered elements that can no longer match. */
  advanceWatermark(watermarkMs: number): void {
    if (watermarkMs <= this.wm) return;
    this.wm = watermarkMs;
    for (let tm = this.timers.pollUpTo(watermarkMs); tm !== null; tm = this.timers.pollUpTo(watermarkMs)) {
      const sides = this.buffers.get(tm.key);
      if (!sides) continue;
      if (tm.namespace === 'left') retain(sides.left, (l) => l.t + this.o.upperMs >= watermarkMs);
      else retain(sides.right, (r) => r.t - this.o.lowerMs >= watermarkMs);
      if (sides.left.length === 0 && sides.right.length === 0) this.buffers.delete(tm.key);
    }
  }

  /** Elements (both sides, all keys) buffered now. */
  get buffered(): number {
    let n = 0;
    for (const s of this.buffers.values()) n += s.left.length + s.right.length;
    return n;
  }

  private sides(key: K): Sides<L, R> {
    let s = this.buffers.get(key);
    if (!s) this.buffers.set(key, (s = { left: [], right: [] }));
    return s;
  }
}
