// Monte Carlo estimate of π, shared by the task sample (samples/tasks/) and the batch pipeline
// sample (samples/montecarlo/): points drawn from xorshift64* (Vigna, "An experimental exploration
// of Marsaglia's xorshift generators, scrambled", ACM TOMS 42(4), 2016), seeded per call.

let state: u64 = 1;

@inline function nextUnit(): f64 {
  state ^= state >> 12;
  state ^= state << 25;
  state ^= state >> 27;
  return <f64>((state * 0x2545f4914f6cdd1d) >> 11) / 9007199254740992.0;
}

/**
 * Draws `samples` points of the unit square from the xorshift64* stream of `seed` (state
 * seed × 0x9e3779b97f4a7c15 + 1) and returns how many fall inside the quarter circle x² + y² ≤ 1.
 */
export function countInside(seed: u64, samples: u64): u64 {
  state = seed * 0x9e3779b97f4a7c15 + 1;
  let inside: u64 = 0;
  for (let i: u64 = 0; i < samples; i++) {
    const x = nextUnit();
    const y = nextUnit();
    if (x * x + y * y <= 1.0) inside++;
  }
  return inside;
}
