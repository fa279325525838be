/**
 * A loaded wasm module: its exported functions become remote functions and its constructor
 * exports actor classes. Each exported function has the operator type of `wit/runtime.wit`
 * (`func(input: list<u8>) -> result<list<u8>, string>`); its input is an operator input frame
 * (docs/batch-format.md) with one input per argument (sdk/encoding.ts).
 */
import { WrtError } from '../runtime/errors.js';
import type { ObjectRef } from './object-ref.js';
import type { ArgValue } from './encoding.js';
import type { RemoteOptions } from './options.js';
import { compileOptions } from './options.js';
import type { ActorHandle, Submitter } from './submitter.js';
import type { GpuTasks } from './gpu.js';
import type { GpuTaskParams } from '../runtime/node/gpu-kernel-contract.js';
import type { ElementType } from '../gpu/context.js';

/** How a module's own WGSL kernel runs: see {@link WasmModule.kernel}. */
export type KernelSpec =
  | { kind: 'map'; type?: ElementType; output?: ElementType; preamble?: string }
  | { kind: 'compute'; outputBytes?: number; workgroupSize?: number; entryPoint?: string; uniforms?: number[] };

/** A GPU kernel carried by a module; `call(...data)` submits one GPU task. */
export class GpuKernel {
  /** @internal */
  constructor(
    private readonly rt: Submitter & { readonly gpu: GpuTasks },
    private readonly moduleId: string,
    readonly source: string,
    private readonly spec: KernelSpec,
    private readonly opts: RemoteOptions,
  ) {}

  /**
   * Submits one GPU task over `data` (typed arrays, or refs to their bytes); returns its result's ref at once.
   * @throws WrtError `WRT_INVALID_ARGUMENT` for an argument that is neither; the task fails with `WRT_GPU_*` codes
   */
  call(...data: (ArgValue | ObjectRef)[]): ObjectRef {
    const { kind, ...rest } = this.spec;
    const params: GpuTaskParams = { ...rest, source: this.source };
    return this.rt.gpu.withOptions(this.opts).submit(this.moduleId, kind, params, data);
  }
}

/**
 * A task function: one export of a loaded module (Ray's remote function). `call(...args)`
 * submits a task; `options(...)` changes its resources and retries.
 */
export class RemoteFunction {
  /** @internal */
  constructor(
    private readonly rt: Submitter & { readonly gpu: GpuTasks },
    private readonly moduleId: string,
    readonly name: string,
    private readonly opts: RemoteOptions,
  ) {}

  /** Submits one task; returns the ref of its result at once. */
  call(...args: (ArgValue | ObjectRef)[]): ObjectRef {
    return this.rt.submitTask(this.moduleId, this.name, args, this.opts);
  }

  /** The same function with other options (merged over these). */
  options(o: RemoteOptions): RemoteFunction {
    compileOptions(o);
    return new RemoteFunction(this.rt, this.moduleId, this.name, { ...this.opts, ...o });
  }
}

/**
 * An actor class: a module whose constructor export builds the actor's state (Ray's actor class).
 * `create(...args)` starts one actor; methods are the module's other exports.
 */
export class ActorClass {
  /** @internal */
  constructor(
    private readonly rt: Submitter & { readonly gpu: GpuTasks },
    private readonly moduleId: string,
    readonly initFunction: string,
    private readonly opts: RemoteOptions,
  ) {}

  /** Creates one actor by calling the constructor export with `args`; resolves once it runs. */
  create(...args: (ArgValue | ObjectRef)[]): Promise<ActorHandle> {
    return this.rt.createActor(this.moduleId, this.initFunction, args, this.opts);
  }

  /**
   * The same class with other options (merged over these): resources, `maxRestarts`, a `name` to find it by.
   * @throws WrtError `WRT_INVALID_ARGUMENT` for an option out of range
   */
  options(o: RemoteOptions): ActorClass {
    compileOptions(o);
    return new ActorClass(this.rt, this.moduleId, this.initFunction, { ...this.opts, ...o });
  }
}

/**
 * A wasm module loaded into the cluster by `rt.load(path | URL | bytes)`: its exports as task
 * functions (`remote(name)`), actor classes (`actorClass(ctor)`) and GPU kernels (`kernel(...)`).
 * The module's bytes travel to a node once, cached there by content hash.
 */
export class WasmModule {
  /** @internal */
  constructor(
    private readonly rt: Submitter & { readonly gpu: GpuTasks },
    readonly moduleId: string,
    /** The module's export names. */
    readonly exports: readonly string[],
  ) {}

  private check(name: string): void {
    if (!this.exports.includes(name)) {
      throw new WrtError(
        'WRT_MISSING_EXPORT',
        `the module exports no function "${name}" (it exports: ${this.exports.filter((e) => !e.startsWith('cabi_') && e !== 'memory').join(', ')})`,
      );
    }
  }

  /** A remote function for export `name`. @throws WrtError `WRT_MISSING_EXPORT`, `WRT_INVALID_ARGUMENT`. */
  remote(name: string, options: RemoteOptions = {}): RemoteFunction {
    this.check(name);
    compileOptions(options);
    return new RemoteFunction(this.rt, this.moduleId, name, options);
  }

  /**
   * A GPU kernel that this module carries: export `source` returns its WGSL (called once per node,
   * in a wasm slot) — for `kind: 'map'` a WGSL expression over `x` and `i`, for `kind: 'compute'`
   * a whole shader whose bindings are the data arguments (read-only storage, 0..k-1), the output
   * (read-write storage, k) and a uniform block (k+1) starting with the element count of the
   * first argument. Calls run as GPU tasks (`gpus: 1` unless `options` say otherwise).
   * @throws WrtError `WRT_MISSING_EXPORT` when the module does not export `source`
   */
  kernel(source: string, spec: KernelSpec, options: RemoteOptions = {}): GpuKernel {
    this.check(source);
    compileOptions(options);
    return new GpuKernel(this.rt, this.moduleId, source, spec, { gpus: 1, ...options });
  }

  /** An actor class whose constructor is export `initFunction`; its methods are the module's other exports. */
  actor(initFunction: string, options: RemoteOptions = {}): ActorClass {
    this.check(initFunction);
    compileOptions(options);
    return new ActorClass(this.rt, this.moduleId, initFunction, options);
  }
}
