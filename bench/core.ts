/**
 * `npm run bench:core -- [--json] [--vs-ray] [--seconds S] [--processes] [--only METRIC,...]`
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
const processes = args.includes('--processes');
const only = args.includes('--only') ? args[args.indexOf('--only') + 1]!.split(',') : null;

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
  const rt = await init({ processes });
  const clients: Runtime[] = [];
  try {
    const mod = await rt.load(TASKS);
    const noop = mod.remote('noop');
    const release = (refs: ObjectRef[]): void => refs.forEach((x) => x.release());
    const batch = async (rt2: Runtime, f: () => ObjectRef, n: number): Promise<void> => {
      const refs = Array.from({ length: n }, f);
      await rt2.get(refs);
      release(refs);
    };
    const sync = async (f: () => ObjectRef): Promise<void> => {
      const ref = f();
      await rt.get(ref);
      ref.release();
    };
    const metrics: Record<string, () => Promise<number>> = {
      single_client_tasks_sync: () => timed(() => sync(() => noop.call())),
      single_client_tasks_async: () => timed(() => batch(rt, () => noop.call(), 1000), 1000),
      multi_client_tasks_async: async () => {
        for (let i = 0; i < 2; i++) clients.push(await init({ address: rt.address }));
        const noops = await Promise.all(clients.map(async (c) => (await c.load(TASKS)).remote('noop')));
        return timed(() => Promise.all(clients.map((c, i) => batch(c, () => noops[i]!.call(), 500))), 1000);
      },
      '1_1_actor_calls_sync': async () => {
        const actor = await mod.actor('counter').create(0);
        return timed(() => sync(() => actor.call('noop')));
      },
      '1_1_actor_calls_async': async () => {
        const actor = await mod.actor('counter').create(0);
        return timed(() => batch(rt, () => actor.call('noop'), 1000), 1000);
      },
      n_n_actor_calls_async: async () => {
        const actors = await Promise.all([0, 1].map(() => mod.actor('counter').create(0)));
        return timed(async () => {
          const refs = actors.flatMap((a) => Array.from({ length: 500 }, () => a.call('noop')));
          await rt.get(refs);
          release(refs);
        }, 1000);
      },
      single_client_put_calls: () =>
        timed(async () => {
          const ref = rt.put(0);
          await rt.wait([ref]);
          ref.release();
        }),
      single_client_get_calls: () => {
        const small = rt.put(0);
        return timed(() => rt.get(small));
      },
      single_client_put_gigabytes: async () => {
        const big = new Uint8Array(32 * 1024 * 1024);
        const rate = await timed(async () => {
          const ref = rt.put(big);
          await rt.wait([ref]);
          ref.release();
        });
        return (rate * big.byteLength) / 1e9;
      },
      single_client_wait_1k_refs: () => {
        const refs = Array.from({ length: 1000 }, (_, i) => rt.put(i));
        return timed(() => rt.wait(refs, { numReturns: 1000 }));
      },
    };
    const r: Record<string, number> = {};
    for (const [name, measure] of Object.entries(metrics)) if (!only || only.includes(name)) r[name] = await measure();
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
