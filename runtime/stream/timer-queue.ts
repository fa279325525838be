/**
 * Event-time timers of one operator subtask: a binary min-heap ordered by (time, registration
 * order), so timers of equal time fire in the order they were set and a run is reproducible.
 * A timer is identified by (key, namespace, time); setting it twice keeps one.
 */

export interface Timer<K, N> {
  readonly time: number;
  readonly key: K;
  readonly namespace: N;
}

interface Entry<K, N> extends Timer<K, N> {
  readonly seq: number;
  readonly id: string;
}

export class TimerQueue<K, N> {
  private heap: Entry<K, N>[] = [];
  private readonly ids = new Set<string>();
  private seq = 0;

  /** `idOf` must map (key, namespace) to a string unique among live timers of equal time. */
  constructor(private readonly idOf: (key: K, namespace: N) => string) {}

  get size(): number {
    return this.heap.length;
  }

  /** Registers a timer; returns false when the same (key, namespace, time) is already set. */
  add(time: number, key: K, namespace: N): boolean {
    const id = `${time}\u0000${this.idOf(key, namespace)}`;
    if (this.ids.has(id)) return false;
    this.ids.add(id);
    const e: Entry<K, N> = { time, key, namespace, seq: this.seq++, id };
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
    return true;
  }

  /** The earliest timer's time, or null when there is none. */
  peekTime(): number | null {
    return this.heap.length === 0 ? null : this.heap[0]!.time;
  }

  /** Removes and returns the earliest timer with time ≤ `upTo`, or null. */
  pollUpTo(upTo: number): Timer<K, N> | null {
    const h = this.heap;
    if (h.length === 0 || h[0]!.time > upTo) return null;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
        if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    this.ids.delete(top.id);
    return top;
  }

  /** Every timer as [time, key, namespace], in firing order (for snapshots; re-`add` them in order to restore). */
  entries(): [number, K, N][] {
    return [...this.heap].sort((a, b) => (this.less(a, b) ? -1 : 1)).map((e) => [e.time, e.key, e.namespace]);
  }

  private less(a: Entry<K, N>, b: Entry<K, N>): boolean {
    return a.time < b.time || (a.time === b.time && a.seq < b.seq);
  }
}
