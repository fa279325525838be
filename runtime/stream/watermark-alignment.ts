/**
 * Watermark alignment, a slot's side (Flink's FLIP-182, `WatermarkStrategy.withWatermarkAlignment`):
 * the source subtasks of one alignment group, wherever they run, keep within a bounded distance of
 * each other in event time. Without it a source that is not held back by its own slot runs ahead
 * of a busy one, and every operator that joins or windows the two streams buffers the difference
 * (Nexmark q7 held 110 s of bids for a 10 s window).
 *
 * Each slot reports the watermarks of its aligned source subtasks to the head — when they change,
 * at most every `updateIntervalMs` — and the head answers with the slowest watermark of each
 * group across the job (runtime/scheduler/watermark-aligner.ts). A source subtask whose watermark
 * is over that minimum + its `maxDriftMs` reads nothing until a later minimum lets it; barriers,
 * timers and input still flow. A subtask that has ended or is idle reports +Infinity: it holds no
 * one back. Times are event-time milliseconds; intervals processing-time milliseconds.
 */
import type { SourceWatermark, WatermarkAlignmentSpec } from '../protocol/messages.js';

/** One aligned source subtask of a slot. */
export interface AlignedSource {
  vertexId: string;
  index: number;
  spec: WatermarkAlignmentSpec;
  /** Its watermark now, event-time ms: +Infinity when ended or idle, -Infinity before the first. */
  watermark(): number;
}

/** The aligned sources of one slot: whether each may read, and their reports to the head. */
export class SourceAlignment {
  /** The slowest watermark of each group the head last announced; absent: none yet (no pause). */
  private readonly minOf = new Map<string, number>();
  private readonly reported = new Map<AlignedSource, number>();
  private readonly intervalMs: number;
  private lastReportAt = -Infinity;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;

  /**
   * @param report sends the changed watermarks to the head (a ReportWatermarks message).
   * @param wake runs the slot again (a paused source may go on).
   */
  constructor(
    readonly sources: readonly AlignedSource[],
    private readonly report: (changed: SourceWatermark[]) => void,
    private readonly wake: () => void,
  ) {
    this.intervalMs = Math.min(...sources.map((s) => s.spec.updateIntervalMs));
  }

  /** The head announced `min` as the slowest watermark of `group`. */
  align(group: string, min: number): void {
    if (this.minOf.get(group) === min) return;
    this.minOf.set(group, min);
    this.wake();
  }

  /** Whether source `s` must not read now: its watermark is over its group's minimum + its max drift. */
  paused(s: AlignedSource): boolean {
    const min = this.minOf.get(s.spec.group);
    return min !== undefined && s.watermark() > min + s.spec.maxDriftMs;
  }

  /** Called after each slice of the slot: reports changed watermarks now, or once the interval is up. */
  observe(): void {
    if (this.stopped || this.timer) return;
    if (!this.sources.some((s) => s.watermark() !== this.reported.get(s))) return;
    const wait = this.lastReportAt + this.intervalMs - performance.now();
    if (wait <= 0) this.flush();
    else
      this.timer = setTimeout(() => {
        this.timer = null;
        if (!this.stopped) this.flush();
      }, wait);
  }

  /** Reports every watermark that changed since the last report, at once. */
  flush(): void {
    const changed: SourceWatermark[] = [];
    for (const s of this.sources) {
      const w = s.watermark();
      if (w === this.reported.get(s)) continue;
      this.reported.set(s, w);
      changed.push({ vertex: s.vertexId, index: s.index, watermark: w });
    }
    this.lastReportAt = performance.now();
    if (changed.length > 0) this.report(changed);
  }

  /** No more reports (the slot stopped). */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
