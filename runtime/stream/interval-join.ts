/**
 * A keyed interval join (Flink's `IntervalJoinOperator`, `KeyedStream.intervalJoin`): a left
 * element at time l and a right element of the same key at time r join when
 * `l + lowerMs ≤ r ≤ l + upperMs` (both bounds inclusive). Each side is buffered per key while an
 * element of the other side could still match it: a left element while the watermark is at most
 * `l + upperMs`, a right element while it is at most `r - lowerMs`. Elements with a timestamp
 * below the watermark on arrival are late and dropped (counted), as in Flink.
 *
 * Layout (side-buffer.ts): each side's elements in one ring in arrival order, struct of arrays,
 * each element also linked into its key's list in time order; a key is an index into a table
 * shared by both sides (key-index.ts). Buffering an element allocates nothing (a new string key: a
 * Map entry).
 * Flink sets a cleanup timer per element; in Nexmark q7 (keyed on a bid's price, nearly unique)
 * a map, an object and two arrays per key and a timer per element made the garbage collector the
 * join's largest cost. Elements leave from the ring's head, once the watermark has passed the
 * head's time; an element behind a later one (inputs from different subtasks interleave) may stay
 * in memory a little past that — until the ring, doubled since, compacts — but can no longer match
 * (a partner would be late) and is left out of snapshots and {@link IntervalJoinOperator.buffered}.
 */
import { WrtError } from '../errors.js';
import { KeyIndex } from './key-index.js';
import { NONE, SideBuffer, type SideElements } from './side-buffer.js';

export type { SideElements } from './side-buffer.js';

export interface IntervalJoinOptions<K, L, R> {
  lowerMs: number;
  upperMs: number;
  /**
   * Called for each matching pair, with the larger of the two timestamps and the rows that came
   * with each element (see {@link IntervalJoinOperator.processLeft}).
   */
  emit(key: K, left: L, right: R, timestampMs: number, leftRow: number, rightRow: number): void;
}

export interface IntervalJoinSnapshot<K, L, R> {
  wm: number;
  late: number;
  /** Per key: buffered [time, value] of each side, in time order (arrival order before 2026-12). */
  buffers: [K, [number, L][], [number, R][]][];
  /** Written before 2026-12 (cleanup timers); ignored: a restore derives them from the buffers. */
  timers?: unknown;
}

/** The join's state with each side's elements as parallel arrays, in arrival order ({@link IntervalJoinOperator.elements}). */
export interface IntervalJoinElements<K, L, R> {
  wm: number;
  late: number;
  left: SideElements<K, L>;
  right: SideElements<K, R>;
}

export class IntervalJoinOperator<K, L, R> {
  /** Key → its index in the key table; a key is dropped when neither side holds an element of it. */
  private readonly keyIndex = new KeyIndex<K>();
  private keys: (K | undefined)[] = [];
  private readonly freeKeys: number[] = [];
  private readonly left = new SideBuffer<L>();
  private readonly right = new SideBuffer<R>();
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
   * The operator's state: watermark and the elements that can still match, per key, each side in
   * time order, each value as `plain` gives it from (value, row) (a value that must be written as
   * plain data).
   */
  snapshot(plain: (v: L | R, row: number) => L | R = (v) => v): IntervalJoinSnapshot<K, L, R> {
    const buffers: IntervalJoinSnapshot<K, L, R>['buffers'] = [];
    const leftFrom = this.wm - this.o.upperMs;
    const rightFrom = this.wm + this.o.lowerMs;
    for (let k = 0; k < this.keys.length; k++) {
      if (this.left.isEmpty(k) && this.right.isEmpty(k)) continue;
      const l = this.left.list(k, leftFrom, plain) as [number, L][];
      const r = this.right.list(k, rightFrom, plain) as [number, R][];
      if (l.length + r.length > 0) buffers.push([this.keys[k]!, l, r]);
    }
    return { wm: this.wm, late: this.lateElements, buffers };
  }

  /** Takes the state of {@link snapshot} (into a fresh operator); restored elements have row −1. */
  restore(s: IntervalJoinSnapshot<K, L, R>): void {
    // Each side in time order across keys (a stable sort keeps equal times of a key in order), so
    // its ring frees them as the watermark passes.
    const side = <V>(of: (b: IntervalJoinSnapshot<K, L, R>['buffers'][number]) => [number, V][]): SideElements<K, V> => {
      const all: [K, number, V][] = [];
      for (const b of s.buffers) for (const [t, v] of of(b)) all.push([b[0], t, v]);
      all.sort((x, y) => x[1] - y[1]);
      return { keys: all.map((e) => e[0]), times: all.map((e) => e[1]), values: all.map((e) => e[2]), rows: all.map(() => -1) };
    };
    this.restoreElements({ wm: s.wm, late: s.late, left: side((b) => b[1]), right: side((b) => b[2]) });
  }

  /**
   * The watermark, the late count and the elements that can still match, each side in arrival
   * order with the rows they came with: a snapshot for callers that write values their own way
   * (as whole row batches: IntervalJoinStreamOperator). {@link restoreElements} takes it back.
   */
  elements(): IntervalJoinElements<K, L, R> {
    const keyOf = (k: number): K => this.keys[k]!;
    return {
      wm: this.wm,
      late: this.lateElements,
      left: this.left.elements(this.wm - this.o.upperMs, keyOf),
      right: this.right.elements(this.wm + this.o.lowerMs, keyOf),
    };
  }

  /** Takes the state of {@link elements} (into a fresh operator): buffers each element in order, joining none. */
  restoreElements(e: IntervalJoinElements<K, L, R>): void {
    this.wm = e.wm;
    this.lateElements = e.late;
    const put = <V>(side: SideBuffer<V>, s: SideElements<K, V>): void => {
      for (let i = 0; i < s.keys.length; i++) side.add(this.keyOf(s.keys[i]!), s.times[i]!, s.values[i]!, s.rows[i]!);
    };
    put(this.left, e.left);
    put(this.right, e.right);
  }

  /**
   * Joins a left element with the buffered right elements of its key, then buffers it.
   * @param value the element, or a container of it that `row` indexes (e.g. a batch and a row
   *   number: no object per element); both are handed back to `emit` and to `snapshot`'s `plain`.
   * @param t its event time, ms.
   * @param row an integer the caller gives meaning to; @default -1
   */
  processLeft(key: K, value: L, t: number, row = -1): void {
    if (t < this.wm) {
      this.lateElements++;
      return;
    }
    const k = this.keyOf(key);
    // Right elements r with t + lower ≤ r ≤ t + upper, in time order.
    const right = this.right;
    const to = t + this.o.upperMs;
    for (let i = right.firstAtOrAfter(k, t + this.o.lowerMs); i !== NONE && right.time[i]! <= to; i = right.next[i]!)
      this.o.emit(key, value, right.ref[i] as R, Math.max(t, right.time[i]!), row, right.row[i]!);
    this.left.add(k, t, value, row);
  }

  /** The right-hand twin of {@link processLeft}. */
  processRight(key: K, value: R, t: number, row = -1): void {
    if (t < this.wm) {
      this.lateElements++;
      return;
    }
    const k = this.keyOf(key);
    // Left elements l with l + lower ≤ t ≤ l + upper: t - upper ≤ l ≤ t - lower, in time order.
    const left = this.left;
    const to = t - this.o.lowerMs;
    for (let i = left.firstAtOrAfter(k, t - this.o.upperMs); i !== NONE && left.time[i]! <= to; i = left.next[i]!)
      this.o.emit(key, left.ref[i] as L, value, Math.max(t, left.time[i]!), left.row[i]!, row);
    this.right.add(k, t, value, row);
  }

  /** Drops buffered elements that can no longer match: left l once wm > l + upper, right r once wm > r − lower. */
  advanceWatermark(watermarkMs: number): void {
    if (watermarkMs <= this.wm) return;
    this.wm = watermarkMs;
    this.left.dropBefore(watermarkMs - this.o.upperMs, this.freeKey);
    this.right.dropBefore(watermarkMs + this.o.lowerMs, this.freeKey);
  }

  /** Elements (both sides, all keys) that can still match. */
  get buffered(): number {
    return this.left.countFrom(this.wm - this.o.upperMs) + this.right.countFrom(this.wm + this.o.lowerMs);
  }

  /** Elements held in memory: {@link buffered} and those that can no longer match but have not left yet. */
  get held(): number {
    return this.left.size + this.right.size;
  }

  /** The key's index in the key table, made when it has none. */
  private keyOf(key: K): number {
    let k = this.keyIndex.get(key);
    if (k < 0) {
      k = this.freeKeys.pop() ?? this.keys.length;
      if (k === this.keys.length) {
        this.keys.push(key);
        this.left.reserveKeys(this.keys.length);
        this.right.reserveKeys(this.keys.length);
      } else this.keys[k] = key;
      this.keyIndex.add(key, k);
    }
    return k;
  }

  /** Called as a side drops the last element of key `k` there: forgets the key once the other side holds none either. */
  private readonly freeKey = (k: number): void => {
    if (!this.left.isEmpty(k) || !this.right.isEmpty(k)) return;
    this.keyIndex.delete(this.keys[k]!);
    this.keys[k] = undefined;
    this.freeKeys.push(k);
  };
}
