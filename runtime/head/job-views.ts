/**
 * One job as the REST API shows it (`GET /api/v1/jobs/:id`, `…/checkpoints`, `…/exceptions`;
 * docs/rest-api.md): its graph with per-vertex and per-subtask figures, its checkpoints, and the
 * failures it met. Built on request from the job (batch-job.ts, stream-job.ts) and the figures the
 * nodes' heartbeats carry (subtask-figures.ts); nothing here is kept.
 */
import { BatchJob } from '../scheduler/batch-job.js';
import { StreamJob } from '../scheduler/stream-job.js';
import type { JobException } from '../scheduler/cluster-job.js';
import type { CheckpointRecord } from '../scheduler/checkpoint-coordinator.js';
import type { SubtaskFigures } from './subtask-figures.js';

/** Figures older than this are a subtask that stopped reporting: its rates read 0. */
export const STALE_FIGURES_MS = 3000;

/** What a view needs to know of a job besides the job itself. */
export interface JobRecord {
  job: BatchJob | StreamJob;
  owner: string;
  submittedAt: number;
  endedAt: number | null;
}

export interface SubtaskView {
  index: number;
  /** Node name ('' when not placed). */
  node: string;
  /** Batch subtasks: pending, running, fetching, done. Stream subtasks: running or finished. */
  state: string;
  recordsIn: number | null;
  recordsOut: number | null;
  recordsInPerSecond: number;
  recordsOutPerSecond: number;
  /** 0..1, over the last heartbeat interval. */
  backPressure: number;
  /** Event-time ms; null before the first. */
  outputWatermark: number | null;
  /** Bytes in the latest completed checkpoint; null without one. */
  stateBytes: number | null;
  /** Maps of a job that allows volunteers, accepted from volunteers: the attempts (`SUBTASK#N`) whose identical output was accepted. */
  acceptedFrom?: string[];
}

/** What verifying volunteers' work cost a batch job and found (jobs submitted with `--volunteers`). */
export interface VolunteerWorkView {
  /** Map attempts that returned an output: every replica, trusted and volunteer, late ones too. */
  mapAttemptsFinished: number;
  /** Extra map executions per useful one: attempts finished / maps done − 1 (0 without replication). */
  replicationOverhead: number;
  /** Results that disagreed with the accepted output. */
  invalidResults: number;
  /** Outputs accepted on one trusted volunteer's word (not spot-checked). */
  acceptedUnverified: number;
  /** Units a trusted node decided (volunteers disagreed, or it overtook a straggler). */
  decidedByTrusted: number;
  /** Accepted outputs discarded because their only voucher was quarantined. */
  rescinded: number;
}

export interface VertexView {
  id: string;
  kind: string;
  operator: string;
  parallelism: number;
  /** Sums over the subtasks (null for batch vertices, whose operators count no records). */
  recordsIn: number | null;
  recordsOut: number | null;
  recordsInPerSecond: number;
  recordsOutPerSecond: number;
  /** The highest of its subtasks, 0..1, and Flink's level for it: ok ≤ 0.1 < low ≤ 0.5 < high. */
  backPressure: number;
  backPressureLevel: 'ok' | 'low' | 'high';
  /** The lowest output watermark of its subtasks (what its consumers see), event-time ms; null before every subtask has one. */
  outputWatermark: number | null;
  stateBytes: number | null;
  subtasks: SubtaskView[];
}

export interface JobDetail {
  id: string;
  name: string;
  kind: 'batch' | 'stream';
  state: string;
  /** Subject of the driver that submitted it. */
  owner: string;
  /** ms since the epoch; `endedAt` null while running. */
  submittedAt: number;
  endedAt: number | null;
  durationMs: number;
  tasksDone: number;
  tasksTotal: number;
  message: string;
  nodes: string[];
  restarts: number;
  /** Batch jobs submitted with `--volunteers`. */
  volunteers?: VolunteerWorkView;
  vertices: VertexView[];
  edges: { from: string; to: string; partitioning: string }[];
}

export interface CheckpointsView {
  /** 0: the job takes no periodic checkpoints (savepoints only). */
  intervalMs: number;
  counts: { completed: number; failed: number; inProgress: number };
  /** The latest completed one, or null. */
  latest: CheckpointRecord | null;
  /** Newest first, at most 50. */
  history: CheckpointRecord[];
}

const levelOf = (ratio: number): VertexView['backPressureLevel'] => (ratio <= 0.1 ? 'ok' : ratio <= 0.5 ? 'low' : 'high');

/** Job `r` in full; `figures` of its subtasks by "VERTEX#INDEX"; `nodeName` turns a node id into its name. */
export function jobDetail(
  r: JobRecord,
  figures: ReadonlyMap<string, SubtaskFigures>,
  nodeName: (id: string) => string,
  now: number,
): JobDetail {
  const { job } = r;
  const base = {
    id: job.spec.jobId,
    name: job.spec.name,
    state: job.state,
    owner: r.owner,
    submittedAt: r.submittedAt,
    endedAt: r.endedAt,
    durationMs: (r.endedAt ?? now) - r.submittedAt,
    tasksDone: job.done,
    tasksTotal: job.total,
    message: job.message,
    nodes: job.statusMessage().nodes,
  };
  if (job instanceof BatchJob) {
    const stage = (id: 'map' | 'reduce', subtasks: BatchJob['maps']): VertexView => ({
      id,
      kind: id === 'map' ? 'Map' : 'Reduce',
      operator: job.spec.plan[id].operator,
      parallelism: subtasks.length,
      recordsIn: null,
      recordsOut: null,
      recordsInPerSecond: 0,
      recordsOutPerSecond: 0,
      backPressure: 0,
      backPressureLevel: 'ok',
      outputWatermark: null,
      stateBytes: null,
      subtasks: subtasks.map((t) => {
        const view = job.view(t);
        return {
          index: t.index,
          node: view.nodeIds.map(nodeName).join(','),
          state: view.state,
          recordsIn: null,
          recordsOut: null,
          recordsInPerSecond: 0,
          recordsOutPerSecond: 0,
          backPressure: 0,
          outputWatermark: null,
          stateBytes: null,
          ...(t.acceptedFrom.length ? { acceptedFrom: t.acceptedFrom } : {}),
        };
      }),
    });
    const v = job.verification;
    const mapsDone = job.maps.filter((t) => t.state === 'done').length;
    return {
      ...base,
      kind: 'batch',
      restarts: 0,
      ...(job.spec.volunteers ? { volunteers: { ...v, replicationOverhead: mapsDone ? v.mapAttemptsFinished / mapsDone - 1 : 0 } } : {}),
      vertices: [stage('map', job.maps), stage('reduce', job.reduces)],
      edges: [{ from: 'map', to: 'reduce', partitioning: 'Hash' }],
    };
  }
  const running = job.state === 'Running';
  const stateBytes = job.checkpointStats.stateBytes;
  const vertices = job.plan.vertices.map((pv): VertexView => {
    const subtasks: SubtaskView[] = [];
    for (let i = 0; i < pv.parallelism; i++) {
      const key = `${pv.vertex.id}#${i}`;
      const f = figures.get(key);
      const live = !!f && running && f.attempt === job.currentAttempt && now - f.at <= STALE_FIGURES_MS;
      const node = job.slotPlacement[i];
      subtasks.push({
        index: i,
        node: node ? nodeName(node) : '',
        state: !running ? job.state.toLowerCase() : f && f.attempt === job.currentAttempt ? 'running' : 'deploying',
        recordsIn: f?.recordsIn ?? 0,
        recordsOut: f?.recordsOut ?? 0,
        recordsInPerSecond: live ? f.recordsInPerSecond : 0,
        recordsOutPerSecond: live ? f.recordsOutPerSecond : 0,
        backPressure: live ? f.backPressure : 0,
        outputWatermark: f?.outputWatermark ?? null,
        stateBytes: stateBytes.get(key) ?? null,
      });
    }
    const sum = (k: 'recordsIn' | 'recordsOut' | 'recordsInPerSecond' | 'recordsOutPerSecond'): number =>
      subtasks.reduce((n, s) => n + (s[k] ?? 0), 0);
    const backPressure = Math.max(0, ...subtasks.map((s) => s.backPressure));
    const watermarks = subtasks.map((s) => s.outputWatermark);
    const states = subtasks.map((s) => s.stateBytes);
    return {
      id: pv.vertex.id,
      kind: pv.vertex.kind,
      operator: pv.vertex.operator ?? '',
      parallelism: pv.parallelism,
      recordsIn: sum('recordsIn'),
      recordsOut: sum('recordsOut'),
      recordsInPerSecond: Math.round(sum('recordsInPerSecond')),
      recordsOutPerSecond: Math.round(sum('recordsOutPerSecond')),
      backPressure: Math.round(backPressure * 1000) / 1000,
      backPressureLevel: levelOf(backPressure),
      outputWatermark: watermarks.every((w) => w !== null) ? Math.min(...watermarks) : null,
      stateBytes: states.some((b) => b !== null) ? states.reduce<number>((n, b) => n + (b ?? 0), 0) : null,
      subtasks,
    };
  });
  return {
    ...base,
    kind: 'stream',
    restarts: job.restarts,
    vertices,
    edges: job.plan.graph.edges.map((e) => ({ from: e.from, to: e.to, partitioning: e.partitioning })),
  };
}

/** A stream job's checkpoints (null for a batch job). */
export function checkpointsView(r: JobRecord): CheckpointsView | null {
  if (!(r.job instanceof StreamJob)) return null;
  const s = r.job.checkpointStats;
  const completed = s.history.filter((c) => c.status === 'completed');
  return {
    intervalMs: s.intervalMs,
    counts: { ...s.counts, inProgress: s.history.filter((c) => c.status === 'in_progress').length },
    latest: completed[completed.length - 1] ?? null,
    history: [...s.history].reverse(),
  };
}

/** The failures job `r` met, newest first. */
export function exceptionsView(r: JobRecord): JobException[] {
  return [...r.job.exceptions].reverse();
}
