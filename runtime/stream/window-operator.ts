/**
 * A keyed event-time window aggregation: Flink's `WindowOperator` with its `EventTimeTrigger`
 * (flink-streaming-java), for one subtask that owns some keys.
 *
 * - Each element goes to the windows its assigner gives it; session windows merge with every
 *   window of the same key they intersect, their accumulators merged.
 * - A window fires when the watermark reaches its last timestamp (`end - 1`): `emit(key, window,
 *   result)`. With allowed lateness L it keeps its contents until the watermark passes
 *   `end - 1 + L`; an element arriving in that time is added and fires the window again at once
 *   with the updated result (accumulating mode).
 * - An element all of whose windows are past `end - 1 + L` is late: it goes to `late` (Flink's
 *   late side output) or is dropped.
 *
 * Results fire in (time, registration) order, so equal inputs give equal output order.
 */
import { WrtError } from '../errors.js';
import { checkAssigner, cover, intersects, maxTimestamp, windowStart, type TimeWindow, type WindowAssigner } from './time-window.js';
import { TimerQueue } from './timer-queue.js';

/** An incremental aggregate (Flink's `AggregateFunction`); `merge` serves session windows. */
export interface AggregateFunction<IN, ACC, OUT> {
  create(): ACC;
  add(acc: ACC, value: IN): ACC;
  merge(a: ACC, b: ACC): ACC;
  result(acc: ACC): OUT;
}

export interface WindowOperatorOptions<K, IN, ACC, OUT> {
  assigner: WindowAssigner;
  aggregate: AggregateFunction<IN, ACC, OUT>;
  /** How long (event-time ms) a fired window still accepts elements (default 0). */
  allowedLatenessMs?: number;
  emit(key: K, window: TimeWindow, result: OUT): void;
  /** Elements too late for every window they belong to; dropped when absent. */
  late?(key: K, value: IN, timestampMs: number): void;
}

/** A key's window and its accumulator; it is also the namespace of its own timers (no id string per pane). */
interface Pane<ACC> {
  window: TimeWindow;
  acc: ACC;
}

export interface WindowOperatorSnapshot<K, ACC> {
  wm: number;
  late: number;
  /** Per key: its windows as [start, end, accumulator]. */
  panes: [K, [number, number, ACC][]][];
  timers: [number, K, string][];
}

const paneId = (w: TimeWindow): string => `${w.start}:${w.end}`;

/** The window start a timer namespace (`start:end`) names. */
const startOf = (id: string): number => Number(id.slice(0, id.indexOf(':')));

export class WindowOperator<K, IN, ACC, OUT> {
  /** Per key, its panes by window start (a key's windows of one assigner never share a start). */
  private readonly panes = new Map<K, Map<number, Pane<ACC>>>();
  /**
   * A pane's timers are set once, when it opens (no deduplication needed); a timer names its pane,
   * which is no longer the key's pane of that start once merged away or cleared.
   */
  private readonly timers = new TimerQueue<K, Pane<ACC>>(null);
  private readonly lateness: number;
  private wm = -Infinity;
  /** Elements routed to `late` (or dropped) so far. */
  lateElements = 0;

  /** @throws RangeError for a bad assigner or a negative lateness. */
  constructor(private readonly o: WindowOperatorOptions<K, IN, ACC, OUT>) {
    checkAssigner(o.assigner);
    this.lateness = o.allowedLatenessMs ?? 0;
    if (!Number.isSafeInteger(this.lateness) || this.lateness < 0)
      throw new WrtError('WRT_INVALID_ARGUMENT', `allowedLatenessMs must be a non-negative integer, got ${this.lateness}`);
  }

  get currentWatermark(): number {
    return this.wm;
  }

  /** Windows (over all keys) holding state now. */
  get openWindows(): number {
    let n = 0;
    for (const m of this.panes.values()) n += m.size;
    return n;
  }

  /** The operator's state: watermark, panes and timers (plain values; state-codec.ts writes them). */
  snapshot(): WindowOperatorSnapshot<K, ACC> {
    return {
      wm: this.wm,
      late: this.lateElements,
      panes: [...this.panes].map(([k, m]) => [k, [...m.values()].map((p) => [p.window.start, p.window.end, p.acc])]),
      timers: this.timers.entries().map(([t, k, pane]) => [t, k, paneId(pane.window)]),
    };
  }

  /** Takes the state of {@link snapshot} (into a fresh operator). */
  restore(s: WindowOperatorSnapshot<K, ACC>): void {
    this.wm = s.wm;
    this.lateElements = s.late;
    for (const [k, panes] of s.panes) {
      const m = this.panesOf(k);
      for (const [start, end, acc] of panes) m.set(start, { window: { start, end }, acc });
    }
    // A timer whose pane is gone (merged away) was stale when it was written: it stays dropped.
    for (const [t, k, ns] of s.timers) {
      const pane = this.panes.get(k)?.get(startOf(ns));
      if (pane && paneId(pane.window) === ns) this.timers.add(t, k, pane);
    }
  }

  processElement(key: K, value: IN, timestampMs: number): void {
    const placed =
      this.o.assigner.kind === 'session'
        ? this.addToSession(key, value, timestampMs, this.o.assigner.gapMs)
        : this.addToWindows(key, value, timestampMs);
    if (!placed) {
      this.lateElements++;
      this.o.late?.(key, value, timestampMs);
    }
  }

  /** Advances event time to `watermarkMs`, firing and clearing windows in timer order. */
  advanceWatermark(watermarkMs: number): void {
    if (watermarkMs <= this.wm) return;
    this.wm = watermarkMs;
    for (let t = this.timers.pollUpTo(watermarkMs); t !== null; t = this.timers.pollUpTo(watermarkMs)) {
      const pane = t.namespace;
      const panes = this.panes.get(t.key);
      if (panes?.get(pane.window.start) !== pane) continue; // merged away or already cleared
      const last = maxTimestamp(pane.window);
      if (t.time === last) this.o.emit(t.key, pane.window, this.o.aggregate.result(pane.acc));
      if (t.time === last + this.lateness) {
        panes.delete(pane.window.start);
        if (panes.size === 0) this.panes.delete(t.key);
      }
    }
  }

  private isLate(w: TimeWindow): boolean {
    return maxTimestamp(w) + this.lateness <= this.wm;
  }

  private panesOf(key: K): Map<number, Pane<ACC>> {
    let m = this.panes.get(key);
    if (!m) this.panes.set(key, (m = new Map()));
    return m;
  }

  /** Registers the window's firing (or fires it now when it is already due) and its cleanup. */
  private schedule(key: K, pane: Pane<ACC>): void {
    const last = maxTimestamp(pane.window);
    if (last <= this.wm) this.o.emit(key, pane.window, this.o.aggregate.result(pane.acc));
    else this.timers.add(last, key, pane);
    // Without lateness the firing timer is also the cleanup (advanceWatermark does both; a pane
    // already due then is late and never opens).
    if (this.lateness > 0) this.timers.add(last + this.lateness, key, pane);
  }

  /**
   * Tumbling and sliding windows: the starts of `t`'s windows, latest first (as `assignWindows`
   * gives them), without a window object per element; a pane makes its window when it opens.
   */
  private addToWindows(key: K, value: IN, t: number): boolean {
    const a = this.o.assigner as Exclude<WindowAssigner, { kind: 'session' }>;
    const size = a.sizeMs;
    const slide = a.kind === 'sliding' ? a.slideMs : size;
    const agg = this.o.aggregate;
    let placed = false;
    let panes: Map<number, Pane<ACC>> | undefined;
    for (let start = windowStart(t, a.offsetMs ?? 0, slide); start > t - size; start -= slide) {
      const last = start + size - 1;
      if (last + this.lateness <= this.wm) continue; // late for this window
      placed = true;
      panes ??= this.panesOf(key);
      let pane = panes.get(start);
      if (!pane) {
        const window = { start, end: start + size };
        panes.set(start, (pane = { window, acc: agg.add(agg.create(), value) }));
        // A pane's timers are set when it opens (what Flink's trigger re-registers per element,
        // its timer service keeps once).
        this.schedule(key, pane);
        continue;
      }
      pane.acc = agg.add(pane.acc, value);
      // A later element only re-fires a window already due (lateness).
      if (last <= this.wm) this.o.emit(key, pane.window, agg.result(pane.acc));
    }
    return placed;
  }

  /**
   * Session windows: the new window [t, t + gap) and every window of the key it touches become
   * one. A key's sessions never touch each other, so those the new window touches are all there
   * is to merge: their union with it is one interval and touches nothing else.
   */
  private addToSession(key: K, value: IN, t: number, gapMs: number): boolean {
    const fresh: TimeWindow = { start: t, end: t + gapMs };
    const panes = this.panes.get(key);
    const absorbed = panes ? [...panes.values()].filter((p) => intersects(p.window, fresh)) : [];
    const merged = absorbed.reduce((w, p) => cover(w, p.window), fresh);
    if (absorbed.length === 0 && this.isLate(merged)) return false;
    const agg = this.o.aggregate;
    const same = absorbed.length === 1 ? absorbed[0]! : null;
    if (same && same.window.start === merged.start && same.window.end === merged.end) {
      // Inside a session it does not extend: its timers stand (setting them again would fire it twice).
      same.acc = agg.add(same.acc, value);
      if (maxTimestamp(merged) <= this.wm) this.o.emit(key, merged, agg.result(same.acc));
      return true;
    }
    let acc = agg.add(agg.create(), value);
    for (const p of absorbed) {
      acc = agg.merge(p.acc, acc);
      panes!.delete(p.window.start);
    }
    const pane = { window: merged, acc };
    this.panesOf(key).set(merged.start, pane);
    this.schedule(key, pane);
    return true;
  }
}
