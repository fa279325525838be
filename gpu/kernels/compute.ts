/**
 * Runs a caller's own WGSL compute shader (for example one a task module carries) with wrt's
 * buffer handling: inputs are bound read-only at bindings 0..k-1, the output read-write at
 * binding k, and an optional uniform block of u32 words at binding k+1, all in group 0.
 */
import { WrtError } from '../../runtime/errors.js';
import type { GpuContext } from '../context.js';

/** A user compute shader for {@link compute}: WGSL, entry point, dispatch size and bindings. */
export interface ComputeSpec {
  /** WGSL source; it must use every binding it declares (pipelines use the `auto` layout). */
  source: string;
  /** @default 'main' */
  entryPoint?: string;
  /** Input arrays, bound as `var<storage, read>` at bindings 0..k-1. */
  inputs: ArrayBufferView[];
  /** Bytes of the output buffer (binding k, `var<storage, read_write>`), zeroed before the run. */
  outputBytes: number;
  /** Workgroups to dispatch: a count or [x, y, z]. */
  workgroups: number | [number, number?, number?];
  /** u32 words bound as a uniform at binding k+1 (omit when the shader has no uniform). */
  uniforms?: ArrayLike<number>;
  /** Write the output here instead of a new array. */
  into?: Uint8Array;
}

/**
 * Compiles (cached), binds and dispatches `spec.source`, then reads the output back.
 * @returns the output bytes (`outputBytes` long)
 * @throws WRT_GPU_ERROR when the shader does not compile or its bindings do not match;
 *   WRT_INVALID_ARGUMENT for a bad workgroup count
 */
export async function compute(ctx: GpuContext, spec: ComputeSpec): Promise<Uint8Array> {
  const dims: [number, number, number] =
    typeof spec.workgroups === 'number' ? [spec.workgroups, 1, 1] : [spec.workgroups[0], spec.workgroups[1] ?? 1, spec.workgroups[2] ?? 1];
  const maxDim = ctx.device.limits.maxComputeWorkgroupsPerDimension;
  if (dims.some((d) => !Number.isInteger(d) || d < 0 || d > maxDim))
    throw new WrtError('WRT_INVALID_ARGUMENT', `workgroups must be integers from 0 to ${maxDim} per dimension (got ${dims.join('×')})`);
  const pipeline = await ctx.pipeline(spec.source, spec.entryPoint ?? 'main');
  const held = spec.inputs.map((x) => ctx.upload(x));
  const output = ctx.storage(spec.outputBytes);
  held.push(output);
  if (spec.uniforms) held.push(ctx.uniform(spec.uniforms));
  try {
    const encoder = ctx.device.createCommandEncoder();
    encoder.clearBuffer(output);
    ctx.device.pushErrorScope('validation');
    const group = ctx.bindGroup(pipeline, held);
    const bad = await ctx.device.popErrorScope();
    if (bad) throw new WrtError('WRT_GPU_ERROR', `the shader's bindings do not match ${spec.inputs.length} inputs, 1 output${spec.uniforms ? ', 1 uniform' : ''}: ${bad.message}`);
    ctx.dispatch(encoder, pipeline, group, dims);
    const [out] = await ctx.submit(encoder, { buffer: output, byteLength: spec.outputBytes, into: spec.into });
    return out!;
  } finally {
    for (const b of held) ctx.pool.release(b);
  }
}
