/**
 * The head's record of remote-function tasks for the REST API and metrics (the role of Ray's task
 * events in the GCS): every task's name, state, node and attempts, kept for the latest
 * {@link TASK_HISTORY} tasks (Ray's `task_events_max_num_task_in_gcs` default, 100 000), oldest
 * dropped first; counts by state and the cluster's counters are kept for every task since the head
 * started. Bounded memory: the ring's columns, about 60 bytes per kept task plus its id and name strings.
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

const STATES: readonly TaskEventState[] = ['queued', 'running', 'finished', 'failed'];
const QUEUED = 0;
const RUNNING = 1;
const FINISHED = 2;
const FAILED = 3;

/** A task's place in the history, from {@link TaskEventLog.submitted}: its submission number. */
export type TaskEventHandle = number;

/**
 * The history is a ring of columns, one slot per kept task (slot = submission number mod limit):
 * no object per task, so keeping a task's record costs about 0.1 µs and leaves the garbage
 * collector nothing to trace. A handle whose slot has been taken by a newer task is stale: its
 * later transitions change the counters only.
 */
export class TaskEventLog {
  private readonly taskIds: string[];
  private readonly names: string[];
  private readonly nodeIds: string[];
  private readonly errorCodes: string[];
  private readonly states: Uint8Array;
  private readonly attempts: Uint16Array;
  private readonly submittedAt: Float64Array;
  private readonly endedAt: Float64Array;
  /** The submission number each slot holds now. */
  private readonly holder: Float64Array;
  /** Tasks submitted so far (the next submission number). */
  private submittedCount = 0;
  private readonly byState = [0, 0, 0, 0];
  readonly counters: TaskCounters = { submitted: 0, finished: 0, failed: 0, retried: 0 };

  constructor(private readonly limit = TASK_HISTORY) {
    this.taskIds = new Array<string>(limit).fill('');
    this.names = new Array<string>(limit).fill('');
    this.nodeIds = new Array<string>(limit).fill('');
    this.errorCodes = new Array<string>(limit).fill('');
    this.states = new Uint8Array(limit);
    this.attempts = new Uint16Array(limit);
    this.submittedAt = new Float64Array(limit);
    this.endedAt = new Float64Array(limit);
    this.holder = new Float64Array(limit).fill(-1);
  }

  /** A task was submitted: its handle, for the later transitions. */
  submitted(taskId: string, name: string, now = Date.now()): TaskEventHandle {
    this.counters.submitted++;
    const h = this.submittedCount++;
    const i = h % this.limit;
    if (this.holder[i]! >= 0) this.byState[this.states[i]!]!--; // the oldest record goes
    this.holder[i] = h;
    this.taskIds[i] = taskId;
    this.names[i] = name;
    this.nodeIds[i] = '';
    this.errorCodes[i] = '';
    this.states[i] = QUEUED;
    this.attempts[i] = 0;
    this.submittedAt[i] = now;
    this.endedAt[i] = -1;
    this.byState[QUEUED]!++;
    return h;
  }

  /** An attempt of task `h` went to node `nodeId`. */
  running(h: TaskEventHandle, nodeId: string): void {
    const i = this.slot(h);
    if (i < 0) return;
    if (this.attempts[i]! > 0) this.counters.retried++;
    this.move(i, RUNNING);
    this.nodeIds[i] = nodeId;
    this.attempts[i]!++;
  }

  /** Task `h` waits to run again (retry, or its lost output is rebuilt). */
  requeued(h: TaskEventHandle): void {
    const i = this.slot(h);
    if (i < 0) return;
    this.move(i, QUEUED);
    this.endedAt[i] = -1;
  }

  /** Task `h` ended: finished, or failed with `errorCode`. */
  ended(h: TaskEventHandle, errorCode: string | null, now = Date.now()): void {
    if (errorCode === null) this.counters.finished++;
    else this.counters.failed++;
    const i = this.slot(h);
    if (i < 0) return;
    this.move(i, errorCode === null ? FINISHED : FAILED);
    this.endedAt[i] = now;
    this.errorCodes[i] = errorCode ?? '';
  }

  /** Kept tasks by state. */
  counts(): Readonly<Record<TaskEventState, number>> {
    return {
      queued: this.byState[QUEUED]!,
      running: this.byState[RUNNING]!,
      finished: this.byState[FINISHED]!,
      failed: this.byState[FAILED]!,
    };
  }

  /** Kept tasks in submission order, filtered by state and name (exact). */
  *list(filter: { state?: string; name?: string } = {}): IterableIterator<TaskEvent> {
    const state = filter.state === undefined ? -1 : STATES.indexOf(filter.state as TaskEventState);
    if (filter.state !== undefined && state < 0) return;
    for (let h = Math.max(0, this.submittedCount - this.limit); h < this.submittedCount; h++) {
      const i = h % this.limit;
      if (state >= 0 && this.states[i] !== state) continue;
      if (filter.name && this.names[i] !== filter.name) continue;
      const ended = this.endedAt[i]!;
      yield {
        taskId: this.taskIds[i]!,
        name: this.names[i]!,
        state: STATES[this.states[i]!]!,
        nodeId: this.nodeIds[i]!,
        attempts: this.attempts[i]!,
        submittedAt: this.submittedAt[i]!,
        endedAt: ended < 0 ? null : ended,
        errorCode: this.errorCodes[i]!,
      };
    }
  }

  /** The slot of `h`, or -1 when a newer task has taken it. */
  private slot(h: TaskEventHandle): number {
    const i = h % this.limit;
    return this.holder[i] === h ? i : -1;
  }

  private move(i: number, state: number): void {
    this.byState[this.states[i]!]!--;
    this.states[i] = state;
    this.byState[state]!++;
  }
}
