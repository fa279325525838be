/**
 * Inclusive and exclusive scans (prefix sums, or running min / max) of f32, u32 or i32 arrays, two
 * ways:
 * - **single pass** (scan-single-pass.ts): decoupled look-back with a fallback that never waits
 *   for a silent workgroup; one read and one write of each element.
 * - **multi-pass**: each workgroup scans a block of 1024 elements (4 per thread, then a
 *   Hillis–Steele scan of the 256 thread totals in workgroup memory); the block totals are scanned
 *   recursively and added back — the three-phase scan of Harris, Sengupta and Owens, "Parallel
 *   Prefix Sum (Scan) with CUDA", GPU Gems 3, ch. 39. It needs nothing of the device beyond
 *   WebGPU's rules (SwiftShader, Apple GPUs).
 */
import {
  WORKGROUP_SIZE,
  arrayOf,
  bytesOf,
  checkBindingSize,
  guaranteesForwardProgress,
  type ElementType,
  type GpuContext,
  type NumericArray,
} from '../context.js';
import { TRANSFER_CHUNK_BYTES } from '../transfer.js';
import { streamThrough } from './streamed.js';
import { GpuArray, onDevice, typeOfInput, type KernelInput } from '../array.js';
import { combineWgsl, identityBits, type AssociativeOp } from './ops.js';
import { checkInto, finish, type OutputOptions } from './output.js';
import { workgroupScanWgsl } from './wgsl.js';
import { PARTITION, SPIN_LIMIT, singlePassShader, stateWords } from './scan-single-pass.js';

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
  ${workgroupScanWgsl('tot', WORKGROUP_SIZE, (a, b) => `combine(${a}, ${b})`)}
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

/** Which scan {@link scan} runs; `auto` is single-pass where the device promises forward progress. */
export type ScanStrategy = 'auto' | 'single-pass' | 'multi-pass';

/** Options of {@link scan}. */
export interface ScanOptions extends OutputOptions {
  /** @default 'sum' */
  op?: AssociativeOp;
  /** Exclusive scan: element i combines elements 0..i-1 (the first is the identity). @default false */
  exclusive?: boolean;
  /** @default 'auto' */
  strategy?: ScanStrategy;
  /** Single pass: polls of a silent predecessor before folding its input instead (1 exercises the fallback). @default 64 */
  spinLimit?: number;
}

/** Records a single-pass scan of `n` elements of `src` into `dst` on `encoder` (temporaries pushed on `held`). */
async function encodeSinglePass(
  ctx: GpuContext,
  encoder: GPUCommandEncoder,
  type: ElementType,
  op: AssociativeOp,
  exclusive: boolean,
  src: GPUBuffer,
  dst: GPUBuffer,
  n: number,
  held: GPUBuffer[],
  spinLimit = SPIN_LIMIT,
): Promise<void> {
  const pipeline = await ctx.pipeline(singlePassShader(type, op));
  const parts = Math.ceil(n / PARTITION);
  const state = ctx.storage(stateWords(parts) * 4);
  const params = ctx.uniform([n, identityBits(op, type), exclusive ? 1 : 0, parts, Math.max(1, spinLimit)]);
  held.push(state, params);
  encoder.clearBuffer(state);
  ctx.dispatch(encoder, pipeline, [src, dst, state, params], parts);
}

/**
 * Scans `input` on the GPU: `out[i] = x[0] ⊕ … ⊕ x[i]` (inclusive) or `x[0] ⊕ … ⊕ x[i-1]`
 * (exclusive). f32 sums are computed in the kernel's order (within γ(i)·Σ|x| of the exact running
 * sum); u32 and i32 sums wrap modulo 2^32.
 *
 * @param input f32, u32 or i32 elements, a host view or a {@link GpuArray}
 * @returns a typed array of the input's type and length (or `options.into`); a GpuArray with `resident`
 * @throws WRT_INVALID_ARGUMENT for an unknown op, a short `into` or an array larger than one binding
 */
export async function scan(ctx: GpuContext, input: KernelInput, options: ScanOptions & { resident: true }): Promise<GpuArray>;
export async function scan(ctx: GpuContext, input: KernelInput, options?: ScanOptions): Promise<NumericArray>;
export async function scan(ctx: GpuContext, input: KernelInput, options: ScanOptions = {}): Promise<NumericArray | GpuArray> {
  const type = typeOfInput(input);
  const op = options.op ?? 'sum';
  combineWgsl(op);
  checkBindingSize(ctx, input.byteLength, 'scan input');
  const n = input.length;
  checkInto(options.into, n, 'scan');
  const strategy = options.strategy ?? 'auto';
  const single = strategy === 'single-pass' || (strategy === 'auto' && guaranteesForwardProgress(ctx.adapter));
  if (single && !(input instanceof GpuArray) && !options.resident && input.byteLength > TRANSFER_CHUNK_BYTES) {
    const out = options.into ?? arrayOf(type, new ArrayBuffer(n * 4), 0, n);
    await scanStreamed(ctx, input, bytesOf(out), op, options.exclusive ?? false, options.spinLimit ?? SPIN_LIMIT);
    return out;
  }
  const src = onDevice(ctx, input);
  const dst = GpuArray.allocate(ctx, type, n);
  const held: GPUBuffer[] = [];
  try {
    const encoder = ctx.device.createCommandEncoder();
    if (n > 0) {
      const exclusive = options.exclusive ?? false;
      if (single) await encodeSinglePass(ctx, encoder, type, op, exclusive, src.array.buffer, dst.buffer, n, held, options.spinLimit);
      else await encodeScan(ctx, encoder, type, op, exclusive, src.array.buffer, dst.buffer, n, held);
    }
    return await finish(ctx, encoder, dst, options);
  } finally {
    if (src.owned) src.array.release();
    for (const b of held) ctx.pool.release(b);
  }
}

/**
 * A host array past one transfer chunk, single pass: chunk by chunk (streamed.ts), each chunk's
 * partitions scanned as it arrives. One look-back state spans all chunks and its partition counter
 * runs on from chunk to chunk, so each chunk's first partitions look back into the chunk before —
 * which has finished, as chunks run in order — and upload, scan and read-back overlap.
 */
async function scanStreamed(
  ctx: GpuContext,
  input: NumericArray,
  out: Uint8Array,
  op: AssociativeOp,
  exclusive: boolean,
  spinLimit: number,
): Promise<void> {
  const type = typeOfInput(input);
  const n = input.length;
  const pipeline = await ctx.pipeline(singlePassShader(type, op));
  const state = ctx.storage(stateWords(Math.ceil(n / PARTITION)) * 4);
  const clear = ctx.device.createCommandEncoder();
  clear.clearBuffer(state);
  ctx.device.queue.submit([clear.finish()]);
  await streamThrough(
    ctx,
    input,
    out,
    (encoder, c, { src, dst, held }) => {
      const end = c.base + c.count;
      const params = ctx.uniform([end, identityBits(op, type), exclusive ? 1 : 0, Math.ceil(end / PARTITION), Math.max(1, spinLimit)]);
      held.push(params);
      ctx.dispatch(encoder, pipeline, [src, dst, state, params], Math.ceil(c.count / PARTITION));
    },
    [state],
  );
}
