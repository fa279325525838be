/**
 * One input side of an interval join (interval-join.ts): buffered elements in a ring in arrival
 * order, as parallel typed arrays (time, row, links, key) and one array of values, each element
 * also in a doubly linked list of its key's elements in time order (equal times in arrival
 * order). Keys are small integers the join hands out; `keyHead`/`keyTail` give each key's list
 * ends. Adding an element allocates nothing (the arrays double when full); elements leave from the
 * ring's head, so its slots are reused in order, and, when the ring has doubled since it was last
 * compacted, from wherever they sit (see {@link SideBuffer.dropBefore}).
 */

/** "No element": the end of a list, an empty key. */
export const NONE = -1;

const INITIAL_SLOTS = 1024;
/** Fewest elements a ring compacts at (below, what lingers is too little to matter). */
const MIN_COMPACT = 4096;

/** Buffered elements of one side as parallel arrays: element i is (keys[i], times[i] ms, values[i], rows[i]). */
export interface SideElements<K, V> {
  keys: K[];
  times: number[];
  values: V[];
  rows: number[];
}

export class SideBuffer<V> {
  /** Slots − 1 (a power of two − 1); a slot index is a sequence number & mask. */
  private mask = INITIAL_SLOTS - 1;
  /** Slot of the oldest element, and the number of elements. */
  private head = 0;
  private count = 0;
  /** Elements left after the last {@link compact} (the next one runs once there are twice as many). */
  private compactedAt = 0;
  /** Per slot: event time (ms), value, row, previous and next element of its key (slot or NONE), key. */
  time = new Float64Array(INITIAL_SLOTS);
  ref: (V | undefined)[] = new Array<V | undefined>(INITIAL_SLOTS);
  row = new Int32Array(INITIAL_SLOTS);
  prev = new Int32Array(INITIAL_SLOTS);
  next = new Int32Array(INITIAL_SLOTS);
  private key = new Int32Array(INITIAL_SLOTS);
  /** Per key: first and last element of its list (NONE when it has none). */
  private keyHead = new Int32Array(0);
  private keyTail = new Int32Array(0);

  /** Makes room for keys 0…n−1 (new keys start empty). */
  reserveKeys(n: number): void {
    if (n <= this.keyHead.length) return;
    const size = Math.max(n, this.keyHead.length * 2, 256);
    const grow = (a: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> => {
      const b = new Int32Array(size).fill(NONE);
      b.set(a);
      return b;
    };
    this.keyHead = grow(this.keyHead);
    this.keyTail = grow(this.keyTail);
  }

  isEmpty(k: number): boolean {
    return this.keyHead[k] === NONE;
  }

  /** Buffers (t, v, row) under key `k`, after every element of that key with time ≤ t. */
  add(k: number, t: number, v: V, row: number): void {
    if (this.count === this.mask + 1) this.grow();
    const s = (this.head + this.count++) & this.mask;
    this.time[s] = t;
    this.ref[s] = v;
    this.row[s] = row;
    this.key[s] = k;
    // Elements mostly arrive in time order: the walk back from the tail is mostly no step.
    let p = this.keyTail[k]!;
    while (p !== NONE && this.time[p]! > t) p = this.prev[p]!;
    this.link(s, k, p, p === NONE ? this.keyHead[k]! : this.next[p]!);
  }

  /** Puts slot `s` between `p` and `n` in key `k`'s list (NONE: that end of the list). */
  private link(s: number, k: number, p: number, n: number): void {
    this.prev[s] = p;
    this.next[s] = n;
    if (p === NONE) this.keyHead[k] = s;
    else this.next[p] = s;
    if (n === NONE) this.keyTail[k] = s;
    else this.prev[n] = s;
  }

  /**
   * The first element of key `k` with time ≥ t (NONE when there is none), found from the tail:
   * a join's matches lie near the newest elements, and those older than the window have left.
   */
  firstAtOrAfter(k: number, t: number): number {
    let p = this.keyTail[k]!;
    while (p !== NONE && this.time[p]! >= t) p = this.prev[p]!;
    return p === NONE ? this.keyHead[k]! : this.next[p]!;
  }

  /** Elements held, those behind a later one that can no longer match included. */
  get size(): number {
    return this.count;
  }

  /**
   * Drops elements from the ring's head while the head's time is before `from`; calls `emptied`
   * with each key whose list this leaves empty. An element behind a later one stays until that one
   * leaves — unless the ring has doubled since it was last compacted, when every element before
   * `from` goes wherever it sits: an input far ahead or one outlying timestamp at the head must not
   * keep everything that came after it.
   */
  dropBefore(from: number, emptied: (k: number) => void): void {
    while (this.count > 0 && this.time[this.head]! < from) {
      const s = this.head;
      this.unlink(s, emptied);
      this.head = (s + 1) & this.mask;
      this.count--;
    }
    if (this.count >= Math.max(2 * this.compactedAt, MIN_COMPACT)) this.compact(from, emptied);
  }

  /** Takes slot `s` out of its key's list and lets go of its value. */
  private unlink(s: number, emptied: (k: number) => void): void {
    const k = this.key[s]!;
    const p = this.prev[s]!;
    const n = this.next[s]!;
    if (p === NONE) this.keyHead[k] = n;
    else this.next[p] = n;
    if (n === NONE) this.keyTail[k] = p;
    else this.prev[n] = p;
    this.ref[s] = undefined;
    if (this.keyHead[k] === NONE) emptied(k);
  }

  /**
   * Drops every element before `from` and moves the rest towards the head, in arrival order. A
   * slot's new place is never after its old one and every slot before it has been dealt with, so
   * moving an element and pointing its neighbours (and its key's ends) at the new place keeps
   * every list whole. Runs once the ring has doubled since the last: O(1) a buffered element.
   */
  private compact(from: number, emptied: (k: number) => void): void {
    const n = this.count;
    let kept = 0;
    for (let i = 0; i < n; i++) {
      const s = (this.head + i) & this.mask;
      if (this.time[s]! < from) {
        this.unlink(s, emptied);
        continue;
      }
      const d = (this.head + kept++) & this.mask;
      if (d === s) continue;
      const k = this.key[s]!;
      this.time[d] = this.time[s]!;
      this.ref[d] = this.ref[s];
      this.row[d] = this.row[s]!;
      this.key[d] = k;
      this.ref[s] = undefined;
      this.link(d, k, this.prev[s]!, this.next[s]!);
    }
    this.count = kept;
    this.compactedAt = kept;
  }

  /** Key `k`'s elements with time ≥ `from`, in time order, as [time, plain(value, row)]. */
  list(k: number, from: number, plain: (v: V, row: number) => unknown): [number, unknown][] {
    const out: [number, unknown][] = [];
    for (let i = this.keyHead[k]!; i !== NONE; i = this.next[i]!)
      if (this.time[i]! >= from) out.push([this.time[i]!, plain(this.ref[i] as V, this.row[i]!)]);
    return out;
  }

  /** The elements with time ≥ `from`, in arrival order, as parallel arrays (keys through `keyOf`). */
  elements<K>(from: number, keyOf: (k: number) => K): SideElements<K, V> {
    const out: SideElements<K, V> = { keys: [], times: [], values: [], rows: [] };
    for (let i = 0; i < this.count; i++) {
      const s = (this.head + i) & this.mask;
      if (this.time[s]! < from) continue;
      out.keys.push(keyOf(this.key[s]!));
      out.times.push(this.time[s]!);
      out.values.push(this.ref[s] as V);
      out.rows.push(this.row[s]!);
    }
    return out;
  }

  /** Elements with time ≥ `from`. */
  countFrom(from: number): number {
    let n = 0;
    for (let i = 0; i < this.count; i++) if (this.time[(this.head + i) & this.mask]! >= from) n++;
    return n;
  }

  /** Doubles the ring; the oldest element moves to slot 0, and every link and key end with it. */
  private grow(): void {
    const old = this.mask + 1;
    const size = old * 2;
    const at = (s: number): number => (s === NONE ? NONE : (s - this.head) & this.mask);
    const time = new Float64Array(size);
    const ref = new Array<V | undefined>(size);
    const row = new Int32Array(size);
    const prev = new Int32Array(size);
    const next = new Int32Array(size);
    const key = new Int32Array(size);
    for (let i = 0; i < this.count; i++) {
      const s = (this.head + i) & this.mask;
      time[i] = this.time[s]!;
      ref[i] = this.ref[s];
      row[i] = this.row[s]!;
      prev[i] = at(this.prev[s]!);
      next[i] = at(this.next[s]!);
      key[i] = this.key[s]!;
    }
    for (let k = 0; k < this.keyHead.length; k++) {
      this.keyHead[k] = at(this.keyHead[k]!);
      this.keyTail[k] = at(this.keyTail[k]!);
    }
    this.time = time;
    this.ref = ref;
    this.row = row;
    this.prev = prev;
    this.next = next;
    this.key = key;
    this.head = 0;
    this.mask = size - 1;
  }
}
