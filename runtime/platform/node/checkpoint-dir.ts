/**
 * Checkpoints and savepoints in directories (the Node head's default store).
 * - Checkpoint N of job JOB: `BASE/JOB/chk-N/`; the job's older ones are removed once it is in
 *   place (Flink retains one by default), all of them when the job finishes or is cancelled; a
 *   failed job's latest stays, to restart from with `--from-savepoint`.
 * - A savepoint: `DIR/savepoint-JOB-N-RANDOM/` (DIR: the one asked for, else SAVEPOINT_BASE), never
 *   removed by wrt.
 * Both hold one file per subtask, `VERTEX-INDEX.state` (the snapshot bytes of stream-subtask.ts),
 * and `_metadata` (JSON: `{ kind, job, checkpoint, subtasks: ["VERTEX#INDEX", …], completedAt }`).
 * Each is written under a temporary name and renamed into place, so a crash never leaves a
 * half-written one.
 *
 * Confinement (docs/security.md): a savepoint directory a client asks for must lie under
 * SAVEPOINT_BASE, and a savepoint or checkpoint to restore from under SAVEPOINT_BASE or BASE;
 * subtask keys in `_metadata` must be safe names (protocol/names.ts). Anything else is refused with
 * `WRT_FORBIDDEN` naming the head's directories and the flags that set them.
 */
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import process from 'node:process';
import { tmpdir } from 'node:os';
import { savepointSuffix, type CheckpointStore, type CompletedCheckpoint } from '../checkpoint-store.js';
import { WrtError } from '../../errors.js';
import { isSafeName } from '../../protocol/names.js';
import { isUnder } from './confinement.js';

/** Where a head keeps checkpoints unless told otherwise (`wrt start --checkpoint-dir`). */
export const DEFAULT_CHECKPOINT_BASE = join(tmpdir(), 'wrt-checkpoints');
/** Where savepoints go when none is named (`wrt start --savepoint-dir`). */
export const DEFAULT_SAVEPOINT_BASE = join(tmpdir(), 'wrt-savepoints');

/** The file of subtask `key` ("VERTEX#INDEX"); @throws WrtError `WRT_BAD_CHECKPOINT` for a key that is not a safe name and index. */
function fileOf(key: string): string {
  const m = /^(.+)#(\d{1,6})$/.exec(key);
  if (!m || !isSafeName(m[1]!))
    throw new WrtError('WRT_BAD_CHECKPOINT', `subtask key ${JSON.stringify(key.slice(0, 140))} is not VERTEX#INDEX with a safe vertex id`);
  return `${m[1]}-${m[2]}.state`;
}

/**
 * Refuses `path` unless it lies under one of `roots`.
 * @throws WrtError `WRT_FORBIDDEN` naming the roots and the flags that set them
 */
function confine(path: string, roots: string[], what: string): void {
  if (roots.some((r) => isUnder(path, r))) return;
  throw new WrtError(
    'WRT_FORBIDDEN',
    `${what} ${path} lies outside the head's directories (${roots.join(', ')}); ` +
      'use a path under them, or start the head with --savepoint-dir / --checkpoint-dir naming a parent of it',
  );
}

interface Metadata {
  kind: 'checkpoint' | 'savepoint';
  job: string;
  checkpoint: number;
  subtasks: string[];
  completedAt: string;
}

/** Writes `states` and `_metadata` into `final` through a temporary sibling directory. */
async function writeAtomically(
  final: string,
  kind: Metadata['kind'],
  jobId: string,
  id: number,
  states: Map<string, Uint8Array>,
): Promise<void> {
  const tmp = join(dirname(final), `.${basename(final)}.${process.pid}.tmp`);
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  for (const [key, state] of states) await writeFile(join(tmp, fileOf(key)), state);
  const metadata: Metadata = { kind, job: jobId, checkpoint: id, subtasks: [...states.keys()], completedAt: new Date().toISOString() };
  await writeFile(join(tmp, '_metadata'), JSON.stringify(metadata, null, 2));
  await rename(tmp, final);
}

const bad = (path: string, what: string): WrtError =>
  new WrtError(
    'WRT_BAD_CHECKPOINT',
    `"${path}" is not a readable savepoint: ${what} (give a directory written by wrt savepoint / wrt stop, or a chk-N directory)`,
  );

/** Reads a savepoint or checkpoint directory. @throws WrtError `WRT_BAD_CHECKPOINT` naming what is wrong. */
export async function readCheckpointDir(path: string): Promise<CompletedCheckpoint> {
  let text: string;
  try {
    text = await readFile(join(path, '_metadata'), 'utf8');
  } catch (err) {
    throw bad(path, (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'it has no _metadata file' : (err as Error).message);
  }
  let meta: Partial<Metadata>;
  try {
    meta = JSON.parse(text) as Partial<Metadata>;
  } catch {
    throw bad(path, '_metadata is not JSON');
  }
  const keyOk = (k: unknown): k is string => typeof k === 'string' && /^[A-Za-z0-9_.-]{1,128}#\d{1,6}$/.test(k) && !k.includes('..');
  if (!Number.isInteger(meta.checkpoint) || !Array.isArray(meta.subtasks) || !meta.subtasks.every(keyOk))
    throw bad(path, '_metadata lacks a checkpoint number or its subtask list');
  const states = new Map<string, Uint8Array>();
  for (const key of meta.subtasks) {
    try {
      states.set(key, new Uint8Array(await readFile(join(path, fileOf(key)))));
    } catch {
      throw bad(path, `the state of subtask ${key} (${fileOf(key)}) is missing`);
    }
  }
  return { jobId: meta.job ?? '', id: meta.checkpoint!, states, path };
}

/**
 * @param base where checkpoints go
 * @param savepointBase where savepoints go when no directory is asked for
 */
export function checkpointDirectory(base: string, savepointBase: string): CheckpointStore {
  return {
    async write(jobId, id, states) {
      const jobDir = join(base, jobId);
      const final = join(jobDir, `chk-${id}`);
      await mkdir(jobDir, { recursive: true });
      await writeAtomically(final, 'checkpoint', jobId, id, states);
      for (const f of await readdir(jobDir))
        if (f !== `chk-${id}` && /^chk-\d+$/.test(f)) await rm(join(jobDir, f), { recursive: true, force: true });
      return final;
    },
    async discard(jobId) {
      await rm(join(base, jobId), { recursive: true, force: true });
    },
    checkSavepointDir(dir) {
      confine(resolve(dir || savepointBase), [savepointBase], 'savepoint directory');
    },
    async writeSavepoint(jobId, id, states, dir) {
      const parent = resolve(dir || savepointBase);
      confine(parent, [savepointBase], 'savepoint directory');
      await mkdir(parent, { recursive: true });
      const final = join(parent, `savepoint-${jobId}-${id}-${savepointSuffix()}`);
      await writeAtomically(final, 'savepoint', jobId, id, states);
      return final;
    },
    read: async (path) => {
      confine(resolve(path), [savepointBase, base], 'savepoint');
      return readCheckpointDir(path);
    },
  };
}
