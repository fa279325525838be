/**
 * Inclusive and exclusive scans (prefix sums, or running min / max) of f32, u32 or i32 arrays.
 * Each workgroup scans a block of 1024 elements (4 per thread, then a Hillis–Steele scan of the
 * 256 thread totals in workgroup memory); the block totals are scanned recursively and added
 * back — the three-phase scan of Harris, Sengupta and Owens, "Parallel Prefix Sum (Scan) with
 * CUDA", GPU Gems 3, ch. 39.
 */
import type { GpuContext} from '../context.js';
import { WORKGROUP_SIZE, arrayOf, bytesOf, checkBindingSize, elementTypeOf, type ElementType, type NumericArray } from '../context.js';
import { combineWgsl, identityBits, type AssociativeOp } from './ops.js';
import { WrtError } from '../../runtime/errors.js';

const ITEMS = 4;
/** Elements one workgroup scans. */
export const SCAN_BLOCK = WORKGROUP_SIZE * ITEMS;

function blockShader(type: ElementType, op: AssociativeOp): string {
  return /* wgsl */ `
struct Params { n: u32, identity: u32, exclusive: u32, blocks: u32 }
@group(0) @binding(0) var<storage, read> src: array<${type}>;
@group(0) @binding(1) var<storage, read_write> dst: array<${type}>;
@group(0) @binding(2) var<storage, read_write> sums: array<${type}>;
@group(0) @binding(3) var<uniform> params: Params;
var<workgroup> tot: array<${type}, ${WORKGROUP_SIZE}>;
fn combine(a: ${type}, b: ${type}) -> ${type} { return ${combineWgsl(op)}; }
@compute @workgroup_size(${WORKGROUP_SIZE})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) t: u32) {
  let group = wid.x + wid.y * nwg.x;
  let base = group * ${SCAN_BLOCK}u + t * ${ITEMS}u;
  let identity = bitcast<${type}>(params.identity);
  var v: array<${type}, ${ITEMS}>;
  var run = identity;
  for (var k = 0u; k < ${ITEMS}u; k++) {
    if (base + k < params.n) { run = combine(run, src[base + k]); }
    v[k] = run;
  }
  tot[t] = run;
  workgroupBarrier();
  for (var off = 1u; off < ${WORKGROUP_SIZE}u; off <<= 1u) {
    var y = tot[t];
    if (t >= off) { y = combine(tot[t - off], y); }
    workgroupBarrier();
    tot[t] = y;
    workgroupBarrier();
  }
  var prefix = identity;
  if (t > 0u) { prefix = tot[t - 1u]; }
  for (var k = 0u; k < ${ITEMS}u; k++) {
    if (base + k < params.n) {
      var before = prefix;
      if (k > 0u) { before = combine(prefix, v[k - 1u]); }
      dst[base + k] = select(combine(prefix, v[k]), before, params.exclusive == 1u);
    }
  }
  if (t == ${WORKGROUP_SIZE - 1}u && group < params.blocks) { sums[group] = tot[t]; }
}`;
}

function addShader(type: ElementType, op: AssociativeOp): string {
  return /* wgsl */ `
struct Params { n: u32 }
@group(0) @binding(0) var<storage, read_write> dst: array<${type}>;
@group(0) @binding(1) var<storage, read> offsets: array<${type}>;
@group(0) @binding(2) var<uniform> params: Params;
fn combine(a: ${type}, b: ${type}) -> ${type} { return ${combineWgsl(op)}; }
@compute @workgroup_size(${WORKGROUP_SIZE})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) t: u32) {
  let i = (wid.x + wid.y * nwg.x) * ${WORKGROUP_SIZE}u + t;
  if (i < params.n) { dst[i] = combine(offsets[i / ${SCAN_BLOCK}u], dst[i]); }
}`;
}

/**
 * Records a scan of `n` elements of `src` into `dst` (GPU buffers) on `encoder`. Temporary
 * buffers are pushed on `held`; the caller releases them after the work is submitted.
 */
export async function encodeScan(
  ctx: GpuContext,
  encoder: GPUCommandEncoder,
  type: ElementType,
  op: AssociativeOp,
  exclusive: boolean,
  src: GPUBuffer,
  dst: GPUBuffer,
  n: number,
  held: GPUBuffer[],
): Promise<void> {
  if (n === 0) return;
  const block = await ctx.pipeline(blockShader(type, op));
  const blocks = Math.ceil(n / SCAN_BLOCK);
  const sums = ctx.storage(blocks * 4);
  const params = ctx.uniform([n, identityBits(op, type), exclusive ? 1 : 0, blocks]);
  held.push(sums, params);
  ctx.dispatch(encoder, block, [src, dst, sums, params], blocks);
  if (blocks === 1) return;
  const scanned = ctx.storage(blocks * 4);
  held.push(scanned);
  await encodeScan(ctx, encoder, type, op, true, sums, scanned, blocks, held);
  const add = await ctx.pipeline(addShader(type, op));
  const addParams = ctx.uniform([n]);
  held.push(addParams);
  ctx.dispatch(encoder, add, [dst, scanned, addParams], Math.ceil(n / WORKGROUP_SIZE));
}

/** Options of {@link scan}. */
export interface ScanOptions {
  /** @default 'sum' */
  op?: AssociativeOp;
  /** Exclusive scan: element i combines elements 0..i-1 (the first is the identity). @default false */
  exclusive?: boolean;
  /** Write the result into this view (same type and at least as long) instead of a new array. */
  into?: NumericArray;
}

/**
 * Scans `input` on the GPU: `out[i] = x[0] ⊕ … ⊕ x[i]` (inclusive) or `x[0] ⊕ … ⊕ x[i-1]`
 * (exclusive). f32 sums are computed in a tree order, so they differ from a left-to-right sum by
 * rounding; u32 and i32 sums wrap modulo 2^32.
 *
 * @returns a typed array of the input's type and length (or `options.into`)
 * @throws WRT_INVALID_ARGUMENT for an unknown op, a short `into` or an array larger than one binding
 */
export async function scan(ctx: GpuContext, input: NumericArray, options: ScanOptions = {}): Promise<NumericArray> {
  const type = elementTypeOf(input);
  const op = options.op ?? 'sum';
  checkBindingSize(ctx, input.byteLength, 'scan input');
  const n = input.length;
  const out = options.into ?? arrayOf(type, new ArrayBuffer(n * 4), 0, n);
  if (out.length < n) throw new WrtError('WRT_INVALID_ARGUMENT', `scan output holds ${out.length} elements, ${n} needed`);
  if (n === 0) return out;
  const held: GPUBuffer[] = [];
  try {
    const src = ctx.upload(input);
    const dst = ctx.storage(n * 4);
    held.push(src, dst);
    const encoder = ctx.device.createCommandEncoder();
    await encodeScan(ctx, encoder, type, op, options.exclusive ?? false, src, dst, n, held);
    await ctx.submit(encoder, { buffer: dst, byteLength: n * 4, into: bytesOf(out) });
    return out;
  } finally {
    for (const b of held) ctx.pool.release(b);
  }
}
