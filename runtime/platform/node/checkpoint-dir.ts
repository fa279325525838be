/**
 * Checkpoints in a directory (the Node head's default store): `DIR/JOB/chk-N/` holds one file per
 * subtask, `VERTEX-INDEX.state`, and `_metadata` (JSON: job, checkpoint id, subtask list, time). A
 * checkpoint is written under a temporary name and renamed into place, so a crash never leaves a
 * half-written `chk-N`; the job's older checkpoints are removed after (Flink retains one by default).
 */
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import process from 'node:process';
import type { CheckpointStore } from '../../scheduler/checkpoint-store.js';

const fileOf = (key: string): string => `${key.replace('#', '-')}.state`;

export function checkpointDirectory(base: string): CheckpointStore {
  return {
    async write(jobId, id, states) {
      const jobDir = join(base, jobId);
      const final = join(jobDir, `chk-${id}`);
      const tmp = join(jobDir, `.chk-${id}.${process.pid}.tmp`);
      await mkdir(tmp, { recursive: true });
      for (const [key, state] of states) await writeFile(join(tmp, fileOf(key)), state);
      const metadata = { job: jobId, checkpoint: id, subtasks: [...states.keys()], completedAt: new Date().toISOString() };
      await writeFile(join(tmp, '_metadata'), JSON.stringify(metadata, null, 2));
      await rename(tmp, final);
      for (const f of await readdir(jobDir))
        if (f !== `chk-${id}` && /^chk-\d+$/.test(f)) await rm(join(jobDir, f), { recursive: true, force: true });
      return final;
    },
    async discard(jobId) {
      await rm(join(base, jobId), { recursive: true, force: true });
    },
  };
}
