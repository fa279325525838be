/**
 * The dashboard's job page: its state and actions (savepoint, stop with a savepoint, cancel — the
 * head decides whether this page's credential may), the job graph coloured by back-pressure with
 * live rates, a live throughput plot, every subtask's output watermark in one table, the checkpoint
 * timeline and history, and the failures the job met.
 */
import { ApiError, type DashboardApi } from './api.js';
import { bytes, count, duration, eventTime, h, table } from './dom.js';
import { jobGraph } from './job-graph.js';
import { CheckpointTimeline, ThroughputPlot } from './charts.js';
import type { View } from './view.js';
import type { CheckpointsView, JobDetail } from '../../../head/job-views.js';
import type { JobException } from '../../../scheduler/cluster-job.js';

interface Trigger {
  status: string;
  path: string;
  failure: { code: string; message: string } | null;
}

export function jobView(api: DashboardApi, jobId: string): View {
  const path = `/jobs/${encodeURIComponent(jobId)}`;
  const header = h('div', { class: 'job-header' });
  const actionResult = h('p', { class: 'action-result', role: 'status' });
  const graph = h('div', { class: 'graph' });
  const throughputHost = h('div', { class: 'plot throughput' });
  const watermarks = h('div', { class: 'watermarks' });
  const checkpointHost = h('div', { class: 'plot checkpoints' });
  const checkpointTable = h('div', { class: 'checkpoint-history' });
  const exceptions = h('div', { class: 'exceptions' });
  const throughput = new ThroughputPlot(throughputHost);
  const timeline = new CheckpointTimeline(checkpointHost);
  let running = false;

  const act = async (what: 'savepoints' | 'stop' | 'cancel'): Promise<void> => {
    if (what !== 'savepoints' && !confirm(`${what === 'cancel' ? 'Cancel' : 'Stop'} job ${jobId}?`)) return;
    actionResult.textContent = what === 'cancel' ? 'cancelling…' : 'taking a savepoint…';
    try {
      if (what === 'cancel') {
        await api.post(`${path}/cancel`);
        actionResult.textContent = `job ${jobId} cancelled`;
        return;
      }
      const { triggerId } = await api.post<{ triggerId: string }>(`${path}/${what}`);
      for (;;) {
        const t = await api.get<Trigger>(`${path}/savepoints/${triggerId}`);
        if (t.status === 'COMPLETED') {
          actionResult.replaceChildren('savepoint written: ', h('code', { class: 'savepoint-path' }, t.path));
          return;
        }
        if (t.status === 'FAILED') throw new ApiError(500, t.failure?.message ?? 'the savepoint failed');
        await new Promise((r) => setTimeout(r, 250));
      }
    } catch (err) {
      actionResult.textContent = `refused: ${(err as Error).message}`;
    }
  };
  const buttons = {
    savepoint: h('button', { class: 'savepoint', onclick: () => void act('savepoints') }, 'Savepoint'),
    stop: h('button', { class: 'stop', onclick: () => void act('stop') }, 'Stop with savepoint'),
    cancel: h('button', { class: 'cancel danger', onclick: () => void act('cancel') }, 'Cancel'),
  };

  return {
    root: h(
      'section',
      { class: 'job' },
      header,
      h('div', { class: 'actions' }, buttons.savepoint, buttons.stop, buttons.cancel),
      actionResult,
      h('h2', {}, 'Job graph'),
      graph,
      h('h2', {}, 'Throughput'),
      throughputHost,
      h('h2', {}, 'Watermarks'),
      watermarks,
      h('h2', {}, 'Checkpoints'),
      checkpointHost,
      checkpointTable,
      h('h2', {}, 'Exceptions'),
      exceptions,
    ),
    async refresh() {
      const [job, checkpoints, failures] = await Promise.all([
        api.get<JobDetail>(path),
        api.get<CheckpointsView>(`${path}/checkpoints`),
        api.get<{ items: JobException[]; total: number }>(`${path}/exceptions?limit=20`),
      ]);
      running = job.state === 'Running';
      const stream = job.kind === 'stream';
      buttons.savepoint.disabled = !running || !stream;
      buttons.stop.disabled = !running || !stream;
      buttons.cancel.disabled = !running;
      header.replaceChildren(
        h('h1', {}, `${job.id} · ${job.name}`),
        h(
          'p',
          {},
          h('span', { class: `state state-${job.state.toLowerCase()}`, id: 'job-state' }, job.state),
          ` · ${job.kind} · ${duration(job.durationMs)} · ${job.tasksDone}/${job.tasksTotal} subtasks done`,
          job.restarts ? ` · ${job.restarts} restart(s)` : '',
          job.nodes.length ? ` · on ${job.nodes.join(', ')}` : '',
        ),
        job.message ? h('p', { class: 'message' }, job.message) : '',
      );
      graph.replaceChildren(jobGraph(job));
      if (stream) throughput.add(job);
      watermarks.replaceChildren(
        table(
          ['vertex', 'subtask', 'node', 'records in', 'records out', 'back-pressure', 'output watermark', 'state'],
          job.vertices.flatMap((v) => v.subtasks.map((s) => ({ v, s }))),
          ({ v, s }) => [
            v.id,
            s.index,
            s.node || '-',
            count(s.recordsIn),
            count(s.recordsOut),
            `${Math.round(s.backPressure * 100)}%`,
            eventTime(s.outputWatermark),
            bytes(s.stateBytes),
          ],
        ),
      );
      if (stream) timeline.update(checkpoints);
      checkpointTable.replaceChildren(
        h(
          'p',
          { class: 'checkpoint-counts' },
          `${checkpoints.intervalMs ? `every ${duration(checkpoints.intervalMs)}` : 'savepoints only'} · ${checkpoints.counts.completed} completed · ${checkpoints.counts.failed} failed · ${checkpoints.counts.inProgress} in progress`,
        ),
        table(
          ['id', 'kind', 'triggered', 'duration', 'size', 'status', 'path'],
          checkpoints.history.slice(0, 10),
          (c) => [
            c.id,
            c.kind,
            new Date(c.triggeredAt).toLocaleTimeString(),
            duration(c.durationMs),
            bytes(c.sizeBytes),
            h('span', { class: `cp-status cp-${c.status}` }, c.status),
            c.path || c.failure,
          ],
          'no checkpoints yet',
        ),
      );
      exceptions.replaceChildren(
        table(
          ['time', 'code', 'outcome', 'message'],
          failures.items,
          (e) => [new Date(e.time).toLocaleTimeString(), e.code, e.outcome, e.message],
          'no failures',
        ),
      );
    },
    dispose() {
      throughput.destroy();
      timeline.destroy();
    },
  };
}
