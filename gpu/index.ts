/**
 * wrt's GPU kernels (`wrt/gpu`): WebGPU compute in WGSL with typed host wrappers, the same in
 * Node (Dawn, npm `webgpu`) and in browsers (`navigator.gpu`). Get a {@link GpuContext} from
 * `requestGpu()` (the `wrt/gpu` entry of your platform) or `GpuContext.create(gpu)`, then call the
 * kernels with it. See gpu/README.md for shapes, element types, layouts and limits.
 */
export {
  GpuContext,
  describeAdapter,
  guaranteesForwardProgress,
  WORKGROUP_SIZE,
  elementTypeOf,
  type ElementType,
  type NumericArray,
  type GpuAdapterSummary,
  type GpuContextOptions,
} from './context.js';
export { BufferPool } from './buffer-pool.js';
export { GpuArray, type KernelInput } from './array.js';
export { TRANSFER_CHUNK_BYTES, type UploadMode } from './transfer.js';
export type { OutputOptions } from './kernels/output.js';
export { map, mapShader, type MapOptions } from './kernels/map.js';
export { reduce } from './kernels/reduce.js';
export { scan, type ScanOptions, type ScanStrategy } from './kernels/scan.js';
export { radixSort, type SortOptions, type SortResult, type SortStrategy } from './kernels/radix-sort.js';
export { histogram, type HistogramOptions } from './kernels/histogram.js';
export { matmul, toFloat16, type MatmulOptions } from './kernels/matmul.js';
export { compute, type ComputeSpec } from './kernels/compute.js';
export type { AssociativeOp } from './kernels/ops.js';
