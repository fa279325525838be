/**
 * Stable LSD radix sort of u32 keys with optional u32 values, 4 bits a pass. Each pass counts
 * digits per 1024-element block (digit-major counts), scans the counts into global offsets, then
 * scatters: an element's place is its block's offset for its digit plus its rank among the
 * block's elements of that digit, found by one workgroup scan of packed one-hot digit counters.
 * The scheme is the block-wise radix sort of Satish, Harris and Garland, "Designing Efficient
 * Sorting Algorithms for Manycore GPUs" (IPDPS 2009).
 */
import { WrtError } from '../../runtime/errors.js';
import { WORKGROUP_SIZE, bytesOf, checkBindingSize, guaranteesForwardProgress, type GpuContext } from '../context.js';
import {
  ONESWEEP_BITS,
  PARTITION as ONESWEEP_PARTITION,
  onesweepHistogramShader,
  onesweepPassShader,
  onesweepStartsShader,
  onesweepStateWords,
  onesweepWorkgroupBytes,
} from './radix-onesweep.js';
import { GpuArray, onDevice, typeOfInput, type KernelInput } from '../array.js';
import { encodeScan } from './scan.js';
import { PACKED_COUNTERS_WGSL, PACKED_COUNTER_SCAN_WGSL } from './wgsl.js';

const BITS = 4;
const DIGITS = 1 << BITS;

/** Keys per thread; a block of {@link BLOCK} keys is one workgroup's share. */
const ITEMS = 4;
const BLOCK = WORKGROUP_SIZE * ITEMS;

const countShader = /* wgsl */ `
struct Params { n: u32, shift: u32, blocks: u32 }
@group(0) @binding(0) var<storage, read> keys: array<u32>;
@group(0) @binding(1) var<storage, read_write> counts: array<u32>;
@group(0) @binding(2) var<uniform> params: Params;
var<workgroup> hist: array<atomic<u32>, ${DIGITS}>;
@compute @workgroup_size(${WORKGROUP_SIZE})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) t: u32) {
  let group = wid.x + wid.y * nwg.x;
  if (t < ${DIGITS}u) { atomicStore(&hist[t], 0u); }
  workgroupBarrier();
  for (var k = 0u; k < ${ITEMS}u; k++) {
    let i = group * ${BLOCK}u + k * ${WORKGROUP_SIZE}u + t;
    if (i < params.n) { atomicAdd(&hist[(keys[i] >> params.shift) & ${DIGITS - 1}u], 1u); }
  }
  workgroupBarrier();
  if (t < ${DIGITS}u && group < params.blocks) { counts[t * params.blocks + group] = atomicLoad(&hist[t]); }
}`;

function scatterShader(withValues: boolean): string {
  return /* wgsl */ `
struct Params { n: u32, shift: u32, blocks: u32 }
@group(0) @binding(0) var<storage, read> keys_in: array<u32>;
@group(0) @binding(1) var<storage, read_write> keys_out: array<u32>;
@group(0) @binding(2) var<storage, read> offsets: array<u32>;
@group(0) @binding(3) var<uniform> params: Params;
${withValues ? '@group(0) @binding(4) var<storage, read> values_in: array<u32>;\n@group(0) @binding(5) var<storage, read_write> values_out: array<u32>;' : ''}
// Per thread, 16 digit counters of 16 bits packed into two vec4u (digits 0-7, then 8-15).
var<workgroup> lo: array<vec4u, ${WORKGROUP_SIZE}>;
var<workgroup> hi: array<vec4u, ${WORKGROUP_SIZE}>;
${PACKED_COUNTERS_WGSL}
@compute @workgroup_size(${WORKGROUP_SIZE})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) t: u32) {
  let group = wid.x + wid.y * nwg.x;
  let first = group * ${BLOCK}u + t * ${ITEMS}u;
  // This thread's keys (consecutive, so order within the block is thread-major) and their
  // ranks among its own keys of the same digit.
  var key: array<u32, ${ITEMS}>;
  var own: array<u32, ${ITEMS}>;
  var mine: array<vec4u, 2>;
  for (var k = 0u; k < ${ITEMS}u; k++) {
    if (first + k < params.n) {
      key[k] = keys_in[first + k];
      let d = (key[k] >> params.shift) & ${DIGITS - 1}u;
      own[k] = counter(mine, d);
      bump(&mine, d);
    }
  }
  lo[t] = mine[0];
  hi[t] = mine[1];
  workgroupBarrier();
  ${PACKED_COUNTER_SCAN_WGSL}
  // Inclusive totals up to this thread, less its own: the keys of earlier threads.
  let before = array<vec4u, 2>(lo[t] - mine[0], hi[t] - mine[1]);
  for (var k = 0u; k < ${ITEMS}u; k++) {
    if (first + k < params.n) {
      let d = (key[k] >> params.shift) & ${DIGITS - 1}u;
      let at = offsets[d * params.blocks + group] + counter(before, d) + own[k];
      keys_out[at] = key[k];
      ${withValues ? 'values_out[at] = values_in[first + k];' : ''}
    }
  }
}`;
}

/** Options of {@link radixSort}. */
export interface SortOptions {
  /** Only the low `keyBits` bits of each key are compared (fewer passes). @default 32 */
  keyBits?: number;
  /** Write the sorted keys here instead of a new array. */
  into?: Uint32Array;
  /** Write the permuted values here instead of a new array. */
  valuesInto?: Uint32Array;
  /** Keep the results on the device: keys and values come back as {@link GpuArray}s (the caller releases them). */
  resident?: boolean;
  /**
   * `onesweep` (radix-onesweep.ts: 8 bits a pass, one read and one write of each key a pass),
   * `classic` (4 bits a pass: count, scan, scatter), or `auto`: one-sweep where the device
   * promises forward progress between workgroups and has the workgroup memory, else classic.
   * @default 'auto'
   */
  strategy?: SortStrategy;
  /** One-sweep: polls of a silent predecessor before counting its keys instead (1 exercises the fallback). @default 64 */
  spinLimit?: number;
}

/** Which sort {@link radixSort} runs. */
export type SortStrategy = 'auto' | 'onesweep' | 'classic';

/** What {@link radixSort} returns: the keys ascending (and their values), each as long as the input. */
export interface SortResult<A = Uint32Array> {
  keys: A;
  /** The values, moved with their keys; present when values were given. */
  values?: A;
}

/**
 * Sorts u32 `keys` ascending on the GPU, stably, carrying `values` (u32, one per key) along.
 *
 * @param keys u32 keys, a host view or a u32 {@link GpuArray} (not modified)
 * @param values optional payload of the same length (indices, or 4-byte records bit-cast to u32)
 * @returns host arrays, or GpuArrays with `resident`
 * @throws WRT_INVALID_ARGUMENT when lengths differ, `keyBits` is not 1..32 or the keys exceed one binding
 */
export async function radixSort(
  ctx: GpuContext,
  keys: KernelInput,
  values: KernelInput | undefined,
  options: SortOptions & { resident: true },
): Promise<SortResult<GpuArray>>;
export async function radixSort(ctx: GpuContext, keys: KernelInput, values?: KernelInput, options?: SortOptions): Promise<SortResult>;
export async function radixSort(
  ctx: GpuContext,
  keys: KernelInput,
  values?: KernelInput,
  options: SortOptions = {},
): Promise<SortResult | SortResult<GpuArray>> {
  if (typeOfInput(keys) !== 'u32') throw new WrtError('WRT_INVALID_ARGUMENT', 'radixSort sorts u32 keys (a Uint32Array or a u32 GpuArray)');
  if (values && (typeOfInput(values) !== 'u32' || values.length !== keys.length))
    throw new WrtError('WRT_INVALID_ARGUMENT', `values must be ${keys.length} u32 elements, one per key`);
  const keyBits = options.keyBits ?? 32;
  if (!Number.isInteger(keyBits) || keyBits < 1 || keyBits > 32) throw new WrtError('WRT_INVALID_ARGUMENT', 'keyBits must be 1..32');
  checkBindingSize(ctx, keys.byteLength, 'sort keys');
  const n = keys.length;
  const resident = options.resident === true;
  const outKeys = resident ? null : (options.into ?? new Uint32Array(n));
  const outValues = resident || !values ? null : (options.valuesInto ?? new Uint32Array(n));
  if (n === 0 && !resident) return { keys: outKeys!, values: outValues ?? undefined };
  const strategy = options.strategy ?? 'auto';
  const onesweep =
    strategy === 'onesweep' ||
    (strategy === 'auto' &&
      guaranteesForwardProgress(ctx.adapter) &&
      ctx.adapter.maxComputeWorkgroupStorageSize >= onesweepWorkgroupBytes(!!values));
  const held: GPUBuffer[] = [];
  const inKeys = onDevice(ctx, keys);
  const inValues = values ? onDevice(ctx, values) : null;
  // Passes ping-pong between the input's buffer (a copy when the caller owns it) and a second one.
  const k: [GpuArray, GpuArray] = [inKeys.owned ? inKeys.array : copyOf(ctx, inKeys.array), GpuArray.allocate(ctx, 'u32', n)];
  const v: [GpuArray, GpuArray] | null = inValues
    ? [inValues.owned ? inValues.array : copyOf(ctx, inValues.array), GpuArray.allocate(ctx, 'u32', n)]
    : null;
  const passes = Math.ceil(keyBits / (onesweep ? ONESWEEP_BITS : BITS));
  const last = passes % 2 === 0 ? 0 : 1;
  try {
    const encoder = ctx.device.createCommandEncoder();
    const buffers = { k: [k[0].buffer, k[1].buffer] as const, v: v ? ([v[0].buffer, v[1].buffer] as const) : null };
    if (n > 0 && onesweep) await encodeOnesweep(ctx, encoder, buffers, n, keyBits, options.spinLimit ?? 64, held);
    else if (n > 0) await encodeClassic(ctx, encoder, buffers, n, passes, held);
    if (resident) {
      await ctx.submit(encoder);
      return { keys: k[last], values: v?.[last] };
    }
    const readBacks = [{ buffer: k[last].buffer, byteLength: n * 4, into: bytesOf(outKeys!) }];
    if (v) readBacks.push({ buffer: v[last].buffer, byteLength: n * 4, into: bytesOf(outValues!) });
    await ctx.submit(encoder, ...readBacks);
    return { keys: outKeys!.subarray(0, n), values: outValues?.subarray(0, n) };
  } catch (err) {
    if (resident) for (const a of [...k, ...(v ?? [])]) a.release();
    throw err;
  } finally {
    for (const b of held) ctx.pool.release(b);
    const keep = resident ? last : -1;
    for (const [i, a] of k.entries()) if (i !== keep) a.release();
    if (v) for (const [i, a] of v.entries()) if (i !== keep) a.release();
  }
}

/** A device copy of `a` (sorting must not modify a caller's array). */
function copyOf(ctx: GpuContext, a: GpuArray): GpuArray {
  const copy = GpuArray.allocate(ctx, a.type, a.length);
  const encoder = ctx.device.createCommandEncoder();
  encoder.copyBufferToBuffer(a.buffer, 0, copy.buffer, 0, Math.max(4, a.byteLength));
  ctx.device.queue.submit([encoder.finish()]);
  return copy;
}

/** The two buffers each of keys and values that the passes ping-pong between (pass p reads [p % 2]). */
interface PingPong {
  k: readonly [GPUBuffer, GPUBuffer];
  v: readonly [GPUBuffer, GPUBuffer] | null;
}

/** Records the classic sort's `passes` passes of 4 bits: count, scan of the counts, scatter. */
async function encodeClassic(ctx: GpuContext, encoder: GPUCommandEncoder, b: PingPong, n: number, passes: number, held: GPUBuffer[]) {
  const count = await ctx.pipeline(countShader);
  const scatter = await ctx.pipeline(scatterShader(!!b.v));
  const blocks = Math.max(1, Math.ceil(n / BLOCK));
  const counts = ctx.storage(DIGITS * blocks * 4);
  const offsets = ctx.storage(DIGITS * blocks * 4);
  held.push(counts, offsets);
  for (let p = 0; p < passes; p++) {
    const from = (p % 2) as 0 | 1;
    const to = (1 - from) as 0 | 1;
    const params = ctx.uniform([n, p * BITS, blocks]);
    held.push(params);
    ctx.dispatch(encoder, count, [b.k[from], counts, params], blocks);
    await encodeScan(ctx, encoder, 'u32', 'sum', true, counts, offsets, DIGITS * blocks, held);
    const bindings = [b.k[from], b.k[to], offsets, params];
    if (b.v) bindings.push(b.v[from], b.v[to]);
    ctx.dispatch(encoder, scatter, bindings, blocks);
  }
}

/** Records the one-sweep sort (radix-onesweep.ts): one histogram of all passes, then a kernel a pass. */
async function encodeOnesweep(
  ctx: GpuContext,
  encoder: GPUCommandEncoder,
  b: PingPong,
  n: number,
  keyBits: number,
  spinLimit: number,
  held: GPUBuffer[],
) {
  const passes = Math.ceil(keyBits / ONESWEEP_BITS);
  const histogram = await ctx.pipeline(onesweepHistogramShader);
  const starts = await ctx.pipeline(onesweepStartsShader);
  const pass = await ctx.pipeline(onesweepPassShader(!!b.v));
  const parts = Math.ceil(n / ONESWEEP_PARTITION);
  const counts = ctx.storage(passes * 256 * 4);
  const digitStarts = ctx.storage(passes * 256 * 4);
  const state = ctx.storage(onesweepStateWords(parts) * 4);
  const histParams = ctx.uniform([n, keyBits]);
  held.push(counts, digitStarts, state, histParams);
  encoder.clearBuffer(counts);
  ctx.dispatch(encoder, histogram, [b.k[0], counts, histParams], Math.ceil(n / (16 * WORKGROUP_SIZE)));
  ctx.dispatch(encoder, starts, [counts, digitStarts], [passes, 1, 1]);
  for (let p = 0; p < passes; p++) {
    const from = (p % 2) as 0 | 1;
    const to = (1 - from) as 0 | 1;
    const width = Math.min(ONESWEEP_BITS, keyBits - p * ONESWEEP_BITS);
    const params = ctx.uniform([n, p * ONESWEEP_BITS, 2 ** width - 1, parts, p, Math.max(1, spinLimit)]);
    held.push(params);
    encoder.clearBuffer(state);
    const bindings = [b.k[from], b.k[to], state, digitStarts, params];
    if (b.v) bindings.push(b.v[from], b.v[to]);
    ctx.dispatch(encoder, pass, bindings, parts);
  }
}
