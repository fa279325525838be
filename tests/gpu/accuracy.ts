/**
 * What the GPU kernel suite may expect of a WebGPU implementation, from WGSL's accuracy rules
 * (W3C WGSL, § 15.7.4.1 "Concrete Floating Point Accuracy") and the classical error bounds of
 * floating-point summation (N. J. Higham, "Accuracy and Stability of Numerical Algorithms",
 * 2nd ed., SIAM 2002):
 *
 * - **Exact**: integer arithmetic (wraps modulo 2^32, § 8.7 "concrete integer expressions"),
 *   f32 `+`, `-` and `*` of one operation ("correctly rounded"), comparisons ("correct result"),
 *   `min`/`max` ("correctly rounded"; subnormals aside, which our inputs avoid). Compared with
 *   `Object.is`.
 * - **Within a ULP bound**: `x / y` is 2.5 ULP for |y| in [2^-126, 2^126]; `inverseSqrt` is 2 ULP;
 *   `sqrt(x)` is "inherited from 1.0 / inverseSqrt(x)", so its relative error is at most
 *   (2 + 2.5) ULP of relative size 2^-23 plus their product — {@link SQRT_RELATIVE}.
 * - **Within a summation bound**: WGSL lets an implementation "reassociate operations" and "fuse
 *   operations" (§ 15.7.4.1), and a kernel picks its own tree, so an f32 sum of n terms is only
 *   bounded by the order-free bound |ŝ − s| ≤ γ(n−1) · Σ|xᵢ| with γ(n) = n·u / (1 − n·u),
 *   u = 2^-24 (Higham § 4.2, eq. 4.6), and each element of a matrix product of inner dimension k
 *   by γ(k) · (|A|·|B|)ᵢⱼ (Higham § 3.5, eq. 3.13); a fused multiply-add only tightens both.
 */

/** Unit roundoff of binary32 (round to nearest): 2^-24. */
export const UNIT_ROUNDOFF = 2 ** -24;

/** Higham's γ(n) = n·u / (1 − n·u) for binary32; Infinity once n·u ≥ 1. */
export function gamma(n: number): number {
  const nu = n * UNIT_ROUNDOFF;
  return nu < 1 ? nu / (1 - nu) : Infinity;
}

/**
 * Largest relative error WGSL allows `sqrt` (§ 15.7.4.1): 2 ULP for `inverseSqrt`, then 2.5 ULP
 * for the division, a ULP being at most 2^-23 of the value.
 */
export const SQRT_RELATIVE = (1 + 2 * 2 ** -23) * (1 + 2.5 * 2 ** -23) - 1;

function fail(message: string): never {
  throw new Error(message);
}

/** Every element identical (`Object.is`: -0 and NaN count). */
export function expectExact(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  if (actual.length !== expected.length) fail(`${what}: length ${actual.length}, expected ${expected.length}`);
  for (let i = 0; i < expected.length; i++)
    if (!Object.is(actual[i], expected[i])) fail(`${what}: element ${i} is ${actual[i]}, expected ${expected[i]}`);
}

/** |actual − expected| ≤ bound(i) for every element; `rule` names where the bound comes from. */
export function expectWithin(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  bound: (i: number) => number,
  what: string,
  rule: string,
): void {
  if (actual.length !== expected.length) fail(`${what}: length ${actual.length}, expected ${expected.length}`);
  for (let i = 0; i < expected.length; i++)
    if (!(Math.abs(actual[i]! - expected[i]!) <= bound(i)))
      fail(`${what}: element ${i} is ${actual[i]}, expected ${expected[i]} ± ${bound(i)} (${rule})`);
}

/** `sqrt` of each element within WGSL's bound, against the correctly rounded root. */
export function expectSqrt(actual: ArrayLike<number>, input: ArrayLike<number>, what: string): void {
  const exact = Array.from(input, (v) => Math.sqrt(v));
  expectWithin(actual, exact, (i) => SQRT_RELATIVE * exact[i]!, what, 'WGSL § 15.7.4.1: sqrt inherited from 1.0 / inverseSqrt(x)');
}

/**
 * Running sums of `x` within Higham's order-free bound: element i within γ(i) · Σ_{j ≤ i} |xⱼ| of
 * the exact (double) running sum. `exclusive` shifts by one (element 0 is exactly 0).
 */
export function expectSums(actual: ArrayLike<number>, x: ArrayLike<number>, exclusive: boolean, what: string): void {
  const exact: number[] = [];
  const magnitude: number[] = [];
  let s = 0;
  let m = 0;
  for (let i = 0; i < x.length; i++) {
    if (exclusive) {
      exact.push(s);
      magnitude.push(m);
    }
    s += x[i]!;
    m += Math.abs(x[i]!);
    if (!exclusive) {
      exact.push(s);
      magnitude.push(m);
    }
  }
  // Element i sums i + 1 terms (inclusive) or i (exclusive): γ(terms − 1).
  const terms = (i: number) => (exclusive ? i : i + 1);
  expectWithin(actual, exact, (i) => gamma(Math.max(0, terms(i) - 1)) * magnitude[i]!, what, 'Higham § 4.2: |ŝ − s| ≤ γ(n−1)·Σ|x|');
}
