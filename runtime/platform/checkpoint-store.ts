/**
 * Where completed checkpoints and savepoints of stream jobs go. The head writes a checkpoint when
 * every subtask has acknowledged it, and commits the sink output the checkpoint covers only once
 * the write has succeeded (the second phase of the two-phase sink, docs/streaming.md). The Node
 * head writes to directories (runtime/platform/node/checkpoint-dir.ts); without them, the latest
 * checkpoint of each job and every savepoint are kept in the head's memory, which covers node
 * failures but not the head's.
 *
 * A savepoint is a checkpoint the user asked for (`wrt savepoint`, `wrt stop`; Flink's term): the
 * same contents, written under a directory of its own that wrt never removes, to start a new job
 * from (`wrt submit --from-savepoint PATH`).
 */
import { WrtError } from '../errors.js';

/** One completed checkpoint: every subtask's snapshot, by "VERTEX#INDEX". */
export interface CompletedCheckpoint {
  jobId: string;
  id: number;
  states: Map<string, Uint8Array>;
  /** Where it was written (a directory, or `memory:…`). */
  path: string;
}

export interface CheckpointStore {
  /**
   * Writes checkpoint `id` of `jobId` atomically (a reader sees all of it or none) and drops the
   * job's older ones. Resolves with its path.
   */
  write(jobId: string, id: number, states: Map<string, Uint8Array>): Promise<string>;
  /** Drops every checkpoint of a job that finished or was cancelled. */
  discard(jobId: string): Promise<void>;
  /**
   * Writes checkpoint `id` of `jobId` as a savepoint under `dir` ('' = the store's default),
   * atomically, in a new directory named `savepoint-JOB-ID-RANDOM`. Resolves with its path.
   */
  writeSavepoint(jobId: string, id: number, states: Map<string, Uint8Array>, dir: string): Promise<string>;
  /**
   * Checks at once that a savepoint may go into `dir` ('' = the default), before any subtask takes
   * its snapshot. Stores that confine paths implement it.
   * @throws WrtError `WRT_FORBIDDEN` naming the store's directories and the flag that sets them
   */
  checkSavepointDir?(dir: string): void;
  /**
   * Reads a savepoint, or a checkpoint directory a failed job left behind.
   * @throws WrtError `WRT_BAD_CHECKPOINT` naming `path` when nothing readable is there.
   */
  read(path: string): Promise<CompletedCheckpoint>;
}

/** Short random suffix for savepoint names (a head that restarts reuses job ids). */
export function savepointSuffix(): string {
  const b = new Uint8Array(3);
  globalThis.crypto.getRandomValues(b);
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
}

/** Keeps savepoints in memory (paths `memory:savepoint-…`) and checkpoints only as paths: the job holds its latest states itself. */
export function memoryCheckpointStore(): CheckpointStore {
  const savepoints = new Map<string, CompletedCheckpoint>();
  return {
    write: (jobId, id) => Promise.resolve(`memory:${jobId}/chk-${id}`),
    discard: () => Promise.resolve(),
    writeSavepoint(jobId, id, states) {
      const path = `memory:savepoint-${jobId}-${id}-${savepointSuffix()}`;
      savepoints.set(path, { jobId, id, states, path });
      return Promise.resolve(path);
    },
    read(path) {
      const s = savepoints.get(path);
      if (s) return Promise.resolve(s);
      return Promise.reject(
        new WrtError(
          'WRT_BAD_CHECKPOINT',
          `no savepoint at "${path}" on this head (it keeps savepoints in memory; start it with --checkpoint-dir to keep them on disk)`,
        ),
      );
    },
  };
}
