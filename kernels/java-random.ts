// java.util.Random bit for bit, for kernels/nexmark.ts: the 48-bit linear congruential generator
// of the Java SE specification (multiplier 0x5DEECE66D, increment 0xB; Knuth TAOCP vol. 2 §3.2.1)
// with Java's nextInt(bound) rejection loop and nextDouble construction — one i64 multiply a step
// (runtime/stream/nexmark/java-random.ts has to split it in TypeScript). One generator a module.

const MULTIPLIER: i64 = 0x5deece66d;
const MASK_48: i64 = (<i64>1 << 48) - 1;
let state: i64 = 0;

/** `new Random(seed)`'s state: (seed XOR 0x5DEECE66D) mod 2^48. */
@inline export function setSeed(seed: i64): void {
  state = (seed ^ MULTIPLIER) & MASK_48;
}

/** The generator's state, to draw from another seed and come back ({@link setRandomState}). */
@inline export function randomState(): i64 {
  return state;
}

@inline export function setRandomState(s: i64): void {
  state = s;
}

/** Java's `next(bits)`: the top `bits` of the advanced state, as an int. */
@inline export function next(bits: i32): i32 {
  state = (state * MULTIPLIER + 0xb) & MASK_48;
  return <i32>(state >>> (48 - bits));
}

/** Java's `nextInt(bound)`, its rejection loop included (bound > 0). */
export function nextInt(bound: i32): i32 {
  let r = next(31);
  const m = bound - 1;
  if ((bound & m) == 0) return <i32>((<i64>bound * <i64>r) >> 31);
  for (let u = r; u - (r = u % bound) + m < 0; u = next(31)) {}
  return r;
}

/** Java's `nextDouble()`: 53 random bits in [0, 1). */
@inline export function nextDouble(): f64 {
  const high = <i64>next(26);
  return <f64>((high << 27) + <i64>next(27)) * (1.0 / 9007199254740992.0);
}

/** JS Math.round for x ≥ 0.5 (exact there: x + 0.5 is representable), and 0 below. */
@inline export function round(x: f64): f64 {
  return Math.floor(x + 0.5);
}
