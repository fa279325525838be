/**
 * xorshift32 (Marsaglia, "Xorshift RNGs", 2003; shifts 13, 17, 5), the TypeScript mirror of the
 * sample module's `keys` export (assembly/gpu-sort.ts): the same `seed | 1` start, so tests can
 * check the module's keys and benchmarks get reproducible inputs.
 * @returns `count` u32 values
 */
export function xorshift32(count: number, seed: number): Uint32Array {
  const out = new Uint32Array(count);
  let x = seed | 1;
  for (let i = 0; i < count; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x >>> 0;
  }
  return out;
}
