/** Messages between a node agent and its slot threads (structured clone, not the wire protocol). */
import type { FailureRecord } from '../errors.js';
import type { GpuRequest } from './gpu-bridge.js';

/** A byte range of the node's object-store arena. */
export interface ArenaRange {
  offset: number;
  length: number;
}

export type SlotRequest =
  | { type: 'init'; arena: WebAssembly.Memory }
  | {
      type: 'call';
      callId: number;
      /** Module and memory cap this instance is for; `module` is sent the first time a slot sees the key. */
      moduleKey: string;
      module: WebAssembly.Module | null;
      operator: string;
      partitions: number;
      inputs: ArenaRange[];
      outputCapBytes: number;
      maxMemoryBytes: number;
      /** The call was granted a GPU: its `wrt:runtime/gpu` import runs kernels (runtime/node/gpu-bridge.ts). */
      gpu: boolean;
    };

export type SlotReply =
  | { type: 'ready' }
  | { type: 'done'; callId: number; output: Uint8Array; elapsedMs: number }
  | { type: 'failed'; callId: number; failure: FailureRecord }
  | GpuRequest;
