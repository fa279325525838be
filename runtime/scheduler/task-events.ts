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
  /**
   * The kept records, oldest first from index `oldest` (a queue: the head's task records hold
   * their event, so nothing is looked up by id). Not a Map keyed by task id: after many deletions
   * V8 finds a Map's first live entry by walking past the deleted ones, and evicting the oldest
   * that way cost tens of thousands of steps per task once the history was full.
   */
  private order: TaskEvent[] = [];
  private oldest = 0;
  /** Records dropped from the history (their later transitions change counters only). */
  private readonly dropped = new WeakSet<TaskEvent>();
  private readonly byState: Record<TaskEventState, number> = { queued: 0, running: 0, finished: 0, failed: 0 };
  readonly counters: TaskCounters = { submitted: 0, finished: 0, failed: 0, retried: 0 };

  constructor(private readonly limit = TASK_HISTORY) {}

  /** A task was submitted: its record, to pass to the later transitions. */
  submitted(taskId: string, name: string, now = Date.now()): TaskEvent {
    this.counters.submitted++;
    const e: TaskEvent = { taskId, name, state: 'queued', nodeId: '', attempts: 0, submittedAt: now, endedAt: null, errorCode: '' };
    this.order.push(e);
    this.byState.queued++;
    if (this.order.length - this.oldest > this.limit) {
      const gone = this.order[this.oldest++]!;
      this.byState[gone.state]--;
      this.dropped.add(gone);
    }
    if (this.oldest > 4096 && this.oldest * 2 > this.order.length) {
      this.order = this.order.slice(this.oldest);
      this.oldest = 0;
    }
    return e;
  }

  /** An attempt of task `e` went to node `nodeId`. */
  running(e: TaskEvent, nodeId: string): void {
    if (e.attempts > 0) this.counters.retried++;
    this.move(e, 'running');
    e.nodeId = nodeId;
    e.attempts++;
  }

  /** Task `e` waits to run again (retry, or its lost output is rebuilt). */
  requeued(e: TaskEvent): void {
    this.move(e, 'queued');
    e.endedAt = null;
  }

  /** Task `e` ended: finished, or failed with `errorCode`. */
  ended(e: TaskEvent, errorCode: string | null, now = Date.now()): void {
    if (errorCode === null) this.counters.finished++;
    else this.counters.failed++;
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
    for (let i = this.oldest; i < this.order.length; i++) {
      const e = this.order[i]!;
      if (filter.state && e.state !== filter.state) continue;
      if (filter.name && e.name !== filter.name) continue;
      yield e;
    }
  }

  private move(e: TaskEvent, state: TaskEventState): void {
    if (!this.dropped.has(e)) {
      this.byState[e.state]--;
      this.byState[state]++;
    }
    e.state = state;
  }
}
