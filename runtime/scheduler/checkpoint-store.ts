/**
 * Where completed checkpoints of stream jobs go. The head writes one when every subtask has
 * acknowledged it, and commits the sink output the checkpoint covers only once the write has
 * succeeded (the second phase of the two-phase sink, docs/streaming.md). The Node head writes to a
 * directory (runtime/platform/node/checkpoint-dir.ts); without one, the latest checkpoint of each
 * job is kept in the head's memory, which covers node failures but not the head's.
 */

/** One completed checkpoint: every subtask's snapshot, by "VERTEX#INDEX". */
export interface CompletedCheckpoint {
  jobId: string;
  id: number;
  states: Map<string, Uint8Array>;
  /** Where it was written (a directory, or `memory:JOB/chk-N`). */
  path: string;
}

export interface CheckpointStore {
  /**
   * Writes checkpoint `id` of `jobId` atomically (a reader sees all of it or none) and drops the
   * job's older ones. Resolves with its path.
   */
  write(jobId: string, id: number, states: Map<string, Uint8Array>): Promise<string>;
  /** Drops every checkpoint of a job that finished. */
  discard(jobId: string): Promise<void>;
}

/** Keeps nothing but the path: the job holds its latest states itself. */
export const memoryCheckpointStore: CheckpointStore = {
  write: (jobId, id) => Promise.resolve(`memory:${jobId}/chk-${id}`),
  discard: () => Promise.resolve(),
};
