/**
 * Reduction (sum, min, max) of f32, u32 or i32 arrays in two dispatches. The first runs at most
 * {@link MAX_GROUPS} workgroups; each thread folds 4-element vectors in a grid-stride loop (wide,
 * coalesced loads: the kernel is bound by memory bandwidth), then the workgroup folds its 256
 * values — with subgroup operations (`subgroupAdd`/`Min`/`Max`) when the device has `subgroups`,
 * else a tree in workgroup memory. The second dispatch folds the per-workgroup values the same
 * way. The grid-stride form follows M. Harris, "Optimizing Parallel Reduction in CUDA" (NVIDIA,
 * 2007), kernel 7.
 */
import { WORKGROUP_SIZE, checkBindingSize, type ElementType, type GpuContext, type NumericArray } from '../context.js';
import { GpuArray, onDevice, typeOfInput, type KernelInput } from '../array.js';
import { TRANSFER_CHUNK_BYTES } from '../transfer.js';
import { streamReducePartials } from './streamed.js';
import { combineWgsl, identityBits, identityValue, type AssociativeOp } from './ops.js';

/** Most workgroups of the first dispatch (256 threads each): enough to fill a large GPU. */
export const MAX_GROUPS = 1024;
/** Fewest 4-element vectors a thread folds before more workgroups are worth their barriers. */
const MIN_VECTORS_PER_THREAD = 8;
/** Most workgroups on a software adapter, where each workgroup's barriers cost CPU time. */
const MAX_GROUPS_SOFTWARE = 64;

const SUBGROUP_OP: Record<AssociativeOp, string> = { sum: 'subgroupAdd', min: 'subgroupMin', max: 'subgroupMax' };

/** WGSL that folds `acc` (one value a thread) across the workgroup into `part[0]`. */
export function workgroupFold(type: ElementType, op: AssociativeOp, subgroups: boolean): string {
  if (subgroups)
    return `
  let folded = ${SUBGROUP_OP[op]}(acc);
  if (sid == 0u) { part[atomicAdd(&subgroups_seen, 1u)] = folded; }
  workgroupBarrier();
  if (t == 0u) {
    var all = part[0];
    for (var s = 1u; s < atomicLoad(&subgroups_seen); s++) { all = combine(all, part[s]); }
    part[0] = all;
  }
  workgroupBarrier();`;
  return `
  part[t] = acc;
  workgroupBarrier();
  for (var s = ${WORKGROUP_SIZE / 2}u; s > 0u; s >>= 1u) {
    if (t < s) { part[t] = combine(part[t], part[t + s]); }
    workgroupBarrier();
  }`;
}

/** Builtins a kernel using {@link workgroupFold} needs in its entry point's parameters. */
export function subgroupBuiltins(subgroups: boolean): string {
  return subgroups ? ', @builtin(subgroup_invocation_id) sid: u32' : '';
}

/**
 * Workgroup variables of {@link workgroupFold}: `part` and, with subgroups, the count of subgroup
 * results (each subgroup's first invocation takes a slot: WGSL does not promise that subgroups are
 * contiguous runs of `local_invocation_index`). Workgroup memory starts zeroed (WGSL § 7.3).
 */
export function foldVariables(type: ElementType, subgroups: boolean): string {
  return `var<workgroup> part: array<${type}, ${WORKGROUP_SIZE}>;${subgroups ? '\nvar<workgroup> subgroups_seen: atomic<u32>;' : ''}`;
}

function reduceShader(type: ElementType, op: AssociativeOp, subgroups: boolean): string {
  return /* wgsl */ `
${subgroups ? 'enable subgroups;' : ''}
struct Params { n: u32, identity: u32, groups: u32 }
@group(0) @binding(0) var<storage, read> src: array<vec4<${type}>>;
@group(0) @binding(1) var<storage, read_write> dst: array<${type}>;
@group(0) @binding(2) var<uniform> params: Params;
${foldVariables(type, subgroups)}
fn combine(a: ${type}, b: ${type}) -> ${type} { return ${combineWgsl(op)}; }
fn combine4(a: vec4<${type}>, b: vec4<${type}>) -> vec4<${type}> { return ${combineWgsl(op)}; }
@compute @workgroup_size(${WORKGROUP_SIZE})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) t: u32${subgroupBuiltins(subgroups)}) {
  let identity = bitcast<${type}>(params.identity);
  let vectors = (params.n + 3u) / 4u;
  let whole = params.n / 4u;
  var acc4 = vec4<${type}>(identity);
  for (var q = wid.x * ${WORKGROUP_SIZE}u + t; q < vectors; q += params.groups * ${WORKGROUP_SIZE}u) {
    var v = src[q];
    if (q >= whole) {
      let at = vec4u(q * 4u) + vec4u(0u, 1u, 2u, 3u);
      v = select(vec4<${type}>(identity), v, at < vec4u(params.n));
    }
    acc4 = combine4(acc4, v);
  }
  let acc = combine(combine(acc4.x, acc4.y), combine(acc4.z, acc4.w));
  ${workgroupFold(type, op, subgroups)}
  if (t == 0u) { dst[wid.x] = part[0]; }
}`;
}

/**
 * Folds `input` with `op` on the GPU.
 *
 * @param input f32, u32 or i32 elements, a host view or a {@link GpuArray}; u32 and i32 sums wrap
 *   modulo 2^32 as in WGSL; f32 sums add in the kernel's order (within γ(n−1)·Σ|x| of the exact sum)
 * @returns the result as a number; an empty input gives the identity (0 for sum, +Infinity /
 *   0xFFFFFFFF / 2^31-1 for min, -Infinity / 0 / -2^31 for max)
 * @throws WRT_INVALID_ARGUMENT for an unknown op or an array larger than one storage binding
 */
export async function reduce(ctx: GpuContext, input: KernelInput, op: AssociativeOp = 'sum'): Promise<number> {
  const type = typeOfInput(input);
  checkBindingSize(ctx, input.byteLength, 'reduce input');
  const pipeline = await ctx.pipeline(reduceShader(type, op, ctx.useSubgroups));
  if (input.length === 0) return identityValue(op, type);
  const most = ctx.adapter.software ? MAX_GROUPS_SOFTWARE : MAX_GROUPS;
  const groupsOf = (n: number) => Math.max(1, Math.min(most, Math.ceil(n / 4 / WORKGROUP_SIZE / MIN_VECTORS_PER_THREAD)));
  if (!(input instanceof GpuArray) && input.byteLength > TRANSFER_CHUNK_BYTES) return reduceStreamed(ctx, pipeline, input, op, groupsOf);
  const src = onDevice(ctx, input);
  const held: GPUBuffer[] = [];
  try {
    const n = input.length;
    const groups = groupsOf(n);
    const partial = ctx.storage(groups * 4);
    const result = ctx.storage(4);
    const first = ctx.uniform([n, identityBits(op, type), groups]);
    const second = ctx.uniform([groups, identityBits(op, type), 1]);
    held.push(partial, result, first, second);
    const encoder = ctx.device.createCommandEncoder();
    ctx.dispatch(encoder, pipeline, [src.array.buffer, partial, first], [groups, 1, 1]);
    ctx.dispatch(encoder, pipeline, [partial, result, second], [1, 1, 1]);
    const [bytes] = (await ctx.submit(encoder, { buffer: result, byteLength: 4 })) as [Uint8Array];
    const view = new DataView(bytes.buffer, bytes.byteOffset, 4);
    return type === 'f32' ? view.getFloat32(0, true) : type === 'u32' ? view.getUint32(0, true) : view.getInt32(0, true);
  } finally {
    if (src.owned) src.array.release();
    for (const b of held) ctx.pool.release(b);
  }
}

/**
 * A host array larger than one transfer chunk: each chunk is staged, copied in and folded to
 * partial values as it arrives (streamed.ts), so uploads and the kernel overlap; the partials,
 * already on the device, are then folded as a device array.
 */
async function reduceStreamed(
  ctx: GpuContext,
  pipeline: GPUComputePipeline,
  input: NumericArray,
  op: AssociativeOp,
  groupsOf: (n: number) => number,
): Promise<number> {
  const type = typeOfInput(input);
  const identity = identityBits(op, type);
  const chunks = Math.ceil(input.byteLength / TRANSFER_CHUNK_BYTES);
  // Each chunk's slots start at a multiple of 64 words: binding offsets must be multiples of 256 bytes.
  const stride = Math.ceil(groupsOf(TRANSFER_CHUNK_BYTES / 4) / 64) * 64;
  const partials = ctx.storage(chunks * stride * 4);
  const held: GPUBuffer[] = [partials];
  try {
    ctx.device.queue.writeBuffer(partials, 0, new Uint32Array(chunks * stride).fill(identity));
    await streamReducePartials(ctx, pipeline, input, identity, groupsOf, partials, stride, held);
    return await reduce(ctx, new GpuArray(ctx, partials, type, chunks * stride), op);
  } finally {
    for (const b of held) ctx.pool.release(b);
  }
}
