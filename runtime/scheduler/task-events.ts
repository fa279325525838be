/**
 * The head's record of remote-function tasks for the REST API and metrics (the role of Ray's task
 * events in the GCS): every task's name, state, node and attempts, kept for the latest
 * {@link TASK_HISTORY} tasks (Ray's `task_events_max_num_task_in_gcs` default, 100 000), oldest
 * dropped first; counts by state and the cluster's counters are kept for every task since the head
 * started. Bounded memory: about 200 bytes per kept task.
 */

/** Tasks whose records are kept. */
export const TASK_HISTORY = 100_000;

export type TaskEventState = 'queued' | 'running' | 'finished' | 'failed';

/** One task as `GET /api/v1/tasks` lists it. */
export interface TaskEvent {
  taskId: string;
  /** The remote function's name. */
  name: string;
  state: TaskEventState;
  /** Node of the latest attempt ('' while queued). */
  nodeId: string;
  /** Attempts made (retries add one each). */
  attempts: number;
  /** ms since the epoch; `endedAt` null until it finished or failed. */
  submittedAt: number;
  endedAt: number | null;
  /** The failure's code ('' unless failed). */
  errorCode: string;
}

/** Cumulative counters since the head started (Prometheus counters). */
export interface TaskCounters {
  submitted: number;
  finished: number;
  failed: number;
  /** Attempts beyond the first (after a node loss or a retryable failure). */
  retried: number;
}

export class TaskEventLog {
  private readonly events = new Map<string, TaskEvent>();
  private readonly byState: Record<TaskEventState, number> = { queued: 0, running: 0, finished: 0, failed: 0 };
  readonly counters: TaskCounters = { submitted: 0, finished: 0, failed: 0, retried: 0 };

  constructor(private readonly limit = TASK_HISTORY) {}

  submitted(taskId: string, name: string, now = Date.now()): void {
    this.counters.submitted++;
    this.set({ taskId, name, state: 'queued', nodeId: '', attempts: 0, submittedAt: now, endedAt: null, errorCode: '' });
    if (this.events.size > this.limit) {
      const [oldest] = this.events.values();
      this.remove(oldest!);
    }
  }

  /** An attempt of `taskId` went to node `nodeId`. */
  running(taskId: string, nodeId: string): void {
    const e = this.events.get(taskId);
    if (!e) return;
    if (e.attempts > 0) this.counters.retried++;
    this.move(e, 'running');
    e.nodeId = nodeId;
    e.attempts++;
  }

  /** `taskId` waits to run again (retry, or its lost output is rebuilt). */
  requeued(taskId: string): void {
    const e = this.events.get(taskId);
    if (e) {
      this.move(e, 'queued');
      e.endedAt = null;
    }
  }

  /** `taskId` ended: finished, or failed with `errorCode`. */
  ended(taskId: string, errorCode: string | null, now = Date.now()): void {
    if (errorCode === null) this.counters.finished++;
    else this.counters.failed++;
    const e = this.events.get(taskId);
    if (!e) return;
    this.move(e, errorCode === null ? 'finished' : 'failed');
    e.endedAt = now;
    e.errorCode = errorCode ?? '';
  }

  /** Kept tasks by state. */
  counts(): Readonly<Record<TaskEventState, number>> {
    return { ...this.byState };
  }

  /** Kept tasks in submission order, filtered by state and name (exact). */
  *list(filter: { state?: string; name?: string } = {}): IterableIterator<TaskEvent> {
    for (const e of this.events.values()) {
      if (filter.state && e.state !== filter.state) continue;
      if (filter.name && e.name !== filter.name) continue;
      yield e;
    }
  }

  private set(e: TaskEvent): void {
    const old = this.events.get(e.taskId);
    if (old) this.remove(old);
    this.events.set(e.taskId, e);
    this.byState[e.state]++;
  }

  private remove(e: TaskEvent): void {
    this.events.delete(e.taskId);
    this.byState[e.state]--;
  }

  private move(e: TaskEvent, state: TaskEventState): void {
    this.byState[e.state]--;
    e.state = state;
    this.byState[state]++;
  }
}
