/**
 * A map from a stream key (a number or a string, see keyed-state.ts) to a non-negative integer,
 * for operators that keep per-key data in typed arrays. Number keys — what keyBy on an I64, F64
 * or Timestamp column gives — live in an open-addressing table with linear probing (keys in a
 * Float64Array, values in an Int32Array, removal by backward shift: no tombstones), so adding and
 * removing them allocates nothing; `Map` churn of that kind (one entry per Nexmark q7 price, most
 * gone within seconds) showed as the interval join's largest cost after the garbage collector.
 * Other keys (strings, NaN) go to a `Map`. Keys compare as `Map` does (SameValueZero: −0 is 0).
 * Linear probing with backward-shift deletion: Knuth, TAOCP vol. 3, §6.4, Algorithm R.
 */

const EMPTY = -1;

export class KeyIndex<K> {
  private mask = 1023;
  private numbers = new Float64Array(1024);
  private values = new Int32Array(1024).fill(EMPTY);
  private used = 0;
  private readonly others = new Map<K, number>();
  /** The bits of a number key, for its hash. */
  private readonly bits = new Float64Array(1);
  private readonly words = new Int32Array(this.bits.buffer);

  /** Keys held. */
  get size(): number {
    return this.used + this.others.size;
  }

  /** The value of `key`, or −1 when it has none. */
  get(key: K): number {
    if (typeof key !== 'number' || key !== key) return this.others.get(key) ?? EMPTY;
    for (let i = this.slotOf(key); ; i = (i + 1) & this.mask) {
      const v = this.values[i]!;
      if (v === EMPTY || this.numbers[i] === key) return v;
    }
  }

  /** Sets `key`'s value (a non-negative int32); the key must not be held. */
  add(key: K, value: number): void {
    if (typeof key !== 'number' || key !== key) {
      this.others.set(key, value);
      return;
    }
    if (2 * (this.used + 1) > this.mask + 1) this.rehash(2 * (this.mask + 1));
    let i = this.slotOf(key);
    while (this.values[i] !== EMPTY) i = (i + 1) & this.mask;
    this.numbers[i] = key === 0 ? 0 : key;
    this.values[i] = value;
    this.used++;
  }

  /** Removes `key` (nothing when it is not held). */
  delete(key: K): void {
    if (typeof key !== 'number' || key !== key) {
      this.others.delete(key);
      return;
    }
    const mask = this.mask;
    let i = this.slotOf(key);
    for (; ; i = (i + 1) & mask) {
      if (this.values[i] === EMPTY) return;
      if (this.numbers[i] === key) break;
    }
    // Backward shift: move each later entry of the probe run into the hole when its home slot
    // does not lie (cyclically) between the hole and it.
    let hole = i;
    for (let j = (i + 1) & mask; this.values[j] !== EMPTY; j = (j + 1) & mask) {
      const home = this.slotOf(this.numbers[j]!);
      if (((j - home) & mask) >= ((j - hole) & mask)) {
        this.numbers[hole] = this.numbers[j]!;
        this.values[hole] = this.values[j]!;
        hole = j;
      }
    }
    this.values[hole] = EMPTY;
    this.used--;
  }

  /** The home slot of a number key: its 64 bits mixed (−0 hashes as 0). */
  private slotOf(key: number): number {
    this.bits[0] = key === 0 ? 0 : key;
    const h = Math.imul(this.words[0]! ^ Math.imul(this.words[1]!, 0x85ebca6b), 0x9e3779b1);
    return (h ^ (h >>> 15)) & this.mask;
  }

  private rehash(size: number): void {
    const numbers = this.numbers;
    const values = this.values;
    this.mask = size - 1;
    this.numbers = new Float64Array(size);
    this.values = new Int32Array(size).fill(EMPTY);
    for (let i = 0; i < values.length; i++) {
      if (values[i] === EMPTY) continue;
      let j = this.slotOf(numbers[i]!);
      while (this.values[j] !== EMPTY) j = (j + 1) & this.mask;
      this.numbers[j] = numbers[i]!;
      this.values[j] = values[i]!;
    }
  }
}
