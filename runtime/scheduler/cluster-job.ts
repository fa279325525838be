/**
 * What batch and stream jobs share on the head: their state, the nodes they used and the
 * JobStatus they send the client (at most every 100 ms unless forced).
 */
import type { JobState, MessageOf } from '../protocol/messages.js';
import type { FailureRecord } from '../errors.js';

/** A failure a job met (Flink's job exceptions): it was retried or restarted from, or it failed the job. */
export interface JobException {
  /** When, ms since the epoch. */
  time: number;
  code: string;
  message: string;
  /** `retried`: the subtask ran again; `restarted`: the job restarted from a checkpoint; `failed`: the job failed. */
  outcome: 'retried' | 'restarted' | 'failed';
}

/** Exceptions a job keeps (the oldest go first). */
export const EXCEPTION_HISTORY = 100;

/** What a job needs of the head to report progress. */
export interface ProgressHost {
  sendToClient(m: MessageOf<'JobStatus'>): void;
}

export abstract class ClusterJob {
  state: JobState = 'Running';
  message = '';
  bytesDone = 0;
  /** Names of the nodes that ran the job's subtasks. */
  protected readonly nodesUsed = new Set<string>();
  private lastProgress = 0;
  /** The latest {@link EXCEPTION_HISTORY} failures the job met, oldest first. */
  readonly exceptions: JobException[] = [];

  constructor(
    private readonly progressHost: ProgressHost,
    private readonly jobId: string,
  ) {}

  abstract get done(): number;
  abstract get total(): number;

  /** Records failure `f` and what came of it. */
  protected recordException(f: FailureRecord, outcome: JobException['outcome']): void {
    this.exceptions.push({ time: Date.now(), code: f.code, message: f.message, outcome });
    if (this.exceptions.length > EXCEPTION_HISTORY) this.exceptions.shift();
  }

  protected progress(now: number, force: boolean): void {
    if (!force && now - this.lastProgress < 100) return;
    this.lastProgress = now;
    this.progressHost.sendToClient(this.statusMessage());
  }

  statusMessage(): MessageOf<'JobStatus'> {
    return {
      type: 'JobStatus',
      jobId: this.jobId,
      state: this.state,
      tasksTotal: this.total,
      tasksDone: this.done,
      bytesDone: this.bytesDone,
      message: this.message,
      nodes: [...this.nodesUsed].sort(),
    };
  }
}
