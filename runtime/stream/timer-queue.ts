/**
 * Event-time timers of one operator subtask, fired in (time, registration order), so timers of
 * equal time fire in the order they were set and a run is reproducible. With an `idOf`, a timer is
 * identified by (key, namespace, time) and setting it twice keeps one (Flink's timer service);
 * without, every `add` is a timer of its own, for callers that never set one twice (no id string
 * is built, no set is kept: the cost of `add` on a hot path).
 *
 * Layout: one bucket per distinct time (its timers in registration order) and a binary min-heap of
 * those times. Streams put many timers on few times (every key's window ends at the same
 * instants; an interval join's elements share milliseconds), so `add` is a map lookup and a push,
 * and the heap holds numbers, not one object per timer.
 */

export interface Timer<K, N> {
  readonly time: number;
  readonly key: K;
  readonly namespace: N;
}

/** The timers of one time, in registration order; those before `head` have fired. */
interface Bucket<K, N> {
  keys: K[];
  namespaces: N[];
  head: number;
}

export class TimerQueue<K, N> {
  /** The distinct times that have a bucket, as a binary min-heap. */
  private readonly times: number[] = [];
  private readonly buckets = new Map<number, Bucket<K, N>>();
  private readonly ids = new Set<string>();
  private count = 0;

  /**
   * @param idOf maps (key, namespace) to a string unique among live timers of equal time; null: no
   *   deduplication.
   */
  constructor(private readonly idOf: ((key: K, namespace: N) => string) | null) {}

  get size(): number {
    return this.count;
  }

  /** Registers a timer; returns false when deduplicating and the same (key, namespace, time) is already set. */
  add(time: number, key: K, namespace: N): boolean {
    if (this.idOf) {
      const id = `${time}\u0000${this.idOf(key, namespace)}`;
      if (this.ids.has(id)) return false;
      this.ids.add(id);
    }
    let b = this.buckets.get(time);
    if (!b) {
      this.buckets.set(time, (b = { keys: [], namespaces: [], head: 0 }));
      this.pushTime(time);
    }
    b.keys.push(key);
    b.namespaces.push(namespace);
    this.count++;
    return true;
  }

  /** The earliest timer's time, or null when there is none. */
  peekTime(): number | null {
    return this.times.length === 0 ? null : this.times[0]!;
  }

  /**
   * Removes and returns the earliest timer with time ≤ `upTo`, or null. A timer added while a time
   * is being drained fires in order: after the others of its time, or next if it is earlier.
   */
  pollUpTo(upTo: number): Timer<K, N> | null {
    if (this.times.length === 0) return null;
    const time = this.times[0]!;
    if (time > upTo) return null;
    // Timers of one time are taken one after another: one map lookup a time, not one a timer.
    if (this.takingTime !== time || this.taking === null) {
      this.taking = this.buckets.get(time)!;
      this.takingTime = time;
    }
    const b = this.taking;
    const i = b.head++;
    const key = b.keys[i]!;
    const namespace = b.namespaces[i]!;
    if (b.head === b.keys.length) {
      this.buckets.delete(time);
      this.popTime();
      this.taking = null;
    }
    this.count--;
    if (this.idOf) this.ids.delete(`${time}\u0000${this.idOf(key, namespace)}`);
    return { time, key, namespace };
  }

  /** The bucket {@link pollUpTo} is taking timers from, and its time (null: look it up). */
  private taking: Bucket<K, N> | null = null;
  private takingTime = 0;

  /** Every timer as [time, key, namespace], in firing order (for snapshots; re-`add` them in order to restore). */
  entries(): [number, K, N][] {
    const out: [number, K, N][] = [];
    for (const time of [...this.times].sort((a, b) => a - b)) {
      const b = this.buckets.get(time)!;
      for (let i = b.head; i < b.keys.length; i++) out.push([time, b.keys[i]!, b.namespaces[i]!]);
    }
    return out;
  }

  private pushTime(time: number): void {
    const h = this.times;
    let i = h.length;
    h.push(time);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p]! <= time) break;
      h[i] = h[p]!;
      i = p;
    }
    h[i] = time;
  }

  private popTime(): void {
    const h = this.times;
    const last = h.pop()!;
    const n = h.length;
    if (n === 0) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const c = l + 1 < n && h[l + 1]! < h[l]! ? l + 1 : l;
      if (h[c]! >= last) break;
      h[i] = h[c]!;
      i = c;
    }
    h[i] = last;
  }
}
