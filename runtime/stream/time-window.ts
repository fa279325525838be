/**
 * Event-time windows and their assigners, with Flink's semantics (flink-streaming-java
 * `TimeWindow`, `TumblingEventTimeWindows`, `SlidingEventTimeWindows`, `EventTimeSessionWindows`):
 * a window is the half-open interval [start, end) of milliseconds since the epoch; its last
 * timestamp (`end - 1`) is when it fires; tumbling and sliding windows align to the epoch plus an
 * offset; a session window starts as [t, t + gap) and merges with every window it intersects,
 * where intersection includes touching ends (so events exactly `gap` apart share a session).
 */
import { WrtError } from '../errors.js';

export interface TimeWindow {
  /** First millisecond in the window. */
  readonly start: number;
  /** First millisecond after the window. */
  readonly end: number;
}

export type WindowAssigner =
  | { readonly kind: 'tumbling'; readonly sizeMs: number; readonly offsetMs?: number }
  | { readonly kind: 'sliding'; readonly sizeMs: number; readonly slideMs: number; readonly offsetMs?: number }
  | { readonly kind: 'session'; readonly gapMs: number };

/** The window's last timestamp: its results carry it, and it fires when the watermark reaches it. */
export const maxTimestamp = (w: TimeWindow): number => w.end - 1;

/** Flink's `TimeWindow.intersects`: overlapping or touching. */
export const intersects = (a: TimeWindow, b: TimeWindow): boolean => a.start <= b.end && a.end >= b.start;

export const cover = (a: TimeWindow, b: TimeWindow): TimeWindow => ({ start: Math.min(a.start, b.start), end: Math.max(a.end, b.end) });

/** Start of the window of `size` (offset `offset`) that holds `t`: t - ((t - offset) mod size), mod ≥ 0. */
export function windowStart(t: number, offsetMs: number, sizeMs: number): number {
  const r = (t - offsetMs) % sizeMs;
  return t - (r < 0 ? r + sizeMs : r);
}

/**
 * Checks an assigner's sizes.
 * @throws RangeError naming the field when a size, slide or gap is not a positive integer of
 *   milliseconds, or an offset is not below the size (or slide).
 */
export function checkAssigner(a: WindowAssigner): WindowAssigner {
  const positive = (name: string, v: number): void => {
    if (!Number.isSafeInteger(v) || v <= 0)
      throw new WrtError('WRT_INVALID_ARGUMENT', `${a.kind} window: ${name} must be a positive integer of milliseconds, got ${v}`);
  };
  if (a.kind === 'session') positive('gapMs', a.gapMs);
  else {
    positive('sizeMs', a.sizeMs);
    const period = a.kind === 'sliding' ? a.slideMs : a.sizeMs;
    if (a.kind === 'sliding') positive('slideMs', a.slideMs);
    const offset = a.offsetMs ?? 0;
    if (!Number.isSafeInteger(offset) || Math.abs(offset) >= period)
      throw new WrtError(
        'WRT_INVALID_ARGUMENT',
        `${a.kind} window: offsetMs must be an integer below the ${a.kind === 'sliding' ? 'slide' : 'size'}, got ${offset}`,
      );
  }
  return a;
}

/** The windows an element with timestamp `t` belongs to (for sessions, its initial window). */
export function assignWindows(a: WindowAssigner, t: number): TimeWindow[] {
  switch (a.kind) {
    case 'tumbling': {
      const start = windowStart(t, a.offsetMs ?? 0, a.sizeMs);
      return [{ start, end: start + a.sizeMs }];
    }
    case 'sliding': {
      const out: TimeWindow[] = [];
      for (let start = windowStart(t, a.offsetMs ?? 0, a.slideMs); start > t - a.sizeMs; start -= a.slideMs)
        out.push({ start, end: start + a.sizeMs });
      return out;
    }
    case 'session':
      return [{ start: t, end: t + a.gapMs }];
  }
}
