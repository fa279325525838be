/**
 * `npm run bench:api -- [--json] [--actors N] [--tasks N] [--requests N] [--pairs N] [--core-seconds S] [--no-browser]`
 *
 * The head's REST API under a large cluster state, on a local cluster of processes (a head, a node
 * with two slots and one for actors, `wrt start` processes on this machine; the driver connects through its
 * address): creates N actors (default 10 000; two run, the rest wait as Pending — a live actor is a
 * thread of its own) and runs N tasks to their end (default 100 000), then
 * measures the p50 and p99 latency (`--requests` GETs each, one at a time, default 200) and the bytes
 * of `/api/v1/overview`, `/api/v1/jobs`, `/api/v1/nodes`, the first page of `/api/v1/actors` and
 * of `/api/v1/tasks`, and of a `/metrics` scrape. Then the dashboard in headless Chromium
 * (dashboard-load.ts; `--no-browser` skips it): each view's time from asking to drawn, and the
 * page's main-thread tasks over 50 ms. Then the cost of metrics (metrics-cost.ts): the head's CPU
 * per scrape and per task record as shares of its CPU under tasks-async (`single_client_tasks_async`
 * of bench:core), and tasks-async throughput in `--pairs` pairs (default 16) of `--core-seconds`
 * rounds (default 2) without and with a scraper at 1 s.
 * Targets (issue 20): p99 under 50 ms, every response under 1 MB, metrics within 3 % (by the CPU
 * accounting, and by the throughput ratio where the machine's noise lets it show); the
 * dashboard responsive, read as Google's RAIL model puts it: a view that fetches data drawn within
 * 1 s of asking, and no main-thread task over 100 ms (input answered within 100 ms).
 * With --json, one object. Not a test: the machine is shared and timings drift.
 */
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { init, type ObjectRef, type Runtime } from '../sdk/node.js';
import { spawnWrt, startLocalCluster } from '../runtime/launch/node/local-cluster.js';
import { measureMetricsCost } from './metrics-cost.js';
import { measureDashboard, type DashboardFigures } from './dashboard-load.js';

const TASKS = fileURLToPath(new URL('../../tests/fixtures/build/tasks.wasm', import.meta.url));
const args = process.argv.slice(2);
const flag = (name: string, fallback: number): number => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
const json = args.includes('--json');
const ACTORS = flag('--actors', 10_000);
const TASK_COUNT = flag('--tasks', 100_000);
const REQUESTS = flag('--requests', 200);
const CORE_SECONDS = flag('--core-seconds', 2);
const PAIRS = flag('--pairs', 16);

const log = (line: string): void => {
  if (!json) process.stderr.write(`bench:api: ${line}\n`);
};

/** The `q`-quantile of `xs` (sorted copy; nearest rank). */
function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!;
}

async function measure(url: string, token: string): Promise<{ p50Ms: number; p99Ms: number; bytes: number }> {
  const times: number[] = [];
  let bytes = 0;
  for (let i = 0; i < REQUESTS + 5; i++) {
    const t0 = performance.now();
    const res = await fetch(url, { headers: { Authorization: `Bearer ${token}` } });
    const body = await res.arrayBuffer();
    const ms = performance.now() - t0;
    if (res.status !== 200) throw new Error(`${url}: HTTP ${res.status}`);
    if (i >= 5) times.push(ms); // the first few warm the connection and the JIT
    bytes = body.byteLength;
  }
  return { p50Ms: round(quantile(times, 0.5)), p99Ms: round(quantile(times, 0.99)), bytes };
}

const round = (x: number): number => Math.round(x * 100) / 100;
const met = (ok: boolean | null): string => (ok === null ? 'not measured' : ok ? 'met' : 'MISSED');

/** Tasks per second of batches of 1000 no-op tasks for `seconds` (bench:core's single_client_tasks_async). */
async function tasksAsync(rt: Runtime, noop: { call(): ObjectRef }, seconds: number): Promise<number> {
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < seconds * 1000) {
    const refs = Array.from({ length: 1000 }, () => noop.call());
    await rt.get(refs);
    refs.forEach((r) => r.release());
    n += 1000;
  }
  return n / ((performance.now() - start) / 1000);
}

// A head and a node with 2 slots, then a node that offers 1 slot and 2 of resource "actor": each
// live actor is a thread of its own on its node (as each Ray actor is a process), so the actors
// ask for one "actor" each — two run, the rest wait at the head as Pending, which is what the API
// must list.
const cluster = await startLocalCluster(1, 2, args.includes('--verbose'), 0);
const node = spawnWrt(
  ['start', '--address', cluster.address, '--cpus', '1', '--no-gpu', '--resources', '{"actor":2}', '--name', 'actors'],
  cluster.token,
);
node.stdout?.resume();
node.stderr?.resume();
const rt = await init({ address: cluster.address, token: cluster.token });
/** GET `path` of the head as JSON. */
const get = async <T>(path: string): Promise<T> =>
  (await (await fetch(`${cluster.httpUrl}${path}`, { headers: { Authorization: `Bearer ${cluster.token}` } })).json()) as T;
try {
  while ((await get<{ nodes: { process: number } }>('/api/v1/overview')).nodes.process < 2) {
    if (node.exitCode !== null) throw new Error(`the actor node exited (code ${node.exitCode})`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const mod = await rt.load(TASKS);
  const noop = mod.remote('noop');
  log(`creating ${ACTORS} actors`);
  const actorClass = mod.actor('counter').options({ resources: { actor: 1 } });
  for (let i = 0; i < ACTORS; i++) void actorClass.create(0).catch(() => {});
  const actors = await (async () => {
    for (;;) {
      const total = (await get<{ total: number }>('/api/v1/actors?limit=1')).total;
      if (total >= ACTORS) return total;
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  log(`running ${TASK_COUNT} tasks`);
  for (let i = 0; i < TASK_COUNT; i += 5000) {
    const refs = Array.from({ length: Math.min(5000, TASK_COUNT - i) }, () => noop.call());
    await rt.get(refs);
    refs.forEach((r) => r.release());
  }
  const base = cluster.httpUrl;
  const routes: Record<string, string> = {
    overview: '/api/v1/overview',
    jobs: '/api/v1/jobs',
    nodes: '/api/v1/nodes',
    actors_first_page: '/api/v1/actors',
    tasks_first_page: '/api/v1/tasks',
    metrics: '/metrics',
  };
  const api: Record<string, { p50Ms: number; p99Ms: number; bytes: number }> = {};
  for (const [name, path] of Object.entries(routes)) {
    api[name] = await measure(`${base}${path}`, cluster.token);
    log(`${name}: p50 ${api[name].p50Ms} ms, p99 ${api[name].p99Ms} ms, ${api[name].bytes} bytes`);
  }

  let dashboard: DashboardFigures | null = null;
  if (!args.includes('--no-browser')) {
    log('the dashboard in headless Chromium');
    dashboard = await measureDashboard(base, cluster.token);
    log(
      dashboard
        ? `dashboard: ${JSON.stringify(dashboard)}`
        : 'dashboard: skipped (no Chromium; apt-get install chromium or set WRT_CHROMIUM)',
    );
  }

  log(`the cost of metrics: head CPU per scrape, then ${PAIRS} pairs of ${CORE_SECONDS} s rounds without and with a scraper at 1 s`);
  const cost = await measureMetricsCost({
    base,
    token: cluster.token,
    headPid: cluster.processes[0]!.pid!,
    run: (seconds) => tasksAsync(rt, noop, seconds),
    pairs: PAIRS,
    seconds: CORE_SECONDS,
    log,
  });
  const result = {
    mode: 'local cluster of processes: a head, a node with 2 slots and one with 1 slot for actors, driver through --address',
    actors,
    tasks: TASK_COUNT,
    requests: REQUESTS,
    api,
    dashboard,
    metricsCost: cost,
    targets: {
      p99Under50Ms: Object.values(api).every((r) => r.p99Ms < 50),
      everyResponseUnder1MB: Object.values(api).every((r) => r.bytes < 2 ** 20),
      dashboardResponsive: dashboard
        ? Math.max(dashboard.actorsMs, dashboard.tasksMs, dashboard.nextPageMs, dashboard.overviewMs) < 1000 &&
          dashboard.longestTaskMs < 100
        : null,
      // Metrics within 3 %: by the CPU accounting (a scraper at 1 s plus the per-task record, as a
      // share of the head's CPU) and by the measured throughput ratio.
      metricsCostUnder3Percent: cost.scraperShareOfHead + cost.taskRecordShareOfHead < 0.03,
      throughputWithin3Percent: cost.scraperRatio >= 0.97,
    },
  };
  if (json) process.stdout.write(JSON.stringify(result) + '\n');
  else {
    process.stdout.write(`bench:api — ${result.mode}; ${result.actors} actors, ${result.tasks} finished tasks\n\n`);
    process.stdout.write('route                p50 ms   p99 ms     bytes\n');
    for (const [name, r] of Object.entries(api))
      process.stdout.write(
        `${name.padEnd(20)} ${String(r.p50Ms).padStart(6)}   ${String(r.p99Ms).padStart(6)}   ${String(r.bytes).padStart(7)}\n`,
      );
    const d = result.dashboard;
    process.stdout.write(
      d
        ? `\ndashboard (headless Chromium): overview ${d.overviewFirstMs} ms on first load, actors list ${d.actorsMs} ms, tasks list ${d.tasksMs} ms, ` +
            `next page ${d.nextPageMs} ms (median of ${d.pages}), overview again ${d.overviewMs} ms; ${d.longTasks} main-thread tasks over 50 ms ` +
            `(longest ${d.longestTaskMs} ms) while paging and ${d.watchedSeconds} s of refreshes; JS heap ${(d.jsHeapBytes / 2 ** 20).toFixed(1)} MiB\n`
        : '\ndashboard: not measured (--no-browser, or no Chromium)\n',
    );
    const c = result.metricsCost;
    const pct = (x: number): string => `${Math.round(x * 1000) / 10} %`;
    process.stdout.write(
      `\nmetrics, CPU accounting: a scrape costs the head ${c.scrapeCpuMs} ms; under tasks-async the head uses ${c.headCpuPerSecond} CPU s/s, ` +
        `so a scraper at 1 s is ${pct(c.scraperShareOfHead)} of it; the task record costs ${c.taskRecordMicros} µs of the head's ` +
        `${c.headMicrosPerTask} µs per task (${pct(c.taskRecordShareOfHead)})\n` +
        `metrics, throughput: tasks async ${c.withoutScraper}/s without a scraper, ${c.withScraper}/s with one at 1 s ` +
        `(median of ${c.pairs} paired ratios: ${c.scraperRatio})\n` +
        `targets: p99 < 50 ms ${met(result.targets.p99Under50Ms)}; responses < 1 MB ${met(result.targets.everyResponseUnder1MB)}; ` +
        `metrics under 3 % of the head's CPU ${met(result.targets.metricsCostUnder3Percent)}; throughput within 3 % ${met(result.targets.throughputWithin3Percent)}; ` +
        `dashboard responsive ${met(result.targets.dashboardResponsive)}\n`,
    );
  }
} finally {
  await rt.shutdown();
  node.kill('SIGTERM');
  await cluster.stop();
}
process.exit(0);
