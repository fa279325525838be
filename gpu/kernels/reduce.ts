/** Reduction (sum, min, max) of f32, u32 or i32 arrays: a tree in workgroup memory, repeated. */
import type { GpuContext} from '../context.js';
import { WORKGROUP_SIZE, checkBindingSize, elementTypeOf, type ElementType, type NumericArray } from '../context.js';
import { combineWgsl, identityBits, identityValue, type AssociativeOp } from './ops.js';

/** Elements each thread folds before the tree step. */
const ITEMS = 8;
const PER_GROUP = WORKGROUP_SIZE * ITEMS;

function reduceShader(type: ElementType, op: AssociativeOp): string {
  return /* wgsl */ `
struct Params { n: u32, identity: u32, groups: u32 }
@group(0) @binding(0) var<storage, read> src: array<${type}>;
@group(0) @binding(1) var<storage, read_write> dst: array<${type}>;
@group(0) @binding(2) var<uniform> params: Params;
var<workgroup> part: array<${type}, ${WORKGROUP_SIZE}>;
fn combine(a: ${type}, b: ${type}) -> ${type} { return ${combineWgsl(op)}; }
@compute @workgroup_size(${WORKGROUP_SIZE})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) t: u32) {
  let group = wid.x + wid.y * nwg.x;
  let base = group * ${PER_GROUP}u;
  var acc = bitcast<${type}>(params.identity);
  for (var k = 0u; k < ${ITEMS}u; k++) {
    let i = base + k * ${WORKGROUP_SIZE}u + t;
    if (i < params.n) { acc = combine(acc, src[i]); }
  }
  part[t] = acc;
  workgroupBarrier();
  for (var s = ${WORKGROUP_SIZE / 2}u; s > 0u; s >>= 1u) {
    if (t < s) { part[t] = combine(part[t], part[t + s]); }
    workgroupBarrier();
  }
  if (t == 0u && group < params.groups) { dst[group] = part[0]; }
}`;
}

/**
 * Folds `input` with `op` on the GPU.
 *
 * @param input f32, u32 or i32 elements; u32 and i32 sums wrap modulo 2^32 as in WGSL
 * @returns the result as a number; an empty input gives the identity (0 for sum, +Infinity /
 *   0xFFFFFFFF / 2^31-1 for min, -Infinity / 0 / -2^31 for max)
 * @throws WRT_INVALID_ARGUMENT for an unknown op or an array larger than one storage binding
 */
export async function reduce(ctx: GpuContext, input: NumericArray, op: AssociativeOp = 'sum'): Promise<number> {
  const type = elementTypeOf(input);
  checkBindingSize(ctx, input.byteLength, 'reduce input');
  const pipeline = await ctx.pipeline(reduceShader(type, op));
  if (input.length === 0) return identityValue(op, type);
  const held: GPUBuffer[] = [];
  try {
    let src = ctx.upload(input);
    held.push(src);
    let n = input.length;
    const encoder = ctx.device.createCommandEncoder();
    while (n > 1) {
      const groups = Math.ceil(n / PER_GROUP);
      const dst = ctx.storage(groups * 4);
      const params = ctx.uniform([n, identityBits(op, type), groups]);
      held.push(dst, params);
      ctx.dispatch(encoder, pipeline, [src, dst, params], groups);
      src = dst;
      n = groups;
    }
    const [bytes] = (await ctx.submit(encoder, { buffer: src, byteLength: 4 })) as [Uint8Array];
    const view = new DataView(bytes.buffer, bytes.byteOffset, 4);
    return type === 'f32' ? view.getFloat32(0, true) : type === 'u32' ? view.getUint32(0, true) : view.getInt32(0, true);
  } finally {
    for (const b of held) ctx.pool.release(b);
  }
}
