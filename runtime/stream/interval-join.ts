/**
 * A keyed interval join (Flink's `IntervalJoinOperator`, `KeyedStream.intervalJoin`): a left
 * element at time l and a right element of the same key at time r join when
 * `l + lowerMs ≤ r ≤ l + upperMs` (both bounds inclusive). Each side is buffered per key while an
 * element of the other side could still match it: a left element while the watermark is at most
 * `l + upperMs`, a right element while it is at most `r - lowerMs`. Elements with a timestamp
 * below the watermark on arrival are late and dropped (counted), as in Flink.
 *
 * Layout: per key, each side's elements in time order (parallel arrays, no object per element),
 * so a match is a binary search and a scan of the pairs it finds; per side, a queue of (time, key)
 * by time (a {@link TimerQueue}: elements of different input subtasks arrive far out of order)
 * says which keys hold elements the watermark has passed, and a key's side is trimmed once per
 * watermark however many of its elements left. Flink sets a cleanup timer per element; keys that
 * are mostly unique (Nexmark q7 joins on a bid's price) made per-element work the join's cost.
 */
import { WrtError } from '../errors.js';
import { TimerQueue } from './timer-queue.js';

export interface IntervalJoinOptions<K, L, R> {
  lowerMs: number;
  upperMs: number;
  /** Called for each matching pair, with the larger of the two timestamps. */
  emit(key: K, left: L, right: R, timestampMs: number): void;
}

/** A key's side: elements in time order (equal times in arrival order) from `start` on, as parallel arrays; those before `start` have left. */
interface Ordered<T> {
  t: number[];
  v: T[];
  start: number;
}

interface Sides<L, R> {
  left: Ordered<L> | null;
  right: Ordered<R> | null;
}

const ordered = <T>(): Ordered<T> => ({ t: [], v: [], start: 0 });

const sizeOf = <T>(s: Ordered<T> | null): number => (s ? s.t.length - s.start : 0);

/** Inserts (t, v) after every element of time ≤ t (elements mostly arrive in order: a push). */
function insert<T>(s: Ordered<T>, t: number, v: T): void {
  let i = s.t.length;
  s.t.push(t);
  s.v.push(v);
  while (i > s.start && s.t[i - 1]! > t) {
    s.t[i] = s.t[i - 1]!;
    s.v[i] = s.v[i - 1]!;
    i--;
  }
  s.t[i] = t;
  s.v[i] = v;
}

/** Index of the first live element with time ≥ t (binary search; the length when none). */
function firstAtOrAfter<T>(s: Ordered<T>, t: number): number {
  let lo = s.start;
  let hi = s.t.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (s.t[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Drops the elements before index `to`; compacts once more than half the arrays are dropped. */
function dropTo<T>(s: Ordered<T>, to: number): void {
  if (to === s.t.length) {
    s.t.length = 0;
    s.v.length = 0;
    s.start = 0;
    return;
  }
  for (let i = s.start; i < to; i++) s.v[i] = undefined as T;
  s.start = to;
  if (s.start > 64 && s.start * 2 > s.t.length) {
    s.t.splice(0, s.start);
    s.v.splice(0, s.start);
    s.start = 0;
  }
}

export interface IntervalJoinSnapshot<K, L, R> {
  wm: number;
  late: number;
  /** Per key: buffered [time, value] of each side, in time order (arrival order before 2026-12). */
  buffers: [K, [number, L][], [number, R][]][];
  /** Written before 2026-12 (cleanup timers); ignored: a restore derives them from the buffers. */
  timers?: unknown;
}

export class IntervalJoinOperator<K, L, R> {
  private readonly buffers = new Map<K, Sides<L, R>>();
  /** (time, key) of every buffered element of each side, by time: what to drop when. */
  private readonly leftQueue = new TimerQueue<K, null>(null);
  private readonly rightQueue = new TimerQueue<K, null>(null);
  private wm = -Infinity;
  lateElements = 0;

  /** @throws WrtError `WRT_INVALID_ARGUMENT` when lowerMs > upperMs or either is not an integer. */
  constructor(private readonly o: IntervalJoinOptions<K, L, R>) {
    if (!Number.isSafeInteger(o.lowerMs) || !Number.isSafeInteger(o.upperMs) || o.lowerMs > o.upperMs)
      throw new WrtError(
        'WRT_INVALID_ARGUMENT',
        `interval join bounds must be integers with lowerMs ≤ upperMs, got [${o.lowerMs}, ${o.upperMs}]`,
      );
  }

  /**
   * The operator's state: watermark and buffered elements, each side in time order, each value
   * as `plain` gives it (a value that must be written as plain data).
   */
  snapshot(plain: (v: L | R) => L | R = (v) => v): IntervalJoinSnapshot<K, L, R> {
    const list = <T extends L | R>(side: Ordered<T> | null): [number, T][] => {
      const out: [number, T][] = [];
      if (side) for (let i = side.start; i < side.t.length; i++) out.push([side.t[i]!, plain(side.v[i]!) as T]);
      return out;
    };
    return {
      wm: this.wm,
      late: this.lateElements,
      buffers: [...this.buffers].map(([k, s]) => [k, list(s.left), list(s.right)]),
    };
  }

  /** Takes the state of {@link snapshot} (into a fresh operator). */
  restore(s: IntervalJoinSnapshot<K, L, R>): void {
    this.wm = s.wm;
    this.lateElements = s.late;
    for (const [k, left, right] of s.buffers) {
      const sides = this.sides(k);
      // Inserting sorts what snapshots before 2026-12 listed in arrival order.
      for (const [t, v] of left) this.addLeft(k, sides, t, v);
      for (const [t, v] of right) this.addRight(k, sides, t, v);
    }
  }

  processLeft(key: K, value: L, t: number): void {
    if (t < this.wm) {
      this.lateElements++;
      return;
    }
    const sides = this.sides(key);
    // Right elements r with t + lower ≤ r ≤ t + upper, in time order.
    const right = sides.right;
    if (right) {
      const to = t + this.o.upperMs;
      for (let i = firstAtOrAfter(right, t + this.o.lowerMs); i < right.t.length && right.t[i]! <= to; i++)
        this.o.emit(key, value, right.v[i]!, Math.max(t, right.t[i]!));
    }
    this.addLeft(key, sides, t, value);
  }

  processRight(key: K, value: R, t: number): void {
    if (t < this.wm) {
      this.lateElements++;
      return;
    }
    const sides = this.sides(key);
    // Left elements l with l + lower ≤ t ≤ l + upper: t - upper ≤ l ≤ t - lower, in time order.
    const left = sides.left;
    if (left) {
      const to = t - this.o.lowerMs;
      for (let i = firstAtOrAfter(left, t - this.o.upperMs); i < left.t.length && left.t[i]! <= to; i++)
        this.o.emit(key, left.v[i]!, value, Math.max(t, left.t[i]!));
    }
    this.addRight(key, sides, t, value);
  }

  /** Drops buffered elements that can no longer match: left l once wm > l + upper, right r once wm > r − lower. */
  advanceWatermark(watermarkMs: number): void {
    if (watermarkMs <= this.wm) return;
    this.wm = watermarkMs;
    this.expire(this.leftQueue, watermarkMs - this.o.upperMs, true);
    this.expire(this.rightQueue, watermarkMs + this.o.lowerMs, false);
  }

  /** Drops, from every key named in `queue` before time `keepFrom`, that side's elements before it. */
  private expire(queue: TimerQueue<K, null>, keepFrom: number, left: boolean): void {
    queue.drainUpTo(keepFrom - 1, (key) => {
      const sides = this.buffers.get(key);
      if (!sides) return;
      const side: Ordered<L | R> | null = left ? sides.left : sides.right;
      if (!side) return;
      const to = firstAtOrAfter(side, keepFrom);
      if (to > side.start) dropTo(side, to);
      if (sizeOf(sides.left) === 0 && sizeOf(sides.right) === 0) this.buffers.delete(key);
    });
  }

  private addLeft(key: K, sides: Sides<L, R>, t: number, v: L): void {
    insert((sides.left ??= ordered<L>()), t, v);
    this.leftQueue.add(t, key, null);
  }

  private addRight(key: K, sides: Sides<L, R>, t: number, v: R): void {
    insert((sides.right ??= ordered<R>()), t, v);
    this.rightQueue.add(t, key, null);
  }

  /** Elements (both sides, all keys) buffered now. */
  get buffered(): number {
    let n = 0;
    for (const s of this.buffers.values()) n += sizeOf(s.left) + sizeOf(s.right);
    return n;
  }

  private sides(key: K): Sides<L, R> {
    let s = this.buffers.get(key);
    if (!s) this.buffers.set(key, (s = { left: null, right: null }));
    return s;
  }
}
