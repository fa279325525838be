/** The platform-neutral part of the SDK, re-exported by `sdk/node.ts` and `sdk/browser.ts`. */
export { Runtime, ActorHandle, type GetOptions, type WaitOptions, type ModuleLoader } from './runtime.js';
export { WasmModule, RemoteFunction, ActorClass, GpuKernel, type KernelSpec } from './wasm-module.js';
export { GpuTasks } from './gpu.js';
export { ObjectRef } from './object-ref.js';
export { TaskError } from './task-error.js';
export { encodeArg, view, asNumber, type ArgValue } from './encoding.js';
export type { RemoteOptions } from './options.js';
export { WrtError, ERROR_CODES, type ErrorCode } from '../runtime/errors.js';
export type { StreamJobOptions, StreamJobResult } from './stream-job.js';
