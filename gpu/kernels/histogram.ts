/** Histograms of u32 or f32 values into equal-width bins: workgroup-local atomics, then global. */
import { WrtError } from '../../runtime/errors.js';
import type { GpuContext} from '../context.js';
import { WORKGROUP_SIZE, bytesOf, checkBindingSize, type ElementType } from '../context.js';
import { onDevice, typeOfInput, type KernelInput } from '../array.js';

const ITEMS = 8;
const PER_GROUP = WORKGROUP_SIZE * ITEMS;

function histogramShader(type: ElementType, bins: number): string {
  const bin =
    type === 'u32'
      ? `if (v >= params.lo && v <= params.hi) { atomicAdd(&local_bins[(v - params.lo) / params.scale], 1u); }`
      : `let lo = bitcast<f32>(params.lo);
      if (v >= lo && v <= bitcast<f32>(params.hi)) { atomicAdd(&local_bins[min(u32((v - lo) * bitcast<f32>(params.scale)), ${bins - 1}u)], 1u); }`;
  return /* wgsl */ `
struct Params { n: u32, lo: u32, hi: u32, scale: u32 }
@group(0) @binding(0) var<storage, read> src: array<${type}>;
@group(0) @binding(1) var<storage, read_write> bins: array<atomic<u32>>;
@group(0) @binding(2) var<uniform> params: Params;
var<workgroup> local_bins: array<atomic<u32>, ${bins}>;
@compute @workgroup_size(${WORKGROUP_SIZE})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) t: u32) {
  for (var b = t; b < ${bins}u; b += ${WORKGROUP_SIZE}u) { atomicStore(&local_bins[b], 0u); }
  workgroupBarrier();
  let base = (wid.x + wid.y * nwg.x) * ${PER_GROUP}u;
  for (var k = 0u; k < ${ITEMS}u; k++) {
    let i = base + k * ${WORKGROUP_SIZE}u + t;
    if (i < params.n) {
      let v = src[i];
      ${bin}
    }
  }
  workgroupBarrier();
  for (var b = t; b < ${bins}u; b += ${WORKGROUP_SIZE}u) {
    let c = atomicLoad(&local_bins[b]);
    if (c > 0u) { atomicAdd(&bins[b], c); }
  }
}`;
}

/** Options of {@link histogram}: `bins` equal-width bins over [min, max], both ends inclusive. */
export interface HistogramOptions {
  /** Number of bins, 1 to (workgroup storage / 4), 8192 on most adapters. */
  bins: number;
  /** Smallest value counted (inclusive). */
  min: number;
  /** Largest value counted (inclusive). */
  max: number;
  /** Write the counts here instead of a new array. */
  into?: Uint32Array;
}

/**
 * Counts `values` into `bins` equal-width bins over [min, max]; values outside (and NaN) are not
 * counted.
 * - u32: bin width is `ceil((max - min + 1) / bins)` integers; bin = `(v - min) / width`.
 * - f32: bin = `floor((v - min) * fround(bins / (max - min)))` in f32 arithmetic, `max` itself in
 *   the last bin (numpy's convention).
 *
 * @param values u32 or f32 elements, a host view or a {@link GpuArray}
 * @returns `bins` u32 counts
 * @throws WRT_INVALID_ARGUMENT for bad bins, a range with max < min, or too large an input
 */
export async function histogram(ctx: GpuContext, values: KernelInput, options: HistogramOptions): Promise<Uint32Array> {
  const type = typeOfInput(values);
  if (type === 'i32') throw new WrtError('WRT_INVALID_ARGUMENT', 'histogram takes Uint32Array or Float32Array values');
  const { bins, min, max } = options;
  const maxBins = Math.floor(ctx.adapter.maxComputeWorkgroupStorageSize / 4);
  if (!Number.isInteger(bins) || bins < 1 || bins > maxBins)
    throw new WrtError('WRT_INVALID_ARGUMENT', `bins must be an integer from 1 to ${maxBins} (got ${bins})`);
  if (!(max >= min)) throw new WrtError('WRT_INVALID_ARGUMENT', `histogram range [${min}, ${max}] is empty: max must be ≥ min`);
  checkBindingSize(ctx, values.byteLength, 'histogram input');
  const out = options.into ?? new Uint32Array(bins);
  if (out.length < bins) throw new WrtError('WRT_INVALID_ARGUMENT', `histogram output holds ${out.length} counts, ${bins} needed`);
  const words = new Uint32Array(4);
  const f = new Float32Array(words.buffer);
  words[0] = values.length;
  if (type === 'u32') {
    if (!Number.isInteger(min) || !Number.isInteger(max) || min < 0 || max > 0xffffffff)
      throw new WrtError('WRT_INVALID_ARGUMENT', 'a u32 histogram range must be integers within 0..2^32-1');
    words[1] = min;
    words[2] = max;
    words[3] = Math.ceil((max - min + 1) / bins);
  } else {
    f[1] = min;
    f[2] = max;
    f[3] = max > min ? bins / (max - min) : 0;
  }
  const pipeline = await ctx.pipeline(histogramShader(type, bins));
  out.fill(0, 0, bins);
  if (values.length === 0) return out.subarray(0, bins);
  const input = onDevice(ctx, values);
  const src = input.array.buffer;
  const counts = ctx.storage(bins * 4);
  const params = ctx.uniform(words);
  try {
    const encoder = ctx.device.createCommandEncoder();
    encoder.clearBuffer(counts);
    ctx.dispatch(encoder, pipeline, [src, counts, params], Math.ceil(values.length / PER_GROUP));
    await ctx.submit(encoder, { buffer: counts, byteLength: bins * 4, into: bytesOf(out) });
    return out.subarray(0, bins);
  } finally {
    if (input.owned) input.array.release();
    for (const b of [counts, params]) ctx.pool.release(b);
  }
}
