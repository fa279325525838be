/**
 * The dashboard's task and actor lists: one page of at most 100 at a time (the API never returns
 * more than 500), with the counts by state, a state filter, a name filter and next/previous by the
 * API's cursors — so 100 000 tasks cost the page what 100 do.
 */
import { count, duration, h, table } from './dom.js';
import type { DashboardApi } from './api.js';
import type { View } from './view.js';

const PAGE = 100;

interface Page<T> {
  counts: Record<string, number>;
  items: T[];
  total: number;
  next: string | null;
}
interface TaskItem {
  taskId: string;
  name: string;
  state: string;
  nodeId: string;
  attempts: number;
  submittedAt: number;
  endedAt: number | null;
  errorCode: string;
}
interface ActorItem {
  actorId: string;
  name: string;
  className: string;
  state: string;
  nodeId: string;
  restarts: number;
  pendingCalls: number;
}

/** A paged list of `kind` (`tasks` or `actors`). */
export function listView(api: DashboardApi, kind: 'tasks' | 'actors'): View {
  const root = h('section', { class: `list list-${kind}` });
  let cursor = 0;
  let state = '';
  let name = '';
  const title = h('h2', {}, kind === 'tasks' ? 'Tasks' : 'Actors');
  const counts = h('p', { class: 'counts' });
  const body = h('div', {});
  const stateInput = h('input', { placeholder: 'state', class: 'filter-state', size: 10 });
  const nameInput = h('input', { placeholder: kind === 'tasks' ? 'function name' : 'actor name', class: 'filter-name', size: 16 });
  const position = h('span', { class: 'position' });
  const prev = h('button', { class: 'prev' }, '‹ previous');
  const next = h('button', { class: 'next' }, 'next ›');
  const view: View = {
    root,
    async refresh() {
      const q = new URLSearchParams({ limit: String(PAGE), cursor: String(cursor) });
      if (state) q.set('state', state);
      if (name) q.set('name', name);
      if (kind === 'tasks') {
        const page = await api.get<Page<TaskItem>>(`/tasks?${q.toString()}`);
        show(page);
        body.replaceChildren(
          table(['task', 'function', 'state', 'node', 'attempts', 'duration', 'error'], page.items, (t) => [
            t.taskId,
            t.name,
            h('span', { class: `state state-${t.state}` }, t.state),
            t.nodeId || '-',
            t.attempts,
            t.endedAt ? duration(t.endedAt - t.submittedAt) : '-',
            t.errorCode || '',
          ]),
        );
      } else {
        const page = await api.get<Page<ActorItem>>(`/actors?${q.toString()}`);
        show(page);
        body.replaceChildren(
          table(['actor', 'name', 'class', 'state', 'node', 'restarts', 'pending calls'], page.items, (a) => [
            a.actorId,
            a.name || '-',
            a.className,
            h('span', { class: `state state-${a.state.toLowerCase()}` }, a.state),
            a.nodeId || '-',
            a.restarts,
            a.pendingCalls,
          ]),
        );
      }
    },
  };
  const show = (page: { counts: Record<string, number>; items: unknown[]; total: number; next: string | null }): void => {
    counts.textContent = Object.entries(page.counts)
      .map(([s, n]) => `${s}: ${count(n)}`)
      .join(' · ');
    position.textContent = page.total ? `${cursor + 1}–${cursor + page.items.length} of ${page.total}` : '0 of 0';
    prev.disabled = cursor === 0;
    next.disabled = page.next === null;
  };
  const go = (to: number): void => {
    cursor = Math.max(0, to);
    void view.refresh();
  };
  prev.addEventListener('click', () => go(cursor - PAGE));
  next.addEventListener('click', () => go(cursor + PAGE));
  const filter = (): void => {
    state = stateInput.value.trim();
    name = nameInput.value.trim();
    go(0);
  };
  stateInput.addEventListener('change', filter);
  nameInput.addEventListener('change', filter);
  root.append(title, counts, h('div', { class: 'toolbar' }, stateInput, nameInput, prev, position, next), body);
  return view;
}
