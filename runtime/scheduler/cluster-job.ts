/**
 * What batch and stream jobs share on the head: their state, the nodes they used and the
 * JobStatus they send the client (at most every 100 ms unless forced).
 */
import type { JobState, MessageOf } from '../protocol/messages.js';

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

  constructor(
    private readonly progressHost: ProgressHost,
    private readonly jobId: string,
  ) {}

  abstract get done(): number;
  abstract get total(): number;

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
