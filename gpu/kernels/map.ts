/**
 * Element-wise map with a user WGSL expression: `out[i] = EXPR` where the expression sees `x`
 * (the input element) and `i` (its index, u32).
 */
import { WrtError } from '../../runtime/errors.js';
import type { GpuContext} from '../context.js';
import { WORKGROUP_SIZE, arrayOf, bytesOf, checkBindingSize, elementTypeOf, type ElementType, type NumericArray } from '../context.js';

/** Options of {@link map}. */
export interface MapOptions {
  /** Element type of the result. @default the input's type */
  output?: ElementType;
  /** WGSL declarations (helper functions, constants) placed before the kernel. */
  preamble?: string;
  /** Write the result into this view (of the output type's byte length) instead of a new array. */
  into?: NumericArray;
}

/** The WGSL of a map kernel (exported for tests and for modules that carry their own kernels). */
export function mapShader(input: ElementType, output: ElementType, expression: string, preamble = ''): string {
  return /* wgsl */ `
${preamble}
struct Params { n: u32 }
@group(0) @binding(0) var<storage, read> src: array<${input}>;
@group(0) @binding(1) var<storage, read_write> dst: array<${output}>;
@group(0) @binding(2) var<uniform> params: Params;
fn user_map(x: ${input}, i: u32) -> ${output} { return ${expression}; }
@compute @workgroup_size(${WORKGROUP_SIZE})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) t: u32) {
  let i = (wid.x + wid.y * nwg.x) * ${WORKGROUP_SIZE}u + t;
  if (i < params.n) { dst[i] = user_map(src[i], i); }
}`;
}

/**
 * `out[i] = expression(x = input[i], i)` for every element, on the GPU.
 *
 * @param input f32, u32 or i32 elements (a view of any buffer, the object-store arena included)
 * @param expression a WGSL expression of type `options.output` over `x` and `i`, e.g. `x * 2.0 + 1.0`
 * @returns a new typed array of `input.length` elements (or `options.into`)
 * @throws WRT_GPU_ERROR when the expression does not compile (the message has the compiler's text);
 *   WRT_INVALID_ARGUMENT for arrays larger than one storage binding
 */
export async function map(ctx: GpuContext, input: NumericArray, expression: string, options: MapOptions = {}): Promise<NumericArray> {
  const inType = elementTypeOf(input);
  const outType = options.output ?? inType;
  if (typeof expression !== 'string' || expression.trim() === '')
    throw new WrtError('WRT_INVALID_ARGUMENT', 'map needs a WGSL expression over x and i, e.g. "x * 2.0"');
  checkBindingSize(ctx, input.byteLength, 'map input');
  const n = input.length;
  const out = options.into ?? arrayOf(outType, new ArrayBuffer(n * 4), 0, n);
  if (out.length < n) throw new WrtError('WRT_INVALID_ARGUMENT', `map output holds ${out.length} elements, ${n} needed`);
  const pipeline = await ctx.pipeline(mapShader(inType, outType, expression, options.preamble));
  if (n === 0) return out;
  const src = ctx.upload(input);
  const dst = ctx.storage(n * 4);
  const params = ctx.uniform([n]);
  try {
    const encoder = ctx.device.createCommandEncoder();
    ctx.dispatch(encoder, pipeline, [src, dst, params], Math.ceil(n / WORKGROUP_SIZE));
    await ctx.submit(encoder, { buffer: dst, byteLength: n * 4, into: bytesOf(out) });
    return out;
  } finally {
    for (const b of [src, dst, params]) ctx.pool.release(b);
  }
}
