/**
 * A keyed window join (Flink's `DataStream.join(other).where(…).equalTo(…).window(…)`): the
 * elements of both inputs with the same key are assigned to event-time windows (tumbling or
 * sliding, runtime/stream/time-window.ts); when the watermark passes a window's last millisecond,
 * every (left, right) pair of that key and window is emitted with the window's last millisecond as
 * its time, and the pane is dropped. An element can be in several sliding windows, so a pair can
 * be emitted once per window the two share, as in Flink. Elements whose every window has fired
 * are late and dropped (counted).
 */
import { WrtError } from '../errors.js';
import { TimerQueue } from './timer-queue.js';
import { assignWindows, maxTimestamp, type TimeWindow, type WindowAssigner } from './time-window.js';

export interface WindowJoinOptions<K, L, R> {
  assigner: WindowAssigner;
  emit(key: K, left: L, right: R, window: TimeWindow): void;
}

interface Pane<L, R> {
  left: L[];
  right: R[];
}

export interface WindowJoinSnapshot<K, L, R> {
  wm: number;
  late: number;
  /** [key, window start, window end, left values, right values]. */
  panes: [K, number, number, L[], R[]][];
}

export class WindowJoinOperator<K, L, R> {
  /** By key, then by window start. */
  private readonly panes = new Map<K, Map<number, { w: TimeWindow; pane: Pane<L, R> }>>();
  private readonly timers = new TimerQueue<K, number>((k, start) => `${String(k)}\u0000${start}`);
  private wm = -Infinity;
  lateElements = 0;

  /** @throws RangeError for a session assigner (window joins take tumbling or sliding windows). */
  constructor(private readonly o: WindowJoinOptions<K, L, R>) {
    if (o.assigner.kind === 'session')
      throw new WrtError('WRT_INVALID_ARGUMENT', 'a window join takes tumbling or sliding windows, not session windows');
  }

  processLeft(key: K, value: L, t: number): void {
    this.add(key, t, (p) => p.left.push(value));
  }

  processRight(key: K, value: R, t: number): void {
    this.add(key, t, (p) => p.right.push(value));
  }

  private add(key: K, t: number, put: (p: Pane<L, R>) => void): void {
    let placed = false;
    for (const w of assignWindows(this.o.assigner, t)) {
      if (maxTimestamp(w) <= this.wm) continue;
      let byStart = this.panes.get(key);
      if (!byStart) this.panes.set(key, (byStart = new Map()));
      let entry = byStart.get(w.start);
      if (!entry) {
        byStart.set(w.start, (entry = { w, pane: { left: [], right: [] } }));
        this.timers.add(maxTimestamp(w), key, w.start);
      }
      put(entry.pane);
      placed = true;
    }
    if (!placed) this.lateElements++;
  }

  /** Fires every window whose last millisecond the watermark has reached. */
  advanceWatermark(watermarkMs: number): void {
    if (watermarkMs <= this.wm) return;
    this.wm = watermarkMs;
    for (let tm = this.timers.pollUpTo(watermarkMs); tm !== null; tm = this.timers.pollUpTo(watermarkMs)) {
      const byStart = this.panes.get(tm.key);
      const entry = byStart?.get(tm.namespace);
      if (!byStart || !entry) continue;
      byStart.delete(tm.namespace);
      if (byStart.size === 0) this.panes.delete(tm.key);
      for (const l of entry.pane.left) for (const r of entry.pane.right) this.o.emit(tm.key, l, r, entry.w);
    }
  }

  /**
   * The operator's state, each value as `plain` gives it (a value that must be written as plain
   * data). Timers are one per pane, rebuilt on restore.
   */
  snapshot(plain: (v: L | R) => L | R = (v) => v): WindowJoinSnapshot<K, L, R> {
    const panes: WindowJoinSnapshot<K, L, R>['panes'] = [];
    for (const [k, byStart] of this.panes)
      for (const { w, pane } of byStart.values())
        panes.push([k, w.start, w.end, pane.left.map((v) => plain(v) as L), pane.right.map((v) => plain(v) as R)]);
    return { wm: this.wm, late: this.lateElements, panes };
  }

  /** Takes the state of {@link snapshot} (into a fresh operator). */
  restore(s: WindowJoinSnapshot<K, L, R>): void {
    this.wm = s.wm;
    this.lateElements = s.late;
    for (const [k, start, end, left, right] of s.panes) {
      let byStart = this.panes.get(k);
      if (!byStart) this.panes.set(k, (byStart = new Map()));
      byStart.set(start, { w: { start, end }, pane: { left, right } });
      this.timers.add(end - 1, k, start);
    }
  }
}
