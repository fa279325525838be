/** The dashboard's front page: the cluster at a glance, its nodes (processes, tabs, volunteers) and its jobs. */
import { bytes, count, duration, h, table } from './dom.js';
import type { DashboardApi } from './api.js';
import type { View } from './view.js';

interface Overview {
  version: string;
  nodes: Record<string, number>;
  slots: { total: number; busy: number };
  jobs: Record<string, number>;
}
interface NodeItem {
  id: string;
  name: string;
  kind: string;
  cpus: number;
  running: number;
  tasksFinished: number;
  tasksFailed: number;
  storeUsedBytes: number;
  spill: { spilledBytes: number };
  gpus: number;
  gpuAdapter: string;
  alive: boolean;
}
interface JobItem {
  id: string;
  name: string;
  kind: string;
  state: string;
  durationMs: number;
  recordsPerSecond: number | null;
  tasksDone: number;
  tasksTotal: number;
}
interface Page<T> {
  items: T[];
  total: number;
  next: string | null;
}

export function overviewView(api: DashboardApi): View {
  const root = h('section', { class: 'overview' });
  return {
    root,
    async refresh() {
      const [o, nodes, jobs] = await Promise.all([
        api.get<Overview>('/overview'),
        api.get<Page<NodeItem>>('/nodes?limit=100'),
        api.get<Page<JobItem>>('/jobs?limit=100'),
      ]);
      const card = (label: string, value: string): HTMLElement =>
        h('div', { class: 'card' }, h('div', { class: 'label' }, label), h('div', { class: 'value' }, value));
      const jobStates = Object.entries(o.jobs).map(([s, n]) => `${n} ${s.toLowerCase()}`);
      root.replaceChildren(
        h(
          'div',
          { class: 'cards' },
          card('version', o.version),
          card('slots busy', `${o.slots.busy} / ${o.slots.total}`),
          card('nodes', `${o.nodes.process ?? 0} processes · ${o.nodes.browser ?? 0} tabs · ${o.nodes.volunteer ?? 0} volunteers`),
          card('jobs', jobStates.join(', ') || 'none'),
        ),
        h('h2', {}, `Nodes (${nodes.total})`),
        table(
          ['node', 'name', 'kind', 'slots', 'grants', 'finished', 'failed', 'store', 'spilled', 'GPU'],
          nodes.items,
          (n) => [
            n.id,
            n.name,
            n.kind,
            n.cpus,
            n.running,
            count(n.tasksFinished),
            count(n.tasksFailed),
            bytes(n.storeUsedBytes),
            bytes(n.spill.spilledBytes),
            n.gpus ? n.gpuAdapter : '-',
          ],
          'no nodes have joined',
        ),
        nodes.next ? h('p', { class: 'more' }, `first ${nodes.items.length} of ${nodes.total} shown`) : '',
        h('h2', {}, `Jobs (${jobs.total})`),
        table(
          ['job', 'name', 'kind', 'state', 'duration', 'records/s', 'subtasks'],
          [...jobs.items].reverse(),
          (j) => [
            h('a', { href: `#/jobs/${encodeURIComponent(j.id)}`, class: 'job-link' }, j.id),
            j.name,
            j.kind,
            h('span', { class: `state state-${j.state.toLowerCase()}` }, j.state),
            duration(j.durationMs),
            j.recordsPerSecond === null ? '-' : count(j.recordsPerSecond),
            `${j.tasksDone}/${j.tasksTotal}`,
          ],
          'no jobs yet',
        ),
      );
    },
  };
}
