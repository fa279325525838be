/**
 * Half-precision matrix multiply for `matmul(…, { precision: 'f16' })`: A and B rounded to binary16
 * on the host (half the upload), products in f16, sums in f32 (needs `shader-f16`). A 16×16
 * workgroup computes a 64×64 tile of C, 4×4 outputs a thread, K in steps of 16 staged in workgroup
 * memory (Volkov and Demmel, "Benchmarking GPUs to Tune Dense Linear Algebra", SC 2008).
 */

/** Side of the square tile of C one workgroup computes. */
export const HALF_TILE = 64;
const TILE = HALF_TILE;
const TK = 16;

/** The WGSL of the half-precision kernel (bindings: A, B as f16; C as f32; params m, n, k). */
export function halfMatmulShader(): string {
  const t = 'f16';
  return /* wgsl */ `
enable f16;
struct Params { m: u32, n: u32, k: u32 }
@group(0) @binding(0) var<storage, read> a: array<${t}>;
@group(0) @binding(1) var<storage, read> b: array<${t}>;
@group(0) @binding(2) var<storage, read_write> c: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;
var<workgroup> as_: array<array<${t}, ${TILE}>, ${TK}>;
var<workgroup> bs: array<array<${t}, ${TILE}>, ${TK}>;
@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let row0 = wid.y * ${TILE}u;
  let col0 = wid.x * ${TILE}u;
  let t = lid.y * 16u + lid.x;
  let m = params.m;
  let n = params.n;
  let k = params.k;
  var acc: array<vec4f, 4>;
  for (var k0 = 0u; k0 < k; k0 += ${TK}u) {
    for (var j = 0u; j < 4u; j++) {
      let idx = t + j * 256u;
      let ar = idx / ${TK}u;
      let ac = idx % ${TK}u;
      var av = ${t}(0);
      if (row0 + ar < m && k0 + ac < k) { av = a[(row0 + ar) * k + k0 + ac]; }
      as_[ac][ar] = av;
      let br = idx / ${TILE}u;
      let bc = idx % ${TILE}u;
      var bv = ${t}(0);
      if (k0 + br < k && col0 + bc < n) { bv = b[(k0 + br) * n + col0 + bc]; }
      bs[br][bc] = bv;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < ${TK}u; kk++) {
      let bv = vec4f(f32(bs[kk][lid.x * 4u]), f32(bs[kk][lid.x * 4u + 1u]), f32(bs[kk][lid.x * 4u + 2u]), f32(bs[kk][lid.x * 4u + 3u]));
      for (var i = 0u; i < 4u; i++) {
        acc[i] += f32(as_[kk][lid.y * 4u + i]) * bv;
      }
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < 4u; i++) {
    let r = row0 + lid.y * 4u + i;
    for (var j = 0u; j < 4u; j++) {
      let col = col0 + lid.x * 4u + j;
      if (r < m && col < n) { c[r * n + col] = acc[i][j]; }
    }
  }
}`;
}

/** IEEE 754 binary16 bit patterns of `x`, rounded to nearest even (as Uint16Array). */
export function toFloat16(x: Float32Array): Uint16Array {
  const out = new Uint16Array(x.length);
  const bits = new Uint32Array(x.buffer, x.byteOffset, x.length);
  for (let i = 0; i < x.length; i++) {
    const w = bits[i]!;
    const sign = (w >>> 16) & 0x8000;
    const exp = (w >>> 23) & 0xff;
    let mant = w & 0x7fffff;
    if (exp === 0xff) {
      out[i] = sign | 0x7c00 | (mant ? 0x200 : 0);
      continue;
    }
    const e = exp - 127 + 15;
    if (e >= 0x1f) {
      out[i] = sign | 0x7c00;
      continue;
    }
    if (e <= 0) {
      if (e < -10) {
        out[i] = sign;
        continue;
      }
      mant |= 0x800000;
      const shift = 14 - e;
      const half = 1 << (shift - 1);
      let h = mant >>> shift;
      const rest = mant & ((1 << shift) - 1);
      if (rest > half || (rest === half && h & 1)) h++;
      out[i] = sign | h;
      continue;
    }
    let h = (e << 10) | (mant >>> 13);
    const rest = mant & 0x1fff;
    if (rest > 0x1000 || (rest === 0x1000 && h & 1)) h++;
    out[i] = sign | h;
  }
  return out;
}
