/** WGSL pieces several kernels share. Each is text spliced into a shader; the names it uses are documented. */
import { WORKGROUP_SIZE } from '../context.js';

/**
 * An inclusive Hillis–Steele scan (W. D. Hillis and G. L. Steele, "Data Parallel Algorithms",
 * CACM 1986) over the workgroup array `array`, one entry per invocation `t` of `size`:
 * log2(size) steps, two barriers each, so every invocation must reach it. `combine(earlier,
 * later)` gives the WGSL that folds two entries (sums add, so the order only matters for f32).
 * The caller writes its entry and puts a barrier before.
 */
export function workgroupScanWgsl(array: string, size: number, combine: (earlier: string, later: string) => string): string {
  return `
  for (var off = 1u; off < ${size}u; off <<= 1u) {
    var y = ${array}[t];
    if (t >= off) { y = ${combine(`${array}[t - off]`, 'y')}; }
    workgroupBarrier();
    ${array}[t] = y;
    workgroupBarrier();
  }`;
}

/**
 * Per-invocation counters of 16 digits (0–15), 16 bits each, packed in `array<vec4u, 2>` (digits
 * 0–7, then 8–15): `bump(&c, d)` adds one to digit d, `counter(c, d)` reads it. The radix sorts
 * rank keys with them (Satish, Harris and Garland, IPDPS 2009).
 */
export const PACKED_COUNTERS_WGSL = /* wgsl */ `
fn bump(c: ptr<function, array<vec4u, 2>>, d: u32) {
  (*c)[d >> 3u][(d >> 1u) & 3u] += 1u << ((d & 1u) * 16u);
}
fn counter(c: array<vec4u, 2>, d: u32) -> u32 {
  return (c[d >> 3u][(d >> 1u) & 3u] >> ((d & 1u) * 16u)) & 0xffffu;
}`;

/**
 * The inclusive scan, across the workgroup, of each invocation's packed counters stored in the
 * workgroup arrays `lo` and `hi` (`array<vec4u, 256>`: digits 0–7 and 8–15); the caller stores
 * them and puts a barrier before. After it, `lo[t]`/`hi[t]` count digits up to invocation t.
 */
export const PACKED_COUNTER_SCAN_WGSL = /* wgsl */ `
  for (var off = 1u; off < ${WORKGROUP_SIZE}u; off <<= 1u) {
    var x = lo[t];
    var y = hi[t];
    if (t >= off) { x += lo[t - off]; y += hi[t - off]; }
    workgroupBarrier();
    lo[t] = x;
    hi[t] = y;
    workgroupBarrier();
  }`;
