/**
 * Watermarks, as Flink defines them (flink-core `BoundedOutOfOrdernessWatermarks`,
 * `WatermarksWithIdleness`; flink-streaming-java `StatusWatermarkValve`). Times are milliseconds;
 * event time since the epoch, processing time on whatever monotonic clock the caller passes.
 *
 * A watermark W asserts that no more elements with timestamp ≤ W will arrive; -Infinity means
 * "nothing known yet", +Infinity "end of input" (it fires every pending window and timer).
 */
import { WrtError } from '../errors.js';

/** The watermark of one source split with a bounded out-of-orderness: max timestamp seen - bound - 1. */
export class BoundedOutOfOrdernessWatermarks {
  private maxTimestamp = -Infinity;
  private lastEventAt = -Infinity;

  /**
   * @param boundMs how late (ms, ≥ 0) an element may arrive behind the largest timestamp seen.
   * @param idleTimeoutMs processing time (ms) without elements after which the split counts as
   *   idle and stops holding back the watermark downstream; undefined: never idle.
   * @throws RangeError for a negative bound or a non-positive idle timeout.
   */
  constructor(
    readonly boundMs: number,
    readonly idleTimeoutMs?: number,
  ) {
    if (!(boundMs >= 0)) throw new WrtError('WRT_INVALID_ARGUMENT', `out-of-orderness bound must be ≥ 0 ms, got ${boundMs}`);
    if (idleTimeoutMs !== undefined && !(idleTimeoutMs > 0))
      throw new WrtError('WRT_INVALID_ARGUMENT', `idle timeout must be > 0 ms, got ${idleTimeoutMs}`);
  }

  /** Records an element's event time, read at processing time `nowMs`. */
  onEvent(timestampMs: number, nowMs = 0): void {
    if (timestampMs > this.maxTimestamp) this.maxTimestamp = timestampMs;
    this.lastEventAt = nowMs;
  }

  get watermark(): number {
    return this.maxTimestamp - this.boundMs - 1;
  }

  /** True when no element has come for the idle timeout. */
  isIdle(nowMs: number): boolean {
    return this.idleTimeoutMs !== undefined && nowMs - this.lastEventAt >= this.idleTimeoutMs;
  }
}

/**
 * Combines the watermarks of an operator's input channels: the output is the minimum over the
 * channels that are not idle, and it only moves forward. While every channel is idle the output
 * holds still (it does not jump ahead on its own).
 */
export class WatermarkValve {
  private readonly watermarks: number[];
  private readonly idle: boolean[];
  private output = -Infinity;

  constructor(channels: number) {
    if (!Number.isInteger(channels) || channels < 1)
      throw new WrtError('WRT_INVALID_ARGUMENT', `a valve needs ≥ 1 input channel, got ${channels}`);
    this.watermarks = new Array<number>(channels).fill(-Infinity);
    this.idle = new Array<boolean>(channels).fill(false);
  }

  get current(): number {
    return this.output;
  }

  /** Channel `c` reports watermark `w`; returns the new combined watermark when it advanced, else null. */
  onWatermark(c: number, w: number): number | null {
    if (w > this.watermarks[c]!) this.watermarks[c] = w;
    this.idle[c] = false;
    return this.advance();
  }

  /** Per-channel watermarks and the output, for snapshots. */
  snapshot(): { watermarks: number[]; output: number } {
    return { watermarks: [...this.watermarks], output: this.output };
  }

  /** Takes the state of {@link snapshot} (same channel count). */
  restore(s: { watermarks: number[]; output: number }): void {
    s.watermarks.forEach((w, c) => (this.watermarks[c] = w));
    this.output = s.output;
  }

  /** Whether every channel is idle, counting those `ended` marks as idle (they hold nothing back). */
  allIdle(ended: readonly boolean[]): boolean {
    return this.idle.every((idle, c) => idle || ended[c]);
  }

  /** Channel `c` goes idle (true) or becomes active again (false). */
  onIdle(c: number, idle: boolean): number | null {
    this.idle[c] = idle;
    return this.advance();
  }

  private advance(): number | null {
    let min = Infinity;
    let active = false;
    for (let c = 0; c < this.watermarks.length; c++) {
      if (this.idle[c]) continue;
      active = true;
      if (this.watermarks[c]! < min) min = this.watermarks[c]!;
    }
    if (!active || min <= this.output) return null;
    this.output = min;
    return min;
  }
}
