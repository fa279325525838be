/**
 * What the stream subtasks of every job have done, as the nodes' heartbeats report it (each node
 * sends the cumulative figures of the subtasks it runs, once per heartbeat interval): records in
 * and out, time back-pressured, output watermark — and rates between two reports.
 *
 * Rates are differences of two reports of the same attempt over the time between them (Flink's
 * `…PerSecond` meters do the same over 60 s); a report of a new attempt (after a restart, when
 * counters begin again at 0) starts the rates over.
 */
import type { SubtaskMetricsWire } from '../protocol/messages.js';
import { parseExecutionId } from '../scheduler/slot-deployment.js';

/** One subtask's latest report and the rates since the one before. */
export interface SubtaskFigures {
  /** The node running it. */
  nodeId: string;
  attempt: number;
  /** Cumulative since the attempt started. */
  recordsIn: number;
  recordsOut: number;
  backPressuredMs: number;
  /** Event-time ms of its last output watermark; null before the first. */
  outputWatermark: number | null;
  /** Records per second since the previous report (0 after the first). */
  recordsInPerSecond: number;
  recordsOutPerSecond: number;
  /** Fraction of the time since the previous report that its output waited for credit, 0..1. */
  backPressure: number;
  /** When it was reported, ms since the epoch. */
  at: number;
}

export class SubtaskFigureStore {
  /** By job id, then by "VERTEX#INDEX". */
  private readonly jobs = new Map<string, Map<string, SubtaskFigures>>();

  /** A heartbeat of node `nodeId` at `now` (ms since the epoch) carried `subtasks`. */
  report(nodeId: string, subtasks: readonly SubtaskMetricsWire[], now: number): void {
    for (const s of subtasks) {
      const [jobId, attempt] = parseExecutionId(s.jobId);
      let job = this.jobs.get(jobId);
      if (!job) this.jobs.set(jobId, (job = new Map()));
      const key = `${s.vertex}#${s.index}`;
      const prev = job.get(key);
      const seconds = prev ? (now - prev.at) / 1000 : 0;
      const comparable =
        prev && prev.attempt === attempt && seconds > 0 && s.recordsIn >= prev.recordsIn && s.recordsOut >= prev.recordsOut;
      job.set(key, {
        nodeId,
        attempt,
        recordsIn: s.recordsIn,
        recordsOut: s.recordsOut,
        backPressuredMs: s.backPressuredMs,
        outputWatermark: Number.isFinite(s.outputWatermark) ? s.outputWatermark : null,
        recordsInPerSecond: comparable ? (s.recordsIn - prev.recordsIn) / seconds : 0,
        recordsOutPerSecond: comparable ? (s.recordsOut - prev.recordsOut) / seconds : 0,
        backPressure: comparable ? Math.min(1, Math.max(0, (s.backPressuredMs - prev.backPressuredMs) / (seconds * 1000))) : 0,
        at: now,
      });
    }
  }

  /** The figures of job `jobId`'s subtasks by "VERTEX#INDEX" (empty when none were reported). */
  of(jobId: string): ReadonlyMap<string, SubtaskFigures> {
    return this.jobs.get(jobId) ?? new Map();
  }

  /** Every job with figures. */
  jobIds(): IterableIterator<string> {
    return this.jobs.keys();
  }

  /** Drops job `jobId`'s figures (it left the head's history). */
  forget(jobId: string): void {
    this.jobs.delete(jobId);
  }
}
