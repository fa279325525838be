/**
 * Tiled matrix multiply C = A × B, row-major, f32, on the GPU. A workgroup of 16×16 threads
 * computes a 128×128 tile of C, each thread an 8×8 block held in 16 `vec4f` registers (64 fused
 * multiply-adds for every 4 vector loads from workgroup memory), stepping through K 8 at a time
 * with A's tile stored transposed and B's tile as rows of `vec4f` in workgroup memory — the
 * register blocking of V. Volkov and J. Demmel, "Benchmarking GPUs to Tune Dense Linear Algebra"
 * (SC 2008), at the 8×8 per thread of the fastest published WebGPU f32 kernels. When K and N are
 * multiples of 4, A, B and C are bound as `array<vec4f>` (one 16-byte load or store at a time);
 * otherwise a scalar variant with the same tiling checks every element's bounds.
 * `precision: 'f16'` runs the half-precision kernel of matmul-f16.ts.
 */
import { WrtError } from '../../runtime/errors.js';
import { checkBindingSize, type GpuContext } from '../context.js';
import { GpuArray, onDevice, typeOfInput, type KernelInput } from '../array.js';
import { finish } from './output.js';
import { HALF_TILE, halfMatmulShader, toFloat16 } from './matmul-f16.js';

export { toFloat16 } from './matmul-f16.js';

/** Side of the square tile of C one workgroup computes. */
const TILE = 128;
/** K columns of A (rows of B) staged per step. */
const TK = 8;
/** vec4f per staged row of the tile. */
const ROW_VECTORS = TILE / 4;

function matmulShader(aligned: boolean): string {
  const el = aligned ? 'vec4f' : 'f32';
  const loadA = aligned
    ? `if (row < params.m && kq * 4u < params.k) { return a[row * (params.k / 4u) + kq]; }
  return vec4f(0.0);`
    : `var v = vec4f(0.0);
  for (var c = 0u; c < 4u; c++) {
    let col = kq * 4u + c;
    if (row < params.m && col < params.k) { v[c] = a[row * params.k + col]; }
  }
  return v;`;
  const loadB = aligned
    ? `if (row < params.k && cq * 4u < params.n) { return b[row * (params.n / 4u) + cq]; }
  return vec4f(0.0);`
    : `var v = vec4f(0.0);
  for (var c = 0u; c < 4u; c++) {
    let col = cq * 4u + c;
    if (row < params.k && col < params.n) { v[c] = b[row * params.n + col]; }
  }
  return v;`;
  const store = aligned
    ? `if (col < params.n) { c[row * (params.n / 4u) + col / 4u] = value; }`
    : `for (var e = 0u; e < 4u; e++) {
        if (col + e < params.n) { c[row * params.n + col + e] = value[e]; }
      }`;
  // The unrolled inner step: rows 0-3 of this thread's block from a0, 4-7 from a1.
  const fma: string[] = [];
  for (let i = 0; i < 8; i++) {
    const a = `${i < 4 ? 'a0' : 'a1'}.${'xyzw'[i % 4]}`;
    fma.push(`acc[${2 * i}] = fma(vec4f(${a}), b0, acc[${2 * i}]);`, `acc[${2 * i + 1}] = fma(vec4f(${a}), b1, acc[${2 * i + 1}]);`);
  }
  return /* wgsl */ `
struct Params { m: u32, n: u32, k: u32 }
@group(0) @binding(0) var<storage, read> a: array<${el}>;
@group(0) @binding(1) var<storage, read> b: array<${el}>;
@group(0) @binding(2) var<storage, read_write> c: array<${el}>;
@group(0) @binding(3) var<uniform> params: Params;
// A's tile transposed: [kk][row / 4]; B's tile: [kk][col / 4].
var<workgroup> as_: array<vec4f, ${TK * ROW_VECTORS}>;
var<workgroup> bs: array<vec4f, ${TK * ROW_VECTORS}>;
// A[row][4·kq .. 4·kq+3], zero outside the matrix.
fn load_a(row: u32, kq: u32) -> vec4f {
  ${loadA}
}
// B[row][4·cq .. 4·cq+3], zero outside the matrix.
fn load_b(row: u32, cq: u32) -> vec4f {
  ${loadB}
}
@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let row0 = wid.y * ${TILE}u;
  let col0 = wid.x * ${TILE}u;
  let t = lid.y * 16u + lid.x;
  // This thread stages A[row0 + ar][k0 + 4·ak ..] and B[k0 + br][col0 + 4·bc ..].
  let ar = t / 2u;
  let ak = t % 2u;
  let br = t / ${ROW_VECTORS}u;
  let bc = t % ${ROW_VECTORS}u;
  var acc: array<vec4f, 16>;
  for (var k0 = 0u; k0 < params.k; k0 += ${TK}u) {
    let av = load_a(row0 + ar, k0 / 4u + ak);
    for (var e = 0u; e < 4u; e++) {
      as_[(ak * 4u + e) * ${ROW_VECTORS}u + ar / 4u][ar % 4u] = av[e];
    }
    bs[t] = load_b(k0 + br, col0 / 4u + bc);
    workgroupBarrier();
    for (var kk = 0u; kk < ${TK}u; kk++) {
      let a0 = as_[kk * ${ROW_VECTORS}u + lid.y * 2u];
      let a1 = as_[kk * ${ROW_VECTORS}u + lid.y * 2u + 1u];
      let b0 = bs[kk * ${ROW_VECTORS}u + lid.x * 2u];
      let b1 = bs[kk * ${ROW_VECTORS}u + lid.x * 2u + 1u];
      ${fma.join('\n      ')}
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < 8u; i++) {
    let row = row0 + lid.y * 8u + i;
    if (row >= params.m) { break; }
    for (var h = 0u; h < 2u; h++) {
      let col = col0 + lid.x * 8u + h * 4u;
      let value = acc[i * 2u + h];
      ${store}
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
  /** Keep C on the device: matmul returns a {@link GpuArray} (the caller releases it). */
  resident?: boolean;
}

/**
 * C (m×n) = A (m×k) × B (k×n); all row-major and contiguous (row stride = columns), f32. Each
 * element of C is within γ(k)·(|A||B|)ᵢⱼ of the exact product (Higham § 3.5).
 *
 * @param a A, a Float32Array or an f32 {@link GpuArray} of m·k elements
 * @param b B, a Float32Array or an f32 GpuArray of k·n elements
 * @returns C as a Float32Array of m·n elements (or `into`); a GpuArray with `resident`
 * @throws WRT_INVALID_ARGUMENT for mismatched lengths or a matrix larger than one binding;
 *   WRT_GPU_UNSUPPORTED for `precision: 'f16'` on an adapter without `shader-f16`
 */
export async function matmul(ctx: GpuContext, a: KernelInput, b: KernelInput, options: MatmulOptions & { resident: true }): Promise<GpuArray>;
export async function matmul(ctx: GpuContext, a: KernelInput, b: KernelInput, options: MatmulOptions): Promise<Float32Array>;
export async function matmul(ctx: GpuContext, a: KernelInput, b: KernelInput, options: MatmulOptions): Promise<Float32Array | GpuArray> {
  const { m, n, k } = options;
  for (const [name, v] of Object.entries({ m, n, k }))
    if (!Number.isInteger(v) || v < 0) throw new WrtError('WRT_INVALID_ARGUMENT', `matmul: ${name} must be a non-negative integer`);
  if (typeOfInput(a) !== 'f32' || typeOfInput(b) !== 'f32') throw new WrtError('WRT_INVALID_ARGUMENT', 'matmul multiplies f32 matrices');
  if (a.length !== m * k) throw new WrtError('WRT_INVALID_ARGUMENT', `A has ${a.length} elements; m×k = ${m * k}`);
  if (b.length !== k * n) throw new WrtError('WRT_INVALID_ARGUMENT', `B has ${b.length} elements; k×n = ${k * n}`);
  checkBindingSize(ctx, m * n * 4, 'C');
  checkBindingSize(ctx, Math.max(a.byteLength, b.byteLength), 'A or B');
  const precision = options.precision ?? 'f32';
  if (precision === 'f16' && !ctx.has('shader-f16'))
    throw new WrtError('WRT_GPU_UNSUPPORTED', `this adapter (${ctx.adapter.description || ctx.adapter.architecture}) lacks shader-f16`);
  if (precision === 'f16' && (a instanceof GpuArray || b instanceof GpuArray))
    throw new WrtError('WRT_INVALID_ARGUMENT', "precision 'f16' rounds host arrays: give A and B as Float32Arrays");
  if (options.into && options.into.length < m * n)
    throw new WrtError('WRT_INVALID_ARGUMENT', `matmul output holds ${options.into.length} elements, ${m * n} needed`);
  const half = precision === 'f16';
  const aligned = !half && k % 4 === 0 && n % 4 === 0;
  const pipeline = await ctx.pipeline(half ? halfMatmulShader() : matmulShader(aligned));
  const inA = half ? { array: new GpuArray(ctx, ctx.upload(toFloat16(a as Float32Array)), 'u32', 0), owned: true } : onDevice(ctx, a);
  const inB = half ? { array: new GpuArray(ctx, ctx.upload(toFloat16(b as Float32Array)), 'u32', 0), owned: true } : onDevice(ctx, b);
  const c = GpuArray.allocate(ctx, 'f32', m * n);
  const params = ctx.uniform([m, n, k]);
  try {
    const encoder = ctx.device.createCommandEncoder();
    if (m * n > 0 && k === 0) encoder.clearBuffer(c.buffer);
    else if (m * n > 0) {
      const tile = half ? HALF_TILE : TILE;
      ctx.dispatch(encoder, pipeline, [inA.array.buffer, inB.array.buffer, c.buffer, params], [Math.ceil(n / tile), Math.ceil(m / tile), 1]);
    }
    return (await finish(ctx, encoder, c, options)) as Float32Array | GpuArray;
  } finally {
    if (inA.owned) inA.array.release();
    if (inB.owned) inB.array.release();
    ctx.pool.release(params);
  }
}
