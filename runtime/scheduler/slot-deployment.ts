/**
 * What a stream job sends each node to start one slot of an attempt (DeployStreamSlot): the
 * planned graph, where every slot runs, and — on a restart or from a savepoint — the states of
 * that slot's subtasks in the checkpoint it starts from (subtask i runs in slot i). The slots of
 * attempt k of job J run as execution `J@k`.
 */
import type { JobGraph, MessageOf, SubtaskState } from '../protocol/messages.js';
import type { CompletedCheckpoint } from '../platform/checkpoint-store.js';

export interface SlotDeployment {
  /** `JOB@ATTEMPT`. */
  executionId: string;
  /** The job's module (sent to a node that has not cached it), and its operators' limits. */
  spec: { moduleHash: string; module: Uint8Array; maxMemoryBytes: number; deadlineMs: number };
  /** The resolved plan (execution-graph.ts `resolvedGraph`). */
  graph: JobGraph;
  /** Node of every slot, by slot index. */
  slotNodes: string[];
  /** Batches a sender may have in flight per channel. */
  channelCredits: number;
  /** The checkpoint (or savepoint) the attempt starts from; null: from the beginning. */
  from: CompletedCheckpoint | null;
  freshOutput: boolean;
}

/** "JOB@ATTEMPT" (a slot's execution id) → [JOB, ATTEMPT]; an id without "@" is attempt 0. */
export function parseExecutionId(id: string): [string, number] {
  const at = id.lastIndexOf('@');
  return at < 0 ? [id, 0] : [id.slice(0, at), Number(id.slice(at + 1))];
}

/** The states of slot `slot`'s subtasks in checkpoint `cp` (keys "VERTEX#INDEX"). */
export function statesOfSlot(cp: CompletedCheckpoint | null, slot: number): SubtaskState[] {
  return [...(cp?.states ?? [])].flatMap(([key, state]) => {
    const at = key.lastIndexOf('#');
    const index = Number(key.slice(at + 1));
    return index === slot ? [{ vertex: key.slice(0, at), index, state }] : [];
  });
}

/** The DeployStreamSlot of slot `slot`; `withModule`: the node does not have the module cached yet. */
export function deployMessage(d: SlotDeployment, slot: number, withModule: boolean): MessageOf<'DeployStreamSlot'> {
  return {
    type: 'DeployStreamSlot',
    jobId: d.executionId,
    slot,
    moduleHash: d.spec.moduleHash,
    module: withModule ? d.spec.module : new Uint8Array(0),
    graph: d.graph,
    slotNodes: d.slotNodes,
    maxMemoryBytes: d.spec.maxMemoryBytes,
    deadlineMs: d.spec.deadlineMs,
    channelCredits: d.channelCredits,
    restore: statesOfSlot(d.from, slot),
    freshOutput: d.freshOutput,
  };
}
