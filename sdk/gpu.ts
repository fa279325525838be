/**
 * GPU tasks from the SDK: `rt.gpu.sort(ref)`, `rt.gpu.matmul(a, b, {...})`, ... submit tasks that
 * ask for `gpus: 1` and run wrt's WebGPU kernels (gpu/) on a node that has an adapter, wherever
 * their inputs live. Arguments are ObjectRefs or plain values (typed arrays, bytes); results are
 * ObjectRefs of little-endian arrays — read them with `view(bytes, Float32Array)`. A module can
 * carry its own WGSL: see {@link WasmModule.kernel}. Contracts: docs/gpu-tasks.md.
 */
import type { ArgValue } from './encoding.js';
import type { ObjectRef } from './object-ref.js';
import type { RemoteOptions } from './options.js';
import type { Submitter } from './submitter.js';
import type { GpuTaskParams } from '../runtime/node/gpu-kernel-contract.js';
import type { AssociativeOp } from '../gpu/kernels/ops.js';
import type { ElementType } from '../gpu/context.js';

type Data = ArgValue | ObjectRef;

/** The options of one GPU task: scheduling options plus the kernel's parameters. */
const GPU_DEFAULTS: RemoteOptions = { gpus: 1 };

/**
 * The built-in GPU kernels as tasks (`rt.gpu.sort(keys)`, `matmul`, `reduce`, `scan`, `histogram`,
 * `map`): each call is one task placed on a node with a GPU, its inputs typed arrays or refs, its
 * result a ref to the output bytes. `withOptions(...)` changes the scheduling options.
 */
export class GpuTasks {
  /** @internal */
  constructor(
    private readonly rt: Submitter,
    private readonly options: RemoteOptions = GPU_DEFAULTS,
  ) {}

  /** The same kernels with other scheduling options (merged over `{ gpus: 1 }`). */
  withOptions(options: RemoteOptions): GpuTasks {
    return new GpuTasks(this.rt, { ...GPU_DEFAULTS, ...options });
  }

  /** @internal Submits `gpu.<kernel>` with `params` first, then the data. */
  submit(moduleId: string, kernel: string, params: GpuTaskParams, data: Data[]): ObjectRef {
    return this.rt.submitTask(moduleId, `gpu.${kernel}`, [JSON.stringify(params), ...data], this.options);
  }

  /** `out[i] = expression` over `x` (element i of `data`) and `i`; result of `output` type (default `type`). */
  map(data: Data, expression: string, o: { type?: ElementType; output?: ElementType; preamble?: string } = {}): ObjectRef {
    return this.submit('', 'map', { ...o, expression }, [data]);
  }

  /** One element (4 bytes) of `type`: the sum, min or max of `data`. */
  reduce(data: Data, o: { type?: ElementType; op?: AssociativeOp } = {}): ObjectRef {
    return this.submit('', 'reduce', o, [data]);
  }

  /** Inclusive (or exclusive) scan of `data`, same type and length. */
  scan(data: Data, o: { type?: ElementType; op?: AssociativeOp; exclusive?: boolean } = {}): ObjectRef {
    return this.submit('', 'scan', o, [data]);
  }

  /**
   * u32 keys sorted ascending (stable); with `values` (u32, one per key) the result is the sorted
   * keys followed by the values in the same order (2·n u32).
   */
  sort(keys: Data, values?: Data, o: { keyBits?: number } = {}): ObjectRef {
    return this.submit('', 'sort', o, values === undefined ? [keys] : [keys, values]);
  }

  /** `bins` u32 counts of `data` (u32 or f32) over [min, max]. */
  histogram(data: Data, o: { type?: 'u32' | 'f32'; bins: number; min: number; max: number }): ObjectRef {
    return this.submit('', 'histogram', o, [data]);
  }

  /** C (m×n, f32, row-major) = A (m×k) × B (k×n). */
  matmul(a: Data, b: Data, o: { m: number; n: number; k: number; precision?: 'f32' | 'f16' }): ObjectRef {
    return this.submit('', 'matmul', o, [a, b]);
  }
}
