/**
 * `npm run bench:core -- [--json] [--vs-ray] [--seconds S] [--warmup S] [--cluster-warmup S]
 *   [--modes embedded,processes,browser] [--only METRIC,...]`
 *
 * wrt's versions of Ray's core microbenchmarks (the metric names of Ray's ray_perf.py; the suite
 * is bench/core-suite.ts) with no-op wasm functions (tests/fixtures tasks.wasm), in three
 * deployment modes, each labelled in the table:
 * - **embedded**: head and one node inside the driver's process (hot messages cross as JS
 *   objects, ADR 0006) — what `init()` with no address gives;
 * - **processes**: a head and one node of 2 slots as `wrt start` processes on this machine, the
 *   driver connected through their address (`init({ address })`), every message on a socket;
 * - **browser**: the same cluster of processes, the driver a headless Chromium page using the
 *   browser SDK (Debian's chromium; `WRT_CHROMIUM` names another).
 * `multi_client_tasks_async` runs two client processes (bench/core-client.ts; two more pages in
 * the browser mode) submitting at once, as Ray's runs client actors in processes of their own.
 * `single_client_get_calls` gets one ref again and again as Ray's does (the driver answers it from
 * memory); `single_client_get_calls_fresh` gets task results never fetched before.
 *
 * With --vs-ray it also runs bench/peers/ray_microbench.py (Ray with num_cpus=2; set
 * WRT_RAY_PYTHON to a Python that has Ray) and prints the ratio of each mode to Ray. Rates are
 * operations per second; single_client_put_gigabytes is GB/s. --json prints one object
 * `{"ray":{...},"embedded":{...},"processes":{...},"browser":{...}}` (modes run only). Not a test:
 * the machine is shared and timings drift; compare within one run. The processes mode also prints
 * (text only) the CPU microseconds per operation of each timed run in the head, the node (with
 * its slot threads) and the driver; with single_client_put_gigabytes, the text also gives what a
 * bare copy of the put's 32 MiB runs at in the same run (bench/copy-ceiling.ts: a put is one copy).
 *
 * Each metric, on both sides, runs untimed for `--warmup` seconds (default 1, as Ray's ray_perf
 * `timeit` does) and is then timed for `--seconds` (default 2). Before the first metric, each
 * mode's cluster and Ray's run a mix of synchronous and batched tasks and actor calls untimed for
 * `--cluster-warmup` seconds (default 5; 0 measures a cold cluster): wrt's processes are V8, whose
 * code runs interpreted until it has been used a few thousand times.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import process from 'node:process';
import { launchChromium } from '../tests/helpers/chromium.js';
import { init } from '../sdk/node.js';
import { copyCeiling } from './copy-ceiling.js';
import { startLocalCluster, type LocalCluster } from '../runtime/launch/node/local-cluster.js';
import { coreSuite, type SuiteHooks, type SuiteOptions } from './core-suite.js';
import { ownCpuSeconds, processCpuSeconds } from './process-cpu.js';

const TASKS_CORE = fileURLToPath(new URL('../../tests/fixtures/build/tasks.core.wasm', import.meta.url));
const CLIENT = fileURLToPath(new URL('./core-client.js', import.meta.url));
const RAY_SCRIPT = fileURLToPath(new URL('../../bench/peers/ray_microbench.py', import.meta.url));
const MODES = ['embedded', 'processes', 'browser'] as const;
type Mode = (typeof MODES)[number];

const args = process.argv.slice(2);
const value = (flag: string): string | undefined => (args.includes(flag) ? args[args.indexOf(flag) + 1] : undefined);
const json = args.includes('--json');
const vsRay = args.includes('--vs-ray');
const seconds = Number(value('--seconds')) || 2;
const warmupSeconds = value('--warmup') === undefined ? 1 : Number(value('--warmup'));
const clusterWarmupSeconds = value('--cluster-warmup') === undefined ? 5 : Number(value('--cluster-warmup'));
for (const [flag, v] of [
  ['--warmup', warmupSeconds],
  ['--cluster-warmup', clusterWarmupSeconds],
] as const) {
  if (!(v >= 0)) {
    process.stderr.write(`bench:core: ${flag} wants seconds >= 0, got ${value(flag)}\n`);
    process.exit(2);
  }
}
const only = value('--only')?.split(',') ?? null;
const modes = (value('--modes')?.split(',') ?? [...MODES]) as Mode[];
const bad = modes.filter((m) => !MODES.includes(m));
if (bad.length) {
  process.stderr.write(`bench:core: unknown mode ${bad.join(',')} (choose from ${MODES.join(', ')})\n`);
  process.exit(2);
}
const options: SuiteOptions = { seconds, warmupSeconds, clusterWarmupSeconds, only };
const moduleBytes = new Uint8Array(readFileSync(TASKS_CORE));
const wants = (metric: string): boolean => !only || only.includes(metric);
const log = (line: string): void => void (json || process.stderr.write(`bench:core: ${line}\n`));

/** Ops per second of `clients` client processes submitting batches at once for `seconds` against `address`. */
async function multiClient(address: string, token: string | undefined, clients = 2): Promise<number> {
  const env = token ? { ...process.env, WRT_TOKEN: token } : process.env;
  const children = Array.from({ length: clients }, () =>
    spawn(process.execPath, [CLIENT, address], { env, stdio: ['pipe', 'pipe', 'inherit'] }),
  );
  try {
    const lines = children.map((c) => createInterface({ input: c.stdout })[Symbol.asyncIterator]());
    const next = async (i: number): Promise<string> => {
      const r = await lines[i]!.next();
      if (r.done) throw new Error(`client ${i} exited (code ${children[i]!.exitCode})`);
      return r.value;
    };
    await Promise.all(children.map(async (_, i) => (await next(i)) === 'ready' || Promise.reject(new Error(`client ${i} not ready`))));
    for (const c of children) c.stdin.write(`go ${seconds} ${warmupSeconds}\n`);
    const results = await Promise.all(children.map(async (_, i) => JSON.parse(await next(i)) as { ops: number; seconds: number }));
    return results.reduce((sum, r) => sum + r.ops / r.seconds, 0);
  } finally {
    for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  }
}

/**
 * CPU microseconds per operation of each metric's timed run, by process (processes mode): the
 * head's and the node's from /proc (all their threads), the driver's own. Less noisy than the
 * rates on a shared machine, and it says where an operation's cost lies.
 */
const cpuPerOp: Record<string, { head: number; node: number; driver: number }> = {};

/** Hooks that count the CPU of `pids` ([head, node]) and of this driver around each timed run. */
function cpuHooks(pids: number[]): SuiteHooks {
  let before: number[] = [];
  return {
    timedStart: () => void (before = [...pids.map(processCpuSeconds), ownCpuSeconds()]),
    timedEnd: (metric, ops) => {
      const after = [...pids.map(processCpuSeconds), ownCpuSeconds()];
      const us = (i: number): number => ((after[i]! - before[i]!) * 1e6) / Math.max(1, ops);
      cpuPerOp[metric] = { head: us(0), node: us(1), driver: us(2) };
    },
  };
}

/** The suite in one Node driver connected by `connect`, plus multi-client against `address`. */
async function nodeMode(connect: () => ReturnType<typeof init>, token?: string, hooks?: SuiteHooks): Promise<Record<string, number>> {
  const rt = await connect();
  try {
    const r = await coreSuite(rt, moduleBytes, options, hooks);
    if (wants('multi_client_tasks_async')) r.multi_client_tasks_async = await multiClient(rt.address, token);
    return r;
  } finally {
    await rt.shutdown();
  }
}

/** The suite in a Chromium page driving `cluster`; multi-client from two more pages. */
async function browserMode(cluster: LocalCluster): Promise<Record<string, number>> {
  const { browser, close } = await launchChromium();
  try {
    const open = async () => {
      const page = await browser.newPage();
      await page.goto(`${cluster.httpUrl}/driver#token=${cluster.token}`);
      return page;
    };
    const page = await open();
    const bytes = [...moduleBytes];
    // The suite's own source, run against the browser SDK the head serves.
    const r = await page.evaluate<Record<string, number>>(
      `(async () => {
        const wrt = await import(location.origin + '/assets/sdk.js');
        const rt = await wrt.init();
        try { return await (${coreSuite.toString()})(rt, new Uint8Array(${JSON.stringify(bytes)}), ${JSON.stringify(options)}); }
        finally { await rt.shutdown(); }
      })()`,
    );
    if (wants('multi_client_tasks_async')) {
      const pages = await Promise.all([open(), open()]);
      // Each page connects and warms up, then all start together when the flag below is set.
      const ready = pages.map((p) =>
        p.evaluate(
          `(async () => {
            const wrt = await import(location.origin + '/assets/sdk.js');
            const rt = await wrt.init();
            const noop = (await rt.load(new Uint8Array(${JSON.stringify(bytes)}))).remote('noop');
            const batch = async () => { const refs = Array.from({ length: 500 }, () => noop.call()); await rt.get(refs); refs.forEach((x) => x.release()); };
            const warm = performance.now();
            do await batch(); while (performance.now() - warm < ${warmupSeconds * 1000});
            window.benchReady = true;
            while (!window.benchGo) await new Promise((r) => setTimeout(r, 5));
            let ops = 0;
            const start = performance.now();
            while (performance.now() - start < ${seconds * 1000}) { await batch(); ops += 500; }
            const s = (performance.now() - start) / 1000;
            await rt.shutdown();
            return ops / s;
          })()`,
        ),
      );
      await Promise.all(pages.map((p) => p.waitForFunction('window.benchReady === true', undefined, { timeout: 60_000 })));
      await Promise.all(pages.map((p) => p.evaluate('window.benchGo = true')));
      r.multi_client_tasks_async = ((await Promise.all(ready)) as number[]).reduce((a, b) => a + b, 0);
    }
    return r;
  } finally {
    await close();
  }
}

const results: Partial<Record<Mode | 'ray', Record<string, number>>> = {};
for (const mode of modes) {
  log(`${mode}: running`);
  if (mode === 'embedded') results.embedded = await nodeMode(() => init({ cpus: 2 }));
  else {
    const cluster = await startLocalCluster(1, 2, false, 0);
    try {
      results[mode] =
        mode === 'processes'
          ? await nodeMode(
              () => init({ address: cluster.address, token: cluster.token }),
              cluster.token,
              cpuHooks(cluster.processes.map((p) => p.pid!)),
            )
          : await browserMode(cluster);
    } finally {
      await cluster.stop();
    }
  }
}
// A put is one copy: what a bare copy of the same bytes runs at here, in the same run.
const ceiling = modes.some((m) => results[m]?.single_client_put_gigabytes !== undefined) ? copyCeiling() : null;
if (vsRay) {
  const python = process.env.WRT_RAY_PYTHON ?? 'python3';
  log(`Ray: running ${RAY_SCRIPT} with ${python}`);
  const out = spawnSync(
    python,
    [
      RAY_SCRIPT,
      '--json',
      '--seconds',
      String(seconds),
      '--warmup',
      String(warmupSeconds),
      '--cluster-warmup',
      String(clusterWarmupSeconds),
    ],
    {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  if (out.status !== 0) {
    process.stderr.write(
      `bench:core: the Ray benchmark failed (exit ${out.status}); is Ray installed for ${python}? Set WRT_RAY_PYTHON.\n`,
    );
    process.exit(1);
  }
  results.ray = JSON.parse(out.stdout.trim().split('\n').pop()!) as Record<string, number>;
}
if (json) process.stdout.write(JSON.stringify(results) + '\n');
else {
  const ray = results.ray;
  const metrics = [...new Set(modes.flatMap((m) => Object.keys(results[m] ?? {})))];
  const head =
    'metric'.padEnd(32) +
    modes.map((m) => m.padStart(12)).join('') +
    (ray ? 'Ray'.padStart(12) + modes.map((m) => `${m.slice(0, 5)}/Ray`.padStart(11)).join('') : '');
  process.stdout.write(
    `wrt: embedded = head and node in the driver's process; processes = head + node (2 slots) as processes, driver through the address; ` +
      `browser = that cluster, the driver a Chromium page${ray ? '; Ray 2.58 with num_cpus=2' : ''}\n${head}\n`,
  );
  // Rates below 10 (GB/s) keep three significant digits; the others one decimal.
  const rate = (v: number): string => (v < 10 ? v.toPrecision(3) : v.toFixed(1));
  for (const k of metrics) {
    const cells = modes.map((m) => (results[m]?.[k] === undefined ? '-' : rate(results[m][k])).padStart(12)).join('');
    const ratios = ray
      ? (ray[k] === undefined ? '-' : rate(ray[k])).padStart(12) +
        modes.map((m) => (ray[k] && results[m]?.[k] !== undefined ? (results[m][k] / ray[k]).toFixed(2) : '-').padStart(11)).join('')
      : '';
    process.stdout.write(`${k.padEnd(32)}${cells}${ratios}\n`);
  }
  if (ceiling)
    process.stdout.write(
      `single_client_put_gigabytes is one copy of 32 MiB; a bare Uint8Array.set of 32 MiB in this process, same run: ` +
        `${rate(ceiling.arrayBuffer)} GB/s into an ArrayBuffer, ${rate(ceiling.sharedArrayBuffer)} GB/s into a SharedArrayBuffer\n`,
    );
  const cpu = Object.entries(cpuPerOp);
  if (cpu.length > 0) {
    process.stdout.write(
      `\nprocesses: CPU µs per operation of each timed run (head, node with its slot threads, driver; /proc utime + stime)\n` +
        `${'metric'.padEnd(32)}${'head'.padStart(10)}${'node'.padStart(10)}${'driver'.padStart(10)}\n`,
    );
    const us = (v: number): string => (v < 100 ? v.toFixed(1) : v.toFixed(0)).padStart(10);
    for (const [k, c] of cpu) process.stdout.write(`${k.padEnd(32)}${us(c.head)}${us(c.node)}${us(c.driver)}\n`);
  }
}
process.exit(0);
