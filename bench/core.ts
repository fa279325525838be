/**
 * `npm run bench:core -- [--json] [--vs-ray] [--seconds S]`
 *
 * wrt's versions of Ray's core microbenchmarks (the metric names of Ray's ray_perf.py) with no-op
 * wasm functions (tests/fixtures/build/tasks.wasm: `noop`), on an embedded cluster of one node
 * with every core. Rates are operations per second; single_client_put_gigabytes is GB/s.
 * With --vs-ray it also runs bench/peers/ray_microbench.py (Python with Ray: set WRT_RAY_PYTHON to
 * its interpreter) and prints metric, wrt, Ray and the ratio; with --json one object
 * `{"wrt": {...}, "ray": {...}}`. Not a test: the machine is shared and timings drift.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import process from 'node:process';
import { init, type ObjectRef, type Runtime } from '../sdk/node.js';

const TASKS = fileURLToPath(new URL('../../tests/fixtures/build/tasks.wasm', import.meta.url));
const RAY_SCRIPT = fileURLToPath(new URL('../../bench/peers/ray_microbench.py', import.meta.url));

const args = process.argv.slice(2);
const json = args.includes('--json');
const vsRay = args.includes('--vs-ray');
const seconds = Number(args[args.indexOf('--seconds') + 1]) || 2;

/** Runs `fn` repeatedly for about `seconds`; returns operations per second. */
async function timed(fn: () => Promise<unknown>, opsPerCall = 1): Promise<number> {
  await fn();
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < seconds * 1000) {
    await fn();
    n += opsPerCall;
  }
  return n / ((performance.now() - start) / 1000);
}

async function wrtSuite(): Promise<Record<string, number>> {
  const rt = await init();
  const clients: Runtime[] = [];
  try {
    const mod = await rt.load(TASKS);
    const noop = mod.remote('noop');
    const r: Record<string, number> = {};
    const release = (refs: ObjectRef[]): void => refs.forEach((x) => x.release());
    const batch = async (rt2: Runtime, f: () => ObjectRef, n: number): Promise<void> => {
      const refs = Array.from({ length: n }, f);
      await rt2.get(refs);
      release(refs);
    };
    r.single_client_tasks_sync = await timed(async () => {
      const ref = noop.call();
      await rt.get(ref);
      ref.release();
    });
    r.single_client_tasks_async = await timed(() => batch(rt, () => noop.call(), 1000), 1000);
    for (let i = 0; i < 2; i++) clients.push(await init({ address: rt.address }));
    const clientNoops = await Promise.all(clients.map(async (c) => (await c.load(TASKS)).remote('noop')));
    r.multi_client_tasks_async = await timed(() => Promise.all(clients.map((c, i) => batch(c, () => clientNoops[i]!.call(), 500))), 1000);
    const actor = await mod.actor('counter').create(0);
    r['1_1_actor_calls_sync'] = await timed(async () => {
      const ref = actor.call('noop');
      await rt.get(ref);
      ref.release();
    });
    r['1_1_actor_calls_async'] = await timed(() => batch(rt, () => actor.call('noop'), 1000), 1000);
    const actors = await Promise.all([0, 1].map(() => mod.actor('counter').create(0)));
    r.n_n_actor_calls_async = await timed(async () => {
      const refs = actors.flatMap((a) => Array.from({ length: 500 }, () => a.call('noop')));
      await rt.get(refs);
      release(refs);
    }, 1000);
    r.single_client_put_calls = await timed(async () => {
      const ref = rt.put(0);
      await rt.wait([ref]);
      ref.release();
    });
    const small = rt.put(0);
    r.single_client_get_calls = await timed(() => rt.get(small));
    const big = new Uint8Array(32 * 1024 * 1024);
    r.single_client_put_gigabytes =
      ((await timed(async () => {
        const ref = rt.put(big);
        await rt.wait([ref]);
        ref.release();
      })) *
        big.byteLength) /
      1e9;
    const refs = Array.from({ length: 1000 }, (_, i) => rt.put(i));
    r.single_client_wait_1k_refs = await timed(() => rt.wait(refs, { numReturns: 1000 }));
    return r;
  } finally {
    for (const c of clients) await c.shutdown();
    await rt.shutdown();
  }
}

const wrt = await wrtSuite();
let ray: Record<string, number> | null = null;
if (vsRay) {
  const python = process.env.WRT_RAY_PYTHON ?? 'python3';
  const out = spawnSync(python, [RAY_SCRIPT, '--json', '--seconds', String(seconds)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (out.status !== 0) {
    process.stderr.write(
      `bench:core: the Ray benchmark failed (exit ${out.status}); is Ray installed for ${python}? Set WRT_RAY_PYTHON.\n`,
    );
    process.exit(1);
  }
  ray = JSON.parse(out.stdout.trim().split('\n').pop()!) as Record<string, number>;
}
if (json) process.stdout.write(JSON.stringify(ray ? { wrt, ray } : { wrt }) + '\n');
else {
  process.stdout.write(`${'metric'.padEnd(32)}${'wrt'.padStart(12)}${ray ? 'Ray'.padStart(12) + 'ratio'.padStart(9) : ''}\n`);
  for (const [k, v] of Object.entries(wrt)) {
    const peer = ray?.[k];
    process.stdout.write(
      `${k.padEnd(32)}${v.toFixed(1).padStart(12)}${peer !== undefined ? peer.toFixed(1).padStart(12) + (v / peer).toFixed(2).padStart(9) : ''}\n`,
    );
  }
}
