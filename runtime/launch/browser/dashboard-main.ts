/**
 * The dashboard at `/ui` (bundled into dist/browser/dashboard.js): a page of the head that reads
 * its REST API with the token it was opened with (`/ui#token=…`; `wrt dashboard` prints such a
 * link) and redraws the view shown — overview, a job, tasks, actors — every second. Hash routes:
 * `#/`, `#/jobs/ID`, `#/tasks`, `#/actors`.
 */
import 'uplot/dist/uPlot.min.css';
import { ApiError, DashboardApi, dropToken, saveToken, takeToken } from './dashboard/api.js';
import { h } from './dashboard/dom.js';
import { overviewView } from './dashboard/overview-view.js';
import { jobView } from './dashboard/job-view.js';
import { listView } from './dashboard/list-view.js';
import type { View } from './dashboard/view.js';

/** Refresh interval of the view shown, ms. */
const REFRESH_MS = 1000;

const app = document.getElementById('app')!;
const status = h('p', { class: 'error', role: 'alert' });
const nav = h(
  'nav',
  {},
  h('a', { href: '#/' }, 'Overview'),
  h('a', { href: '#/tasks' }, 'Tasks'),
  h('a', { href: '#/actors' }, 'Actors'),
  h('a', { href: '#/', class: 'sign-out', onclick: () => (dropToken(), location.reload()) }, 'Forget token'),
);

function askForToken(why: string): void {
  const input = h('input', { type: 'password', size: 60, placeholder: 'wrt.viewer.… or the cluster secret', class: 'token' });
  app.replaceChildren(
    h(
      'form',
      {
        class: 'token-form',
        onsubmit: (e: Event) => {
          e.preventDefault();
          saveToken(input.value.trim());
          location.hash = '#/';
          location.reload();
        },
      },
      h('h1', {}, 'wrt dashboard'),
      h('p', {}, why),
      h(
        'p',
        {},
        'Paste a viewer token (wrt token --role viewer --subject NAME), a driver token or the cluster secret; or open the link wrt dashboard prints.',
      ),
      input,
      h('button', { type: 'submit' }, 'Open'),
    ),
  );
}

const token = takeToken();
if (!token) askForToken('This page needs a credential of the cluster.');
else start(new DashboardApi(token));

function start(api: DashboardApi): void {
  const main = h('main', {});
  app.replaceChildren(h('header', {}, h('strong', {}, 'wrt'), nav), status, main);
  let view: View | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let generation = 0;

  const route = (): View => {
    const [, top, id] = location.hash.replace(/^#/, '').split('/');
    if (top === 'jobs' && id) return jobView(api, decodeURIComponent(id));
    if (top === 'tasks') return listView(api, 'tasks');
    if (top === 'actors') return listView(api, 'actors');
    return overviewView(api);
  };
  const refresh = async (g: number): Promise<void> => {
    if (!view || g !== generation) return;
    try {
      await view.refresh();
      status.textContent = '';
      document.body.dataset.refreshedAt = String(Date.now());
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) {
        dropToken();
        askForToken('The head refused this token.');
        return;
      }
      status.textContent = `could not read the API: ${(err as Error).message}`;
    }
    if (g === generation) timer = setTimeout(() => void refresh(g), REFRESH_MS);
  };
  const show = (): void => {
    generation++;
    if (timer) clearTimeout(timer);
    view?.dispose?.();
    view = route();
    main.replaceChildren(view.root);
    void refresh(generation);
  };
  addEventListener('hashchange', show);
  show();
}
