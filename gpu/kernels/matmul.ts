/**
 * Tiled matrix multiply C = A × B, row-major, on the GPU. A workgroup of 16×16 threads computes
 * a 64×64 tile of C, each thread a 4×4 block held in registers, stepping through K 16 at a time
 * with A and B tiles staged in workgroup memory (the register-blocked tiling of Volkov and
 * Demmel, "Benchmarking GPUs to Tune Dense Linear Algebra", SC 2008).
 */
import { WrtError } from '../../runtime/errors.js';
import type { GpuContext} from '../context.js';
import { bytesOf, checkBindingSize } from '../context.js';

const TILE = 64;
const TK = 16;

function matmulShader(precision: 'f32' | 'f16'): string {
  const t = precision;
  return /* wgsl */ `
${precision === 'f16' ? 'enable f16;' : ''}
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

/** Shapes of {@link matmul}: C (m×n) = A (m×k) · B (k×n), row-major, counted in elements. */
export interface MatmulOptions {
  /** Rows of A and C. */
  m: number;
  /** Columns of B and C. */
  n: number;
  /** Columns of A, rows of B. */
  k: number;
  /**
   * `f16` rounds A and B to half precision on the host (half the upload) and multiplies in f16
   * with f32 accumulation; needs the adapter's `shader-f16` feature. @default 'f32'
   */
  precision?: 'f32' | 'f16';
  /** Write C here (m·n elements) instead of a new array. */
  into?: Float32Array;
}

/**
 * C (m×n) = A (m×k) × B (k×n); all row-major and contiguous (row stride = columns), f32.
 *
 * @returns C as a Float32Array of m·n elements
 * @throws WRT_INVALID_ARGUMENT for mismatched lengths or a matrix larger than one binding;
 *   WRT_GPU_UNSUPPORTED for `precision: 'f16'` on an adapter without `shader-f16`
 */
export async function matmul(ctx: GpuContext, a: Float32Array, b: Float32Array, options: MatmulOptions): Promise<Float32Array> {
  const { m, n, k } = options;
  for (const [name, v] of Object.entries({ m, n, k }))
    if (!Number.isInteger(v) || v < 0) throw new WrtError('WRT_INVALID_ARGUMENT', `matmul: ${name} must be a non-negative integer`);
  if (!(a instanceof Float32Array) || !(b instanceof Float32Array))
    throw new WrtError('WRT_INVALID_ARGUMENT', 'matmul multiplies Float32Array matrices');
  if (a.length !== m * k) throw new WrtError('WRT_INVALID_ARGUMENT', `A has ${a.length} elements; m×k = ${m * k}`);
  if (b.length !== k * n) throw new WrtError('WRT_INVALID_ARGUMENT', `B has ${b.length} elements; k×n = ${k * n}`);
  checkBindingSize(ctx, m * n * 4, 'C');
  checkBindingSize(ctx, Math.max(a.byteLength, b.byteLength), 'A or B');
  const precision = options.precision ?? 'f32';
  if (precision === 'f16' && !ctx.has('shader-f16'))
    throw new WrtError('WRT_GPU_UNSUPPORTED', `this adapter (${ctx.adapter.description || ctx.adapter.architecture}) lacks shader-f16`);
  const out = options.into ?? new Float32Array(m * n);
  if (out.length < m * n) throw new WrtError('WRT_INVALID_ARGUMENT', `matmul output holds ${out.length} elements, ${m * n} needed`);
  if (m * n === 0) return out;
  if (k === 0) return out.fill(0, 0, m * n);
  const pipeline = await ctx.pipeline(matmulShader(precision));
  const held = [
    ctx.upload(precision === 'f16' ? toFloat16(a) : a),
    ctx.upload(precision === 'f16' ? toFloat16(b) : b),
    ctx.storage(m * n * 4),
    ctx.uniform([m, n, k]),
  ];
  try {
    const encoder = ctx.device.createCommandEncoder();
    ctx.dispatch(encoder, pipeline, held, [Math.ceil(n / TILE), Math.ceil(m / TILE), 1]);
    await ctx.submit(encoder, { buffer: held[2]!, byteLength: m * n * 4, into: bytesOf(out) });
    return out.subarray(0, m * n);
  } finally {
    for (const buf of held) ctx.pool.release(buf);
  }
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
