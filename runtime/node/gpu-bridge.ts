/**
 * The `wrt:runtime/gpu` import (wit/runtime.wit): wasm code running in a slot thread calls the
 * node's GPU kernels synchronously, while the device lives on the node agent's thread.
 *
 * The slot side ({@link gpuImports}) copies the request out of the instance's memory, posts it to
 * the agent with a `SharedArrayBuffer` sized for the reply, and blocks in `Atomics.wait` on the
 * reply's state word; the agent side ({@link serveGpuRequest}) runs the kernel, writes the result
 * (or an error message) into that buffer and wakes the slot. The slot then allocates the result in
 * the instance through `cabi_realloc` and writes `result<list<u8>, string>` at the caller's
 * return pointer, as the canonical ABI lowers an import (Component Model, CanonicalABI.md: flat
 * parameters `(kernel ptr, len, params ptr, len, inputs ptr, len)`, results through `retptr`).
 *
 * Reply buffer layout: i32 state @0 (0 pending, 1 ok, 2 error), i32 byte length @4, payload from
 * byte {@link GPU_REPLY_HEADER_BYTES}. A slot blocked here still obeys its call's deadline: the
 * agent terminates the thread.
 *
 * Copies per call: instance → request, request → device (staging), device → reply buffer,
 * reply buffer → instance. The agent side is `serveGpuRequest` in gpu-tasks.ts (this file stays
 * free of the kernels: slot threads load it).
 */
import { WrtError, toFailure } from '../errors.js';
import {
  GPU_TASK_PREFIX,
  gpuKernelOf,
  gpuOutputBytes,
  parseGpuParams,
  type GpuKernelName,
  type GpuTaskParams,
} from './gpu-kernel-contract.js';

/** Module and field name of the import, as wit-component names an interface import. */
export const GPU_IMPORT_MODULE = 'wrt:runtime/gpu@0.1.0';
export const GPU_IMPORT_FIELD = 'run';
export const GPU_REPLY_HEADER_BYTES = 8;
/** Room for an error message in the reply. */
const MIN_PAYLOAD_BYTES = 1024;

/** A kernel request from a slot thread to its node agent. */
export interface GpuRequest {
  type: 'gpu';
  kernel: GpuKernelName;
  params: GpuTaskParams;
  inputs: Uint8Array[];
  /** Reply buffer (layout above), sized for the kernel's result. */
  reply: SharedArrayBuffer;
}

/**
 * Runs requests on the agent's thread; the node agent gives one to its slots, with its ceiling on
 * the bytes one call may move (`maxBytesPerCall`, told to each slot thread at init).
 */
export interface GpuRequestHandler {
  (request: GpuRequest): Promise<void>;
  maxBytesPerCall?: number;
}

/** Publishes the reply's state and wakes the slot. */
export function settleGpuRequest(reply: SharedArrayBuffer, ok: boolean, bytes: number): void {
  const header = new Int32Array(reply, 0, 2);
  header[1] = bytes;
  Atomics.store(header, 0, ok ? 1 : 2);
  Atomics.notify(header, 0);
}

/** Writes an error message into `reply` and wakes the slot. */
export function failGpuRequest(reply: SharedArrayBuffer, message: string): void {
  const encoded = new TextEncoder().encode(message);
  const room = reply.byteLength - GPU_REPLY_HEADER_BYTES;
  const n = Math.min(encoded.byteLength, room);
  new Uint8Array(reply, GPU_REPLY_HEADER_BYTES, n).set(encoded.subarray(0, n));
  settleGpuRequest(reply, false, n);
}

/**
 * The imports a slot gives an instance of `module`: `wrt:runtime/gpu` when the module imports it
 * (and nothing else — other imports stay unresolved, so instantiation fails with a LinkError).
 * When `granted` is false (the call's task or vertex asked for no `gpus`), `run` returns an `err`
 * saying so. `instance()` gives the instance once created; `post` sends a request to the agent.
 */
export function gpuImports(
  module: WebAssembly.Module,
  granted: boolean,
  instance: () => WebAssembly.Instance | undefined,
  post: (request: GpuRequest, transfer: Transferable[]) => void,
  maxBytesPerCall = 2 ** 30,
): WebAssembly.Imports {
  const wanted = WebAssembly.Module.imports(module).some((i) => i.module === GPU_IMPORT_MODULE && i.name === GPU_IMPORT_FIELD);
  if (!wanted) return {};
  const run = (kPtr: number, kLen: number, pPtr: number, pLen: number, iPtr: number, iLen: number, retPtr: number): void => {
    const inst = instance();
    const memory = inst?.exports.memory;
    const realloc = inst?.exports.cabi_realloc;
    if (!(memory instanceof WebAssembly.Memory) || typeof realloc !== 'function')
      throw new WrtError('WRT_MISSING_EXPORT', `a module that imports ${GPU_IMPORT_MODULE} must export "memory" and "cabi_realloc"`);
    const u8 = () => new Uint8Array(memory.buffer);
    const utf8 = (p: number, n: number) => new TextDecoder().decode(u8().slice(p >>> 0, (p >>> 0) + (n >>> 0)));
    const answer = (ok: boolean, payload: Uint8Array): void => {
      const ptr = Number((realloc as (...a: number[]) => number)(0, 0, 1, Math.max(1, payload.byteLength))) >>> 0;
      u8().set(payload, ptr);
      const view = new DataView(memory.buffer);
      view.setUint8(retPtr >>> 0, ok ? 0 : 1);
      view.setUint32((retPtr >>> 0) + 4, ptr, true);
      view.setUint32((retPtr >>> 0) + 8, payload.byteLength, true);
    };
    const error = (message: string) => answer(false, new TextEncoder().encode(message));

    const name = utf8(kPtr, kLen);
    if (!granted)
      return error(`WRT_GPU_UNAVAILABLE: gpu.${name} was called by an operator or task that asked for no gpus; ask for gpus: 1`);
    let kernel: GpuKernelName;
    let params: GpuTaskParams;
    const inputs: Uint8Array[] = [];
    let outBytes: number;
    try {
      kernel = gpuKernelOf(GPU_TASK_PREFIX + name);
      params = parseGpuParams(u8().slice(pPtr >>> 0, (pPtr >>> 0) + (pLen >>> 0)));
      const view = new DataView(memory.buffer);
      for (let i = 0; i < iLen >>> 0; i++) {
        const at = (iPtr >>> 0) + i * 8;
        const p = view.getUint32(at, true);
        const n = view.getUint32(at + 4, true);
        if (p + n > memory.buffer.byteLength) throw new WrtError('WRT_INVALID_ARGUMENT', `input ${i} lies outside linear memory`);
        inputs.push(u8().slice(p, p + n));
      }
      outBytes = gpuOutputBytes(kernel, params, inputs);
      // GPU buffers lie outside the instance's capped linear memory: the node bounds them per call.
      const moved = inputs.reduce((a, x) => a + x.byteLength, 0) + outBytes;
      if (moved > maxBytesPerCall) {
        throw new WrtError(
          'WRT_OVER_LIMIT',
          `gpu.${name} would move ${moved} bytes; this node allows ${maxBytesPerCall} per call (its --max-gpu-mb-per-call)`,
        );
      }
    } catch (err) {
      const f = toFailure(err, 'WRT_INVALID_ARGUMENT');
      return error(`${f.code}: ${f.message}`);
    }
    const reply = new SharedArrayBuffer(GPU_REPLY_HEADER_BYTES + Math.max(outBytes, MIN_PAYLOAD_BYTES));
    post(
      { type: 'gpu', kernel, params, inputs, reply },
      inputs.map((x) => x.buffer),
    );
    const header = new Int32Array(reply, 0, 2);
    Atomics.wait(header, 0, 0);
    const payload = new Uint8Array(reply, GPU_REPLY_HEADER_BYTES, header[1]);
    answer(Atomics.load(header, 0) === 1, payload);
  };
  return { [GPU_IMPORT_MODULE]: { [GPU_IMPORT_FIELD]: run } };
}
