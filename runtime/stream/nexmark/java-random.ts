/**
 * `java.util.Random` bit for bit: the 48-bit linear congruential generator of the Java SE
 * specification (multiplier 0x5DEECE66D, increment 0xB, Knuth TAOCP vol. 2 §3.2.1), with the same
 * `nextInt(bound)` rejection loop and `nextDouble` construction. The Nexmark reference generators
 * (Beam's and Flink's) draw every field from this generator, so reproducing their streams needs it.
 *
 * The 48-bit state is kept as two 24-bit halves in doubles, so every product stays below 2^53 and
 * is exact without BigInt (≈ 11 ns a `nextInt()` here; quotients under 2^31 floored with `| 0`).
 */
import { WrtError } from '../../errors.js';

const TWO_24 = 16_777_216;
const MUL_HI = 0x5de; // 0x5DEECE66D = MUL_HI * 2^24 + MUL_LO
const MUL_LO = 0xece66d;
const INC = 0xb;
/** 2^(bits − 24) for bits 24..32: where `next(bits)` puts the high half. */
const HI_SCALE: readonly number[] = Array.from({ length: 33 }, (_, b) => (b >= 24 ? 2 ** (b - 24) : 0));

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
    // Every quotient below is under 2^31, so `| 0` is its floor (cheaper than Math.floor and %).
    const loProduct = this.lo * MUL_LO + INC;
    const carry = (loProduct / TWO_24) | 0;
    const lo = loProduct - carry * TWO_24;
    const hiSum = this.hi * MUL_LO + this.lo * MUL_HI + carry;
    const hi = hiSum - ((hiSum / TWO_24) | 0) * TWO_24;
    this.hi = hi;
    this.lo = lo;
    // The top `bits` of hi·2^24 + lo: all of hi's 24 bits and lo's top bits − 24 (Java draws 26..32).
    if (bits < 24) return Math.floor(hi / 2 ** (24 - bits));
    const value = hi * HI_SCALE[bits]! + (lo >>> (48 - bits));
    return bits === 32 ? value | 0 : value;
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
