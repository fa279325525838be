/**
 * Element-wise map with a user WGSL expression: `out[i] = EXPR` where the expression sees `x`
 * (the input element) and `i` (its index, u32). Host inputs larger than one transfer chunk
 * (16 MiB) stream through the device chunk by chunk (streamed.ts), so uploads, the kernel and
 * read-backs overlap.
 */
import { WrtError } from '../../runtime/errors.js';
import { WORKGROUP_SIZE, arrayOf, bytesOf, checkBindingSize, type ElementType, type GpuContext, type NumericArray } from '../context.js';
import { TRANSFER_CHUNK_BYTES } from '../transfer.js';
import { streamMap } from './streamed.js';
import { GpuArray, onDevice, typeOfInput, type KernelInput } from '../array.js';
import { checkInto, finish, type OutputOptions } from './output.js';

/** Options of {@link map}. */
export interface MapOptions extends OutputOptions {
  /** Element type of the result. @default the input's type */
  output?: ElementType;
  /** WGSL declarations (helper functions, constants) placed before the kernel. */
  preamble?: string;
}

/** The WGSL of a map kernel (exported for tests and for modules that carry their own kernels). */
export function mapShader(input: ElementType, output: ElementType, expression: string, preamble = ''): string {
  return /* wgsl */ `
${preamble}
struct Params { n: u32, base: u32 }
@group(0) @binding(0) var<storage, read> src: array<${input}>;
@group(0) @binding(1) var<storage, read_write> dst: array<${output}>;
@group(0) @binding(2) var<uniform> params: Params;
fn user_map(x: ${input}, i: u32) -> ${output} { return ${expression}; }
@compute @workgroup_size(${WORKGROUP_SIZE})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) t: u32) {
  let i = (wid.x + wid.y * nwg.x) * ${WORKGROUP_SIZE}u + t;
  if (i < params.n) { dst[i] = user_map(src[i], i + params.base); }
}`;
}

/**
 * `out[i] = expression(x = input[i], i)` for every element, on the GPU.
 *
 * @param input f32, u32 or i32 elements: a host view (the object-store arena included) or a
 *   {@link GpuArray} already on the device
 * @param expression a WGSL expression of type `options.output` over `x` and `i`, e.g. `x * 2.0 + 1.0`
 * @returns a new typed array of `input.length` elements (or `options.into`); a GpuArray with `resident`
 * @throws WRT_GPU_ERROR when the expression does not compile (the message has the compiler's text);
 *   WRT_INVALID_ARGUMENT for arrays larger than one storage binding
 */
export async function map(ctx: GpuContext, input: KernelInput, expression: string, options: MapOptions & { resident: true }): Promise<GpuArray>;
export async function map(ctx: GpuContext, input: KernelInput, expression: string, options?: MapOptions): Promise<NumericArray>;
export async function map(ctx: GpuContext, input: KernelInput, expression: string, options: MapOptions = {}): Promise<NumericArray | GpuArray> {
  const inType = typeOfInput(input);
  const outType = options.output ?? inType;
  if (typeof expression !== 'string' || expression.trim() === '')
    throw new WrtError('WRT_INVALID_ARGUMENT', 'map needs a WGSL expression over x and i, e.g. "x * 2.0"');
  checkBindingSize(ctx, input.byteLength, 'map input');
  const n = input.length;
  checkInto(options.into, n, 'map');
  const pipeline = await ctx.pipeline(mapShader(inType, outType, expression, options.preamble));
  if (!(input instanceof GpuArray) && !options.resident && input.byteLength > TRANSFER_CHUNK_BYTES) {
    const out = options.into ?? arrayOf(outType, new ArrayBuffer(n * 4), 0, n);
    await streamMap(ctx, pipeline, input, bytesOf(out));
    return out;
  }
  const src = onDevice(ctx, input);
  const dst = GpuArray.allocate(ctx, outType, n);
  const params = ctx.uniform([n, 0]);
  try {
    const encoder = ctx.device.createCommandEncoder();
    if (n > 0) ctx.dispatch(encoder, pipeline, [src.array.buffer, dst.buffer, params], Math.ceil(n / WORKGROUP_SIZE));
    return await finish(ctx, encoder, dst, options);
  } finally {
    if (src.owned) src.array.release();
    ctx.pool.release(params);
  }
}
