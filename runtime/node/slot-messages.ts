/** Messages between a node agent and its slot threads (structured clone, not the wire protocol). */
import type { FailureRecord } from '../errors.js';
import type { GpuRequest } from './gpu-bridge.js';
import type { JobGraph, SourceWatermark } from '../protocol/messages.js';
import type { StreamElement } from '../stream/stream-subtask.js';
import type { ArenaRange } from '../store/object-store.js';
import type { SubtaskMetrics } from '../stream/stream-slot.js';

export type { ArenaRange };

/** One call of a `calls` batch. */
export interface CallRequest {
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
}

/** The result of one call, in the order the calls were sent. */
export type CallReply =
  { type: 'done'; callId: number; output: Uint8Array; elapsedMs: number } | { type: 'failed'; callId: number; failure: FailureRecord };

export type SlotRequest =
  /**
   * `progress` (task slots only): a SharedArrayBuffer where the thread keeps the id of the call it
   * is running and when it started (layout: runtime/node/slot-pool.ts `PROGRESS_*`).
   */
  /** `gpuBytesPerCall`: the node's ceiling on bytes one `wrt:runtime/gpu` call moves. */
  | { type: 'init'; arena: WebAssembly.Memory; progress?: SharedArrayBuffer; gpuBytesPerCall?: number }
  /** Calls to run one after another. */
  | { type: 'calls'; calls: CallRequest[] }
  | StreamSlotRequest;

/** Agent → a slot thread that runs one slot of a stream job (runtime/node/stream-slot-thread.ts). */
export type StreamSlotRequest =
  | {
      type: 'stream-open';
      jobId: string;
      slot: number;
      module: WebAssembly.Module;
      /** The head's plan of the job (DeployStreamSlot `graph`, `resolvedGraph`). */
      graph: JobGraph;
      credits: number;
      outputCapBytes: number;
      maxMemoryBytes: number;
      /** States of a checkpoint to start from, by vertex id (empty: a fresh start). */
      restore: Map<string, Uint8Array>;
      /** Started from a savepoint: sinks write new part files. */
      freshOutput: boolean;
      /**
       * Where the thread publishes its operator calls for the node's deadline watchdog
       * ({@link STREAM_PROGRESS_BYTES}): the start (ms since the epoch, 0 when idle) and the
       * index + 1 of the running operator in {@link streamOperators} of `graph`.
       */
      progress: SharedArrayBuffer;
    }
  /** Start checkpoint `id` at this slot's sources. */
  | { type: 'stream-trigger'; id: number }
  /** An element from another slot; `edge` indexes the graph's edges. */
  | { type: 'stream-in'; edge: number; from: number; to: number; element: StreamElement }
  | { type: 'stream-credit'; edge: number; from: number; to: number; credits: number }
  /** Asks for the slot's {@link SubtaskMetrics} (answered with `stream-metrics`). */
  | { type: 'stream-metrics' }
  /** The slowest watermark of alignment group `group` (runtime/stream/watermark-alignment.ts). */
  | { type: 'stream-align'; group: string; min: number };

/** A stream slot thread → the agent. */
export type StreamSlotReply =
  | { type: 'stream-out'; edge: number; from: number; to: number; element: StreamElement }
  | { type: 'stream-grant'; edge: number; from: number; to: number; credits: number }
  | { type: 'stream-sink'; partition: number; bytes: Uint8Array; rows: number | null; epoch: number }
  | { type: 'stream-checkpointed'; vertexId: string; index: number; id: number; state: Uint8Array }
  | { type: 'stream-subtask-done'; vertexId: string; index: number; state: Uint8Array }
  /** Every subtask of the slot is done; `subtasks`: their final figures. */
  | { type: 'stream-finished'; subtasks: SubtaskMetrics[] }
  /** `jobId`: the execution the answering slot runs (a reused thread may answer for its previous one). */
  | { type: 'stream-metrics'; jobId: string; subtasks: SubtaskMetrics[] }
  /** Aligned sources' watermarks that changed, for the head (a ReportWatermarks). */
  | { type: 'stream-watermarks'; sources: SourceWatermark[] }
  | { type: 'stream-failed'; failure: FailureRecord };

export type SlotReply =
  | { type: 'ready' }
  /** Replies of the current batch so far (all of it, or what finished within REPLY_FLUSH_MS). */
  | { type: 'replies'; replies: CallReply[] }
  | GpuRequest;

/** Bytes of a stream slot's progress word: a Float64 start time, then an Int32 operator index + 1. */
export const STREAM_PROGRESS_BYTES = 16;

/** The operators (export names) of `graph`'s vertices, in a fixed order both sides of the progress word share. */
export function streamOperators(graph: JobGraph): string[] {
  const names = graph.vertices.flatMap((v) => [v.operator, ...(v.aggregates ?? []).map((a) => a.operator ?? '')]);
  return [...new Set(names.filter((o) => o))];
}
