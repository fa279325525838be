/**
 * Event-time timers of one operator subtask: a binary min-heap ordered by (time, registration
 * order), so timers of equal time fire in the order they were set and a run is reproducible.
 * With an `idOf`, a timer is identified by (key, namespace, time) and setting it twice keeps one
 * (Flink's timer service); without, every `add` is a timer of its own, for callers that never set
 * one twice (no id string is built, no set is kept: the cost of `add` on a hot path).
 */

export interface Timer<K, N> {
  readonly time: number;
  readonly key: K;
  readonly namespace: N;
}

interface Entry<K, N> extends Timer<K, N> {
  readonly seq: number;
  /** Its (time, key, namespace) identity; '' without deduplication. */
  readonly id: string;
}

export class TimerQueue<K, N> {
  private heap: Entry<K, N>[] = [];
  private readonly ids = new Set<string>();
  private seq = 0;

  /**
   * @param idOf maps (key, namespace) to a string unique among live timers of equal time; null: no
   *   deduplication.
   */
  constructor(private readonly idOf: ((key: K, namespace: N) => string) | null) {}

  get size(): number {
    return this.heap.length;
  }

  /** Registers a timer; returns false when deduplicating and the same (key, namespace, time) is already set. */
  add(time: number, key: K, namespace: N): boolean {
    let id = '';
    if (this.idOf) {
      id = `${time}\u0000${this.idOf(key, namespace)}`;
      if (this.ids.has(id)) return false;
      this.ids.add(id);
    }
    const e: Entry<K, N> = { time, key, namespace, seq: this.seq++, id };
    const h = this.heap;
    // Sift up: move parents down into the hole until e's place is found.
    let i = h.length;
    h.push(e);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(e, h[p]!)) break;
      h[i] = h[p]!;
      i = p;
    }
    h[i] = e;
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
    const n = h.length;
    if (n > 0) {
      // Sift down: move the smaller child up into the hole until `last` fits there.
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const c = l + 1 < n && this.less(h[l + 1]!, h[l]!) ? l + 1 : l;
        if (!this.less(h[c]!, last)) break;
        h[i] = h[c]!;
        i = c;
      }
      h[i] = last;
    }
    if (this.idOf) this.ids.delete(top.id);
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
