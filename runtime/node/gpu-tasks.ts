/**
 * GPU tasks on a node: tasks whose function is one of the `gpu.*` kernels run on the node's
 * WebGPU device (gpu/) instead of a wasm slot. Their first argument is a JSON parameter block
 * (UTF-8), the rest are the data (bytes typed by the parameters, or arrays a previous GPU task
 * left on the device). Results are little-endian arrays written straight into the output view the
 * node provides, or kept on the device (gpu-task-runner.ts decides). See docs/gpu-tasks.md for
 * each kernel's contract.
 */
import { WrtError, toFailure } from '../errors.js';
import { GPU_REPLY_HEADER_BYTES, failGpuRequest, settleGpuRequest, type GpuRequest } from './gpu-bridge.js';
import type { GpuContext, ElementType, NumericArray } from '../../gpu/context.js';
import { GpuArray } from '../../gpu/array.js';
import { gpuOutputBytes, needInputs, type GpuKernelName, type GpuTaskParams } from './gpu-kernel-contract.js';
import { map } from '../../gpu/kernels/map.js';
import { reduce } from '../../gpu/kernels/reduce.js';
import { scan } from '../../gpu/kernels/scan.js';
import { radixSort } from '../../gpu/kernels/radix-sort.js';
import { histogram } from '../../gpu/kernels/histogram.js';
import { matmul } from '../../gpu/kernels/matmul.js';
import { compute } from '../../gpu/kernels/compute.js';

function typed(data: GpuData, type: ElementType, what: string): NumericArray | GpuArray {
  if (data instanceof GpuArray) return data.as(type);
  let bytes = data;
  if (bytes.byteLength % 4 !== 0)
    throw new WrtError('WRT_INVALID_ARGUMENT', `${what} is ${bytes.byteLength} bytes, not a whole number of 4-byte ${type} elements`);
  const n = bytes.byteLength / 4;
  if (bytes.byteOffset % 4 !== 0) bytes = bytes.slice();
  if (type === 'f32') return new Float32Array(bytes.buffer, bytes.byteOffset, n);
  if (type === 'u32') return new Uint32Array(bytes.buffer, bytes.byteOffset, n);
  if (type === 'i32') return new Int32Array(bytes.buffer, bytes.byteOffset, n);
  throw new WrtError('WRT_INVALID_ARGUMENT', `element type must be f32, u32 or i32 (got ${String(type)})`);
}

/** How long a failed kernel waits to learn whether the device was lost (its `lost` promise settles after the failure). */
const LOSS_SETTLE_MS = 200;

/**
 * What a kernel's failure becomes: bad input (`WRT_INVALID_ARGUMENT`, `WRT_GPU_UNSUPPORTED`)
 * stays as it is; anything else — a lost device, out-of-memory, a validation error, a failed map,
 * or an untyped exception from the WebGPU implementation — is `WRT_GPU_ERROR` naming the kernel
 * and the cause. A lost device is retryable (the node re-acquires one), the rest are not.
 */
export async function gpuFailure(ctx: GpuContext, kernel: GpuKernelName, err: unknown): Promise<WrtError> {
  if (err instanceof WrtError && err.code !== 'WRT_GPU_ERROR' && !ctx.lostReason) return err;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const lost =
    ctx.lostReason ??
    (await Promise.race([ctx.whenLost, new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), LOSS_SETTLE_MS)))]));
  clearTimeout(timer);
  const detail = err instanceof Error ? err.message.replace(/^WRT_GPU_ERROR: /, '') : String(err);
  const cause = lost ? `the GPU device was lost (${lost}); ${detail}` : detail;
  return new WrtError('WRT_GPU_ERROR', `gpu.${kernel} failed: ${cause}`, { cause: err, retryable: lost !== null });
}

/** One data input of a GPU kernel: bytes on the host (an arena view), or an array already on the device. */
export type GpuData = Uint8Array | GpuArray;

/** Kernels whose data may come as device arrays: all but a module's own shader (`compute`) and f16 matmul, which read host bytes. */
export function takesDeviceInputs(kernel: GpuKernelName, p: GpuTaskParams): boolean {
  return kernel !== 'compute' && (kernel !== 'matmul' || p.precision !== 'f16');
}

/** Kernels whose array result can stay on the device (runtime/node/device-objects.ts). */
export function keepsResultOnDevice(kernel: GpuKernelName, p: GpuTaskParams): boolean {
  return kernel === 'map' || kernel === 'scan' || kernel === 'sort' || (kernel === 'matmul' && p.precision !== 'f16');
}

/**
 * Runs `kernel` on the device. With `out` (`gpuOutputBytes` long) the result is written there and
 * null returned; with `out` null (only where {@link keepsResultOnDevice}) the result stays on the
 * device and its arrays are returned, in the order of the result's bytes (a sort: keys, then
 * values). `wgsl` is the module-supplied source when `p.source` named one.
 * @throws WRT_INVALID_ARGUMENT for bad parameters or data; WRT_GPU_ERROR naming the kernel and the
 *   cause for failures on the device ({@link gpuFailure})
 */
export async function runGpuKernel(
  ctx: GpuContext,
  kernel: GpuKernelName,
  p: GpuTaskParams,
  inputs: GpuData[],
  out: Uint8Array | null,
  wgsl: string | null,
): Promise<GpuArray[] | null> {
  try {
    ctx.checkAlive();
    return await runKernel(ctx, kernel, p, inputs, out, wgsl);
  } catch (err) {
    throw await gpuFailure(ctx, kernel, err);
  }
}

function hostBytes(data: GpuData, kernel: GpuKernelName): Uint8Array {
  if (data instanceof GpuArray) throw new WrtError('WRT_INVALID_ARGUMENT', `gpu.${kernel} reads its data from the host`);
  return data;
}

async function runKernel(
  ctx: GpuContext,
  kernel: GpuKernelName,
  p: GpuTaskParams,
  inputs: GpuData[],
  out: Uint8Array | null,
  wgsl: string | null,
): Promise<GpuArray[] | null> {
  const type = p.type ?? (kernel === 'histogram' ? 'u32' : 'f32');
  needInputs(inputs, kernel === 'matmul' ? 2 : 1, kernel);
  const x = () => typed(inputs[0]!, type, `gpu.${kernel} data`);
  const resident = out === null;
  const host = () => {
    if (!out) throw new WrtError('WRT_INVALID_ARGUMENT', `gpu.${kernel} cannot keep its result on the device`);
    return out;
  };
  switch (kernel) {
    case 'map': {
      const output = p.output ?? type;
      const expression = wgsl ?? p.expression;
      if (!expression) throw new WrtError('WRT_INVALID_ARGUMENT', 'gpu.map needs an expression (or a source export that returns one)');
      if (resident) return [await map(ctx, x(), expression, { output, preamble: p.preamble, resident })];
      await map(ctx, x(), expression, { output, preamble: p.preamble, into: typed(host(), output, 'output') as NumericArray });
      return null;
    }
    case 'reduce': {
      const v = await reduce(ctx, x(), p.op ?? 'sum');
      const o = host();
      const view = new DataView(o.buffer, o.byteOffset, 4);
      if (type === 'f32') view.setFloat32(0, v, true);
      else if (type === 'u32') view.setUint32(0, v, true);
      else view.setInt32(0, v, true);
      return null;
    }
    case 'scan':
      if (resident) return [await scan(ctx, x(), { op: p.op, exclusive: p.exclusive, resident })];
      await scan(ctx, x(), { op: p.op, exclusive: p.exclusive, into: typed(host(), type, 'output') as NumericArray });
      return null;
    case 'sort': {
      const keys = typed(inputs[0]!, 'u32', 'sort keys');
      const values = inputs[1] ? typed(inputs[1], 'u32', 'sort values') : undefined;
      if (resident) {
        const r = await radixSort(ctx, keys, values, { keyBits: p.keyBits, resident });
        return r.values ? [r.keys, r.values] : [r.keys];
      }
      const o = host();
      await radixSort(ctx, keys, values, {
        keyBits: p.keyBits,
        into: typed(o.subarray(0, keys.byteLength), 'u32', 'output') as Uint32Array,
        valuesInto: values ? (typed(o.subarray(keys.byteLength), 'u32', 'output') as Uint32Array) : undefined,
      });
      return null;
    }
    case 'histogram':
      if (type === 'i32') throw new WrtError('WRT_INVALID_ARGUMENT', 'gpu.histogram takes u32 or f32 data');
      await histogram(ctx, typed(inputs[0]!, type, 'gpu.histogram data'), {
        bins: p.bins ?? 0,
        min: p.min ?? 0,
        max: p.max ?? 0,
        into: typed(host(), 'u32', 'output') as Uint32Array,
      });
      return null;
    case 'matmul': {
      const a = typed(inputs[0]!, 'f32', 'A');
      const b = typed(inputs[1]!, 'f32', 'B');
      const shape = { m: p.m ?? 0, n: p.n ?? 0, k: p.k ?? 0, precision: p.precision };
      if (resident) return [await matmul(ctx, a, b, { ...shape, resident })];
      await matmul(ctx, a, b, { ...shape, into: typed(host(), 'f32', 'output') as Float32Array });
      return null;
    }
    case 'compute': {
      if (!wgsl)
        throw new WrtError(
          'WRT_INVALID_ARGUMENT',
          'gpu.compute runs a shader its module carries: give `source`, the export that returns it',
        );
      const data = inputs.map((d) => hostBytes(d, kernel));
      const o = host();
      const elements = Math.floor(data[0]!.byteLength / 4);
      const size = p.workgroupSize ?? 64;
      await compute(ctx, {
        source: wgsl,
        entryPoint: p.entryPoint,
        inputs: data,
        outputBytes: o.byteLength,
        workgroups: Math.ceil(elements / size),
        uniforms: [elements, ...(p.uniforms ?? [])],
        into: o,
      });
      return null;
    }
  }
}

/**
 * Runs one request on the agent's device (`device()` resolves it, waiting while a lost one is
 * re-acquired; `gpu` is null when the node has none, `why` says why) and wakes the waiting slot.
 * Never throws: failures become the error reply.
 */
export async function serveGpuRequest(device: () => Promise<{ gpu: GpuContext | null; why: string }>, request: GpuRequest): Promise<void> {
  const { reply, kernel, params, inputs } = request;
  try {
    const { gpu: ctx, why } = await device();
    if (!ctx) throw new WrtError('WRT_GPU_UNAVAILABLE', `this node has no GPU: ${why}`);
    const bytes = gpuOutputBytes(kernel, params, inputs);
    const out = new Uint8Array(reply, GPU_REPLY_HEADER_BYTES, bytes);
    await runGpuKernel(ctx, kernel, params, inputs, out, kernel === 'compute' ? (params.shader ?? null) : null);
    settleGpuRequest(reply, true, bytes);
  } catch (err) {
    const f = toFailure(err, 'WRT_GPU_ERROR');
    failGpuRequest(reply, `${f.code}: ${f.message}`);
  }
}
