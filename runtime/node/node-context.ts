/**
 * What the node agent's roles share (node-agent.ts builds it once): the platform, the object store,
 * the slot pool, the module cache, the local object manager, the connection to the head, and the
 * node's counters. Each role — task runner, GPU tasks, actor hosting, stream slots — receives it
 * instead of reaching into the agent.
 */
import type { Platform } from '../platform/platform.js';
import type { Message, MessageOf } from '../protocol/messages.js';
import type { ObjectStore } from '../store/object-store.js';
import type { SlotPool } from './slot-pool.js';
import type { ModuleCache } from './module-cache.js';
import type { LocalObjectManager } from './local-object-manager.js';

/** Task results up to this many bytes travel back inline instead of staying in the store (Ray: 100 KiB). */
export const INLINE_RESULT_BYTES = 100 * 1024;

export type NodeAgentEvent =
  | { type: 'registered'; nodeId: string }
  /** The head deployed work here: a batch subtask, task or actor call (`DeployTask`), or a stream slot (with `reportDeployments` only). */
  | { type: 'deployed'; jobId: string; taskId: string; kind: string; operator: string }
  | { type: 'task-finished'; taskId: string; operator: string; elapsedMs: number }
  | { type: 'task-failed'; taskId: string; message: string }
  | { type: 'disconnected'; reason: string }
  /** A volunteer's trust record, as the head last sent it (docs/volunteers.md). */
  | { type: 'trust'; report: Omit<MessageOf<'TrustReport'>, 'type'> };

export interface NodeCounters {
  running: number;
  tasksFinished: number;
  tasksFailed: number;
  gpuKernels: number;
  /** Actor calls drivers made directly to this node (ADR 0009). */
  directCalls: number;
}

export interface NodeContext {
  readonly platform: Platform;
  readonly store: ObjectStore;
  readonly slots: SlotPool;
  readonly modules: ModuleCache;
  readonly objects: LocalObjectManager;
  /** Largest operator output, bytes. */
  readonly outputCapBytes: number;
  /**
   * Calls running now; calls finished and failed since start; GPU kernels dispatched since start
   * (heartbeats carry them all).
   */
  readonly counters: NodeCounters;
  /** The id the head gave this node ('' before it registered). */
  nodeId(): string;
  /** Sends to the head (dropped when not connected). */
  send(m: Message): void;
  emit(e: NodeAgentEvent): void;
}
