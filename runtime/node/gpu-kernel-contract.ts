/**
 * The contract of GPU kernels run on a node's device, shared by GPU tasks (`gpu.*`) and by wasm
 * code that imports `wrt:runtime/gpu` (GPU operators): kernel names, the JSON parameter block and
 * the result's size, known before the run. Pure and device-free, so slot threads can check a
 * request before they send it (docs/gpu-tasks.md gives each kernel's contract).
 */
import { WrtError } from '../errors.js';
import type { ElementType } from '../../gpu/context.js';
import type { AssociativeOp } from '../../gpu/kernels/ops.js';

/** Function names of GPU tasks start with this. */
export const GPU_TASK_PREFIX = 'gpu.';

export const GPU_KERNELS = ['map', 'reduce', 'scan', 'sort', 'histogram', 'matmul', 'compute'] as const;
export type GpuKernelName = (typeof GPU_KERNELS)[number];

/** The JSON parameters of a GPU task (fields per kernel; see docs/gpu-tasks.md). */
export interface GpuTaskParams {
  /** Element type of the data (map, reduce, scan, histogram). @default 'f32' (histogram: 'u32') */
  type?: ElementType;
  /** map: output element type. */
  output?: ElementType;
  /** map: WGSL expression over x and i. */
  expression?: string;
  /** map: WGSL declarations before the kernel. */
  preamble?: string;
  /**
   * map, compute: the name of a function exported by the task's module that returns WGSL (the
   * expression for map, a whole shader for compute): the module carries its own kernel.
   */
  source?: string;
  op?: AssociativeOp;
  exclusive?: boolean;
  keyBits?: number;
  bins?: number;
  min?: number;
  max?: number;
  m?: number;
  n?: number;
  k?: number;
  precision?: 'f32' | 'f16';
  /** compute: entry point. @default 'main' */
  entryPoint?: string;
  /** compute: output bytes. @default the first input's byte length */
  outputBytes?: number;
  /** compute: invocations per workgroup; workgroups = ceil(elements of input 0 / this). @default 64 */
  workgroupSize?: number;
  /** compute: extra u32 uniform words after the element count. */
  uniforms?: number[];
  /** compute, from wasm through `wrt:runtime/gpu`: the WGSL shader itself. */
  shader?: string;
}

/** The kernel a GPU task's function name names; throws `WRT_INVALID_ARGUMENT` for others. */
export function gpuKernelOf(functionName: string): GpuKernelName {
  const name = functionName.slice(GPU_TASK_PREFIX.length);
  if (!functionName.startsWith(GPU_TASK_PREFIX) || !(GPU_KERNELS as readonly string[]).includes(name))
    throw new WrtError(
      'WRT_INVALID_ARGUMENT',
      `unknown GPU kernel "${functionName}" (known: ${GPU_KERNELS.map((k) => GPU_TASK_PREFIX + k).join(', ')})`,
    );
  return name as GpuKernelName;
}

/** Parses the parameter block (argument 0). */
export function parseGpuParams(bytes: Uint8Array): GpuTaskParams {
  try {
    const p: unknown = JSON.parse(new TextDecoder().decode(bytes));
    if (typeof p === 'object' && p !== null && !Array.isArray(p)) return p;
  } catch {
    // reported below
  }
  throw new WrtError('WRT_INVALID_ARGUMENT', 'a GPU task takes a JSON object of parameters as its first argument');
}

/** @throws WrtError `WRT_INVALID_ARGUMENT` when `kernel` got fewer than `count` data inputs. */
export function needInputs(inputs: readonly { byteLength: number }[], count: number, kernel: string): void {
  if (inputs.length < count)
    throw new WrtError('WRT_INVALID_ARGUMENT', `gpu.${kernel} takes ${count} data argument(s) after its parameters, got ${inputs.length}`);
}

/** Bytes of the result of `kernel` on `inputs` with `p`, known before the run. */
export function gpuOutputBytes(kernel: GpuKernelName, p: GpuTaskParams, inputs: readonly { byteLength: number }[]): number {
  const first = inputs[0]?.byteLength ?? 0;
  switch (kernel) {
    case 'map':
    case 'scan':
      return first;
    case 'reduce':
      return 4;
    case 'sort':
      return first + (inputs[1]?.byteLength ?? 0);
    case 'histogram':
      return (p.bins ?? 0) * 4;
    case 'matmul':
      return (p.m ?? 0) * (p.n ?? 0) * 4;
    case 'compute':
      return p.outputBytes ?? first;
  }
}
