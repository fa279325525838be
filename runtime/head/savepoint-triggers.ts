/**
 * Savepoints asked for through the REST API (Flink's asynchronous operations): `POST` answers at
 * once with a trigger id; `GET …/savepoints/:triggerId` tells whether the savepoint is still being
 * taken, where it was written, or why it failed. The latest {@link MAX_TRIGGERS} are kept.
 */
import type { FailureRecord } from '../errors.js';
import type { JobAction } from './job-registry.js';

/** Triggers kept (the oldest go first). */
export const MAX_TRIGGERS = 1000;

export interface SavepointTrigger {
  triggerId: string;
  jobId: string;
  action: Exclude<JobAction, 'Cancel'>;
  status: 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';
  /** Where the savepoint was written ('' unless completed). */
  path: string;
  /** Why there is none (null unless failed). */
  failure: FailureRecord | null;
  /** ms since the epoch. */
  requestedAt: number;
}

export class SavepointTriggers {
  private readonly triggers = new Map<string, SavepointTrigger>();

  start(jobId: string, action: SavepointTrigger['action']): SavepointTrigger {
    const t: SavepointTrigger = {
      triggerId: globalThis.crypto.randomUUID(),
      jobId,
      action,
      status: 'IN_PROGRESS',
      path: '',
      failure: null,
      requestedAt: Date.now(),
    };
    this.triggers.set(t.triggerId, t);
    if (this.triggers.size > MAX_TRIGGERS) this.triggers.delete(this.triggers.keys().next().value!);
    return t;
  }

  /** The savepoint of `triggerId` was written at `path`, or failed. */
  settle(triggerId: string, failure: FailureRecord | null, path: string): void {
    const t = this.triggers.get(triggerId);
    if (!t) return;
    t.status = failure ? 'FAILED' : 'COMPLETED';
    t.failure = failure;
    t.path = path;
  }

  /** Forgets `triggerId` (its request was refused at once). */
  drop(triggerId: string): void {
    this.triggers.delete(triggerId);
  }

  get(triggerId: string): SavepointTrigger | undefined {
    return this.triggers.get(triggerId);
  }
}
