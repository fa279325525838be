/**
 * wrt's versions of Ray's core microbenchmarks (the metric names of Ray's `ray_perf.py`) for one
 * driver, as one self-contained function: bench/core.ts calls it in Node and sends its source to a
 * Chromium page, where it runs against the browser SDK — so it may use nothing but its arguments
 * and the globals both have (`performance`, `Promise`). Rates are operations per second;
 * `single_client_put_gigabytes` is GB/s (10^9 bytes). `multi_client_tasks_async` is not here: it
 * needs several client processes (bench/core.ts).
 */
import type { Runtime } from '../sdk/runtime.js';

export interface SuiteOptions {
  /** Seconds each metric is timed for. */
  seconds: number;
  /**
   * Seconds each metric runs untimed first (at least one call), as Ray's ray_perf does (its
   * `timeit` warms up for 1 s): the JIT of every process on the path compiles the hot code.
   */
  warmupSeconds: number;
  /**
   * Seconds the whole cluster runs a mix of tasks and actor calls untimed before the first
   * metric: a fresh cluster's processes run their hot paths interpreted for their first few
   * thousand calls (V8 tiers code up by use; measured here: ~500 synchronous tasks/s for the
   * first 2–3 s, ~3000/s from about 5 s on). Ray's side gets the same mix for as long.
   */
  clusterWarmupSeconds: number;
  /** Metrics to run (all when null). */
  only: string[] | null;
}

/**
 * Called around each metric's timed run (after its warm-up) by a driver in Node, to count the CPU
 * the deployment's processes spent on it; `ops` is what the run counted. Absent in a browser page.
 */
export interface SuiteHooks {
  timedStart(metric: string): void;
  timedEnd(metric: string, ops: number): void;
}

/**
 * Runs the suite on `rt` with the no-op functions of tests/fixtures tasks.wasm (`noop`, actor
 * `counter`), given as `moduleBytes`.
 */
export async function coreSuite(
  rt: Runtime,
  moduleBytes: Uint8Array,
  o: SuiteOptions,
  hooks?: SuiteHooks,
): Promise<Record<string, number>> {
  type Ref = ReturnType<Runtime['put']>;
  /** Runs `fn` untimed, at least once, for `seconds`. */
  const warmUp = async (fn: () => Promise<unknown>, seconds = o.warmupSeconds): Promise<void> => {
    const start = performance.now();
    do await fn();
    while (performance.now() - start < seconds * 1000);
  };
  let current = '';
  const timed = async (fn: () => Promise<unknown>, opsPerCall = 1): Promise<number> => {
    await warmUp(fn);
    let n = 0;
    hooks?.timedStart(current);
    const start = performance.now();
    while (performance.now() - start < o.seconds * 1000) {
      await fn();
      n += opsPerCall;
    }
    const rate = n / ((performance.now() - start) / 1000);
    hooks?.timedEnd(current, n);
    return rate;
  };
  const mod = await rt.load(moduleBytes);
  const noop = mod.remote('noop');
  const release = (refs: Ref[]): void => refs.forEach((x) => x.release());
  const batch = async (f: () => Ref, n: number): Promise<void> => {
    const refs = Array.from({ length: n }, f);
    await rt.get(refs);
    release(refs);
  };
  const sync = async (f: () => Ref): Promise<void> => {
    const ref = f();
    await rt.get(ref);
    ref.release();
  };
  const metrics: Record<string, () => Promise<number>> = {
    single_client_tasks_sync: () => timed(() => sync(() => noop.call())),
    single_client_tasks_async: () => timed(() => batch(() => noop.call(), 1000), 1000),
    '1_1_actor_calls_sync': async () => {
      const actor = await mod.actor('counter').create(0);
      return timed(() => sync(() => actor.call('noop')));
    },
    '1_1_actor_calls_async': async () => {
      const actor = await mod.actor('counter').create(0);
      return timed(() => batch(() => actor.call('noop'), 1000), 1000);
    },
    n_n_actor_calls_async: async () => {
      const actors = await Promise.all([0, 1].map(() => mod.actor('counter').create(0)));
      return timed(async () => {
        const refs = actors.flatMap((a) => Array.from({ length: 500 }, () => a.call('noop')));
        await rt.get(refs);
        release(refs);
      }, 1000);
    },
    single_client_put_calls: async () => {
      // A small put is ready at once in the driver, as in Ray; the run ends with a task that
      // takes the last put, so every put counted has reached the head within the time counted.
      let last = rt.put(0);
      const putNext = async (): Promise<void> => {
        last.release();
        last = rt.put(0);
        await rt.wait([last]);
      };
      await warmUp(putNext);
      await rt.get(noop.call(last));
      let n = 0;
      const start = performance.now();
      while (performance.now() - start < o.seconds * 1000) {
        await putNext();
        n++;
      }
      await rt.get(noop.call(last));
      last.release();
      return n / ((performance.now() - start) / 1000);
    },
    // Ray's ray_perf gets one ref again and again (answered from the driver's own memory store):
    // so does this row; the next gets each of 1000-ref batches of task results once.
    single_client_get_calls: () => {
      const small = rt.put(0);
      return timed(() => rt.get(small));
    },
    single_client_get_calls_fresh: async () => {
      let refs: Ref[] = [];
      let next = 0;
      let gets = 0;
      let spent = 0;
      // Only the gets are timed; making the next batch of task results is not (the run lasts
      // `seconds` of wall time, batches included).
      await warmUp(async () => {
        const warm = Array.from({ length: 1000 }, () => noop.call());
        for (const r of warm) await rt.get(r);
        release(warm);
      });
      const start = performance.now();
      while (performance.now() - start < o.seconds * 1000) {
        if (next === refs.length) {
          release(refs);
          refs = Array.from({ length: 1000 }, () => noop.call());
          await rt.wait(refs, { numReturns: refs.length });
          next = 0;
        }
        const t0 = performance.now();
        await rt.get(refs[next++]!);
        spent += performance.now() - t0;
        gets++;
      }
      release(refs);
      return gets / (spent / 1000);
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
  if (o.clusterWarmupSeconds > 0) {
    const actor = await mod.actor('counter').create(0);
    await warmUp(async () => {
      for (let i = 0; i < 20; i++) await sync(() => noop.call());
      for (let i = 0; i < 20; i++) await sync(() => actor.call('noop'));
      await batch(() => noop.call(), 200);
      await batch(() => actor.call('noop'), 200);
    }, o.clusterWarmupSeconds);
  }
  for (const [name, measure] of Object.entries(metrics)) {
    if (o.only && !o.only.includes(name)) continue;
    current = name;
    r[name] = await measure();
  }
  return r;
}
