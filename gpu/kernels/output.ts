/** How kernels hand their output back: read to the host, or kept on the device (`resident`). */
import { WrtError } from '../../runtime/errors.js';
import { arrayOf, bytesOf, type GpuContext, type NumericArray } from '../context.js';
import type { GpuArray } from '../array.js';

/** Output options every array-returning kernel takes. */
export interface OutputOptions {
  /** Write the result into this host view (same element type, at least as long) instead of a new array. */
  into?: NumericArray;
  /** Keep the result on the device: the kernel returns a {@link GpuArray} (the caller releases it). */
  resident?: boolean;
}

/**
 * Submits `encoder`, whose work writes `dst`, and returns `dst` itself when `resident`, or its
 * elements read to the host (into `into` when given), releasing `dst`.
 */
export async function finish(
  ctx: GpuContext,
  encoder: GPUCommandEncoder,
  dst: GpuArray,
  options: OutputOptions,
): Promise<NumericArray | GpuArray> {
  if (options.resident) {
    try {
      await ctx.submit(encoder);
    } catch (err) {
      dst.release();
      throw err;
    }
    return dst;
  }
  try {
    const out = options.into ?? arrayOf(dst.type, new ArrayBuffer(dst.byteLength), 0, dst.length);
    await ctx.submit(encoder, { buffer: dst.buffer, byteLength: dst.byteLength, into: bytesOf(out) });
    return out.subarray(0, dst.length);
  } finally {
    dst.release();
  }
}

/** Throws `WRT_INVALID_ARGUMENT` when `into` cannot hold `length` elements of the result. */
export function checkInto(into: NumericArray | undefined, length: number, what: string): void {
  if (into && into.length < length) throw new WrtError('WRT_INVALID_ARGUMENT', `${what} output holds ${into.length} elements, ${length} needed`);
}
