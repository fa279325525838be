/**
 * `npm run bench:api -- [--json] [--actors N] [--tasks N] [--requests N] [--core-seconds S]`
 *
 * The head's REST API under a large cluster state, on a local cluster of processes (a head, a node
 * with two slots and one for actors, `wrt start` processes on this machine; the driver connects through its
 * address): creates N actors (default 10 000; two run, the rest wait as Pending — a live actor is a
 * thread of its own) and runs N tasks to their end (default 100 000), then
 * measures the p50 and p99 latency (`--requests` GETs each, one at a time, default 200) and the bytes
 * of `/api/v1/overview`, `/api/v1/jobs`, `/api/v1/nodes`, the first page of `/api/v1/actors` and
 * of `/api/v1/tasks`, and of a `/metrics` scrape. Then the cost of metrics on throughput: two
 * tasks-async runs (`single_client_tasks_async` of bench:core) side by side, without a scraper and
 * with one reading `/metrics` every second, alternated four times (each side first in turn); the ratio of their medians.
 * Targets (issue 20): p99 under 50 ms, every response under 1 MB, throughput within 3 %.
 * With --json, one object. Not a test: the machine is shared and timings drift.
 */
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { init, type ObjectRef, type Runtime } from '../sdk/node.js';
import { spawnWrt, startLocalCluster } from '../runtime/launch/node/local-cluster.js';

const TASKS = fileURLToPath(new URL('../../tests/fixtures/build/tasks.wasm', import.meta.url));
const args = process.argv.slice(2);
const flag = (name: string, fallback: number): number => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
const json = args.includes('--json');
const ACTORS = flag('--actors', 10_000);
const TASK_COUNT = flag('--tasks', 100_000);
const REQUESTS = flag('--requests', 200);
const CORE_SECONDS = flag('--core-seconds', 3);

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

  log(`throughput without and with a scraper at 1 s (${CORE_SECONDS} s each, four rounds)`);
  const without: number[] = [];
  const withScraper: number[] = [];
  await tasksAsync(rt, noop, 1); // warm-up
  const withScrape = async (): Promise<number> => {
    const scraper = setInterval(() => {
      void fetch(`${base}/metrics`, { headers: { Authorization: `Bearer ${cluster.token}` } }).then((r) => r.arrayBuffer());
    }, 1000);
    try {
      return await tasksAsync(rt, noop, CORE_SECONDS);
    } finally {
      clearInterval(scraper);
    }
  };
  // Alternate which goes first, so a drift over the run does not favour one side.
  for (let round = 0; round < 4; round++) {
    if (round % 2 === 0) {
      without.push(await tasksAsync(rt, noop, CORE_SECONDS));
      withScraper.push(await withScrape());
    } else {
      withScraper.push(await withScrape());
      without.push(await tasksAsync(rt, noop, CORE_SECONDS));
    }
  }
  const median = (xs: number[]): number => quantile(xs, 0.5);
  const result = {
    mode: 'local cluster of processes: a head, a node with 2 slots and one with 1 slot for actors, driver through --address',
    actors,
    tasks: TASK_COUNT,
    requests: REQUESTS,
    api,
    tasksAsync: { withoutScraper: Math.round(median(without)), withScraper: Math.round(median(withScraper)) },
    scraperRatio: round(median(withScraper) / median(without)),
    targets: {
      p99Under50Ms: Object.values(api).every((r) => r.p99Ms < 50),
      everyResponseUnder1MB: Object.values(api).every((r) => r.bytes < 2 ** 20),
      throughputWithin3Percent: median(withScraper) / median(without) >= 0.97,
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
    process.stdout.write(
      `\ntasks async: ${result.tasksAsync.withoutScraper}/s without a scraper, ${result.tasksAsync.withScraper}/s with one at 1 s (ratio ${result.scraperRatio})\n` +
        `targets: p99 < 50 ms ${result.targets.p99Under50Ms ? 'met' : 'MISSED'}; responses < 1 MB ${result.targets.everyResponseUnder1MB ? 'met' : 'MISSED'}; throughput within 3 % ${result.targets.throughputWithin3Percent ? 'met' : 'MISSED'}\n`,
    );
  }
} finally {
  await rt.shutdown();
  node.kill('SIGTERM');
  await cluster.stop();
}
process.exit(0);
