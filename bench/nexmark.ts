/**
 * `npm run bench:nexmark -- [--json] [--events N] [--runs N] [--queries q0,q5,…] [--local]
 *   [--nodes N] [--cpus N] [--checkpoint-interval-ms N] [--sink blackhole|csv] [--vs-flink]
 *   [--warmup-events N]`
 *
 * Events per second per core for each Nexmark query, beside Flink's published per-core figures
 * (Nexmark on Flink 1.13, other hardware). Each query runs samples/nexmark/build/pipeline.wasm —
 * its job graph from `configure`, its wasm operators, the built-in windows and joins — over
 * `--events` generated events (default 1 000 000, seed 0, generation included as in Flink's
 * figures). As in Flink's Nexmark, each query's one source produces every event of the stream
 * (persons, auctions and bids, 1:3:46) and its first operators keep their table's rows by
 * `event_type`, so the events counted are the events produced. The queries'
 * CSV sinks are replaced by `blackhole` sinks (rows counted, nothing written), as in Flink's
 * Nexmark setup; `--sink csv` keeps them (the output then travels to this process and is dropped).
 *
 * Default (cluster) mode: the distributed runtime as `wrt submit` runs it — a head process and
 * `--nodes` node processes (default 1) of `--cpus` slots (default 2), the job at parallelism
 * nodes × cpus. The default is the shape of Flink's local MiniCluster: one worker process with two
 * slots, whose slots exchange records inside the process (`--nodes 2 --cpus 1` sends every record
 * bound for the other slot through the head, as between machines). A checkpoint every
 * `--checkpoint-interval-ms` (default 1000; 0 = none) and the two-phase sink; the sink output
 * reaches this process and is dropped. Per core two ways: events / wall time (job accepted →
 * finished) / slots, and events per CPU-second of all the job's processes — the head, the nodes
 * and this client (/proc, Linux) — which counts the relays too.
 * `--local`: the single-thread runner at parallelism 1 (no network, slots or checkpoints), the
 * upper bound the cluster is compared with.
 *
 * `--vs-flink`: then Apache Flink itself (bench/flink-peer.ts: Flink 2.3 on a local MiniCluster in
 * one JVM, built with Maven when needed) runs the reference Nexmark SQL over the same events (a
 * Java port of wrt's generator), at the same parallelism and checkpoint interval, with blackhole
 * sinks, and each query prints both systems' figures per core, both ways, and their ratio. Both
 * sides first run every query once untimed over `--warmup-events` (default 100 000 with
 * --vs-flink, else 0) events, to warm their JITs.
 *
 * Best of `--runs` (default 1) rounds, for wrt and, with --vs-flink, for Flink alike: a round is
 * a fresh wrt cluster (warmed up, every query once, stopped) and then a fresh Flink JVM (the same),
 * so the two sides take turns on the machine instead of one running all its runs in a quieter or
 * busier stretch than the other.
 * With --json, one JSON object `{"q0": eventsPerSecondPerCore, …}` (per core = ÷ slots); with
 * --vs-flink, `{"events":N,"parallelism":P,"wrt":{"q0":perCore,…},
 * "flink":{"q0":perCore,…},"wrtPerCpuSecond":{…},"flinkPerCpuSecond":{…}}`.
 * Not a test: the machine is shared and timings drift; compare the ratios.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import process from 'node:process';
import { planStreamJob } from '../runtime/stream/execution-graph.js';
import { runLocally } from '../runtime/stream/local-runner.js';
import { refusingKeyedState } from '../runtime/stream/keyed-state-imports.js';
import { startLocalCluster } from '../runtime/launch/node/local-cluster.js';
import { ownCpuSeconds } from './process-cpu.js';
import { nexmarkQueryGraph, runNexmarkOnCluster, type NexmarkRun } from './nexmark-run.js';
import { runFlinkNexmark, type FlinkRun } from './flink-peer.js';

const PIPELINE = fileURLToPath(new URL('../../samples/nexmark/build/pipeline.core.wasm', import.meta.url));

/** Events/s per core, Nexmark on Flink 1.13 (nexmark/nexmark README). */
const FLINK: Record<string, number> = { q0: 155e3, q1: 158e3, q2: 175e3, q3: 152e3, q4: 34e3, q5: 22e3, q7: 12e3, q8: 146e3, q11: 40e3 };

interface Options {
  json: boolean;
  events: number;
  runs: number;
  queries: string[];
  local: boolean;
  nodes: number;
  cpus: number;
  checkpointIntervalMs: number;
  sink: 'blackhole' | 'csv';
  vsFlink: boolean;
  warmupEvents: number;
}

const USAGE =
  'usage: npm run bench:nexmark -- [--json] [--events N] [--runs N] [--queries q0,q5,...] [--local] [--nodes N] [--cpus N] [--checkpoint-interval-ms N] [--sink blackhole|csv] [--vs-flink] [--warmup-events N]';

function parseArgs(argv: string[]): Options {
  const o: Options = {
    json: false,
    events: 1_000_000,
    runs: 1,
    queries: Object.keys(FLINK),
    local: false,
    nodes: 1,
    cpus: 2,
    checkpointIntervalMs: 1000,
    sink: 'blackhole',
    vsFlink: false,
    warmupEvents: -1,
  };
  const count = (i: number, min: number): number => {
    const n = Number(argv[i]);
    if (!Number.isSafeInteger(n) || n < min) {
      process.stderr.write(`${argv[i - 1]} must be an integer ≥ ${min}, got ${argv[i]}\n${USAGE}\n`);
      process.exit(2);
    }
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--json') o.json = true;
    else if (a === '--events') o.events = Number(argv[++i]);
    else if (a === '--runs') o.runs = Math.max(1, Number(argv[++i]));
    else if (a === '--queries') o.queries = (argv[++i] ?? '').split(',');
    else if (a === '--local') o.local = true;
    else if (a === '--sink' && (argv[i + 1] === 'csv' || argv[i + 1] === 'blackhole')) o.sink = argv[++i] as Options['sink'];
    else if (a === '--nodes') o.nodes = count(++i, 1);
    else if (a === '--cpus') o.cpus = count(++i, 1);
    else if (a === '--checkpoint-interval-ms') o.checkpointIntervalMs = count(++i, 0);
    else if (a === '--vs-flink') o.vsFlink = true;
    else if (a === '--warmup-events') o.warmupEvents = count(++i, 0);
    else {
      process.stderr.write(`unknown option ${a}\n${USAGE}\n`);
      process.exit(2);
    }
  }
  const unknown = o.queries.filter((q) => !(q in FLINK));
  if (!(Number.isSafeInteger(o.events) && o.events > 0) || unknown.length > 0) {
    process.stderr.write(
      `bad --events ${o.events} or unknown queries ${unknown.join(',')} (choose from ${Object.keys(FLINK).join(',')})\n`,
    );
    process.exit(2);
  }
  if (o.warmupEvents < 0) o.warmupEvents = o.vsFlink ? 100_000 : 0;
  if (o.vsFlink && o.local) {
    process.stderr.write(`--vs-flink compares the cluster with Flink's MiniCluster; leave out --local\n${USAGE}\n`);
    process.exit(2);
  }
  if (o.vsFlink && (o.events % (o.nodes * o.cpus) !== 0 || o.warmupEvents % (o.nodes * o.cpus) !== 0)) {
    process.stderr.write(`--vs-flink: --events and --warmup-events must be multiples of the parallelism (${o.nodes * o.cpus})\n`);
    process.exit(2);
  }
  return o;
}

type Run = Pick<NexmarkRun, 'seconds' | 'cpuSeconds' | 'detail'>;

/** One query on the single-thread runner. */
function runLocal(module: WebAssembly.Module, args: Record<string, string>): Run {
  const graph = nexmarkQueryGraph(module, args, o.sink);
  const cpu0 = ownCpuSeconds();
  const started = performance.now();
  const { parts } = runLocally(planStreamJob(graph, args, 1), {
    instantiate: (imports) => new WebAssembly.Instance(module, { ...refusingKeyedState(module), ...imports }),
  });
  const seconds = (performance.now() - started) / 1000;
  const rows = [...parts.values()].flat().reduce((n, p) => n + p.rows, 0);
  return { seconds, cpuSeconds: ownCpuSeconds() - cpu0, detail: `${rows} result rows` };
}

const o = parseArgs(process.argv.slice(2));
const core = new Uint8Array(readFileSync(PIPELINE));
const module = new WebAssembly.Module(core);
const cores = o.local ? 1 : o.nodes * o.cpus;
const results: Record<string, number> = {};
const perCpuSecond: Record<string, number> = {};
const log = (line: string): void => void (o.json || process.stderr.write(`bench:nexmark: ${line}\n`));
if (!o.json)
  process.stdout.write(
    o.local
      ? `single-thread runner, ${o.events} events, parallelism 1, ${o.sink} sinks\n`
      : `cluster: ${o.nodes} node process(es) × ${o.cpus} slot(s), parallelism ${cores}, ${o.events} events, ` +
          `checkpoints ${o.checkpointIntervalMs ? `every ${o.checkpointIntervalMs} ms` : 'off'}, ${o.sink} sinks` +
          `${o.warmupEvents ? `, each query warmed up over ${o.warmupEvents} events first` : ''}\n`,
  );

/** One wrt round: a fresh cluster (none with --local), warmed up, every query once, stopped. */
async function wrtRound(): Promise<Map<string, Run>> {
  const cluster = o.local ? null : await startLocalCluster(o.nodes, o.cpus, false, 0);
  const runOnce = (args: Record<string, string>): Promise<Run> | Run =>
    cluster
      ? runNexmarkOnCluster(cluster, module, core, args, { parallelism: cores, checkpointIntervalMs: o.checkpointIntervalMs, sink: o.sink })
      : runLocal(module, args);
  const runs = new Map<string, Run>();
  try {
    if (o.warmupEvents > 0) {
      log(`warming up: every query over ${o.warmupEvents} events, untimed`);
      for (const q of o.queries) await runOnce({ query: q, events: String(o.warmupEvents), seed: '0' });
    }
    for (const q of o.queries) {
      const r = await runOnce({ query: q, events: String(o.events), seed: '0' });
      log(`wrt ${q}: ${r.seconds.toFixed(2)} s, ${r.cpuSeconds.toFixed(2)} CPU-s (${r.detail})`);
      runs.set(q, r);
    }
  } finally {
    await cluster?.stop(); // before Flink starts: the two never share the machine
  }
  return runs;
}

/** Keeps `r` as query `q`'s run in `best` when it is the fastest so far. */
function keepFastest<T extends { seconds: number }>(best: Map<string, T>, q: string, r: T): void {
  if (!best.has(q) || r.seconds < best.get(q)!.seconds) best.set(q, r);
}

const best = new Map<string, Run>();
const flinkBest = new Map<string, FlinkRun>();
for (let round = 0; round < o.runs; round++) {
  for (const [q, r] of await wrtRound()) keepFastest(best, q, r);
  if (!o.vsFlink) continue;
  const runs = await runFlinkNexmark(
    {
      events: o.events,
      parallelism: cores,
      checkpointIntervalMs: o.checkpointIntervalMs,
      queries: o.queries,
      warmupEvents: o.warmupEvents,
    },
    log,
  );
  for (const r of runs) keepFastest(flinkBest, r.query, r);
}
for (const q of o.queries) {
  const r = best.get(q)!;
  results[q] = Math.round(o.events / r.seconds / cores);
  perCpuSecond[q] = Math.round(o.events / r.cpuSeconds);
  if (!o.json && !o.vsFlink)
    process.stdout.write(
      `${q.padEnd(4)} ${(results[q] / 1e3).toFixed(0).padStart(6)}K events/s/core   Flink 1.13 published ${(FLINK[q]! / 1e3).toFixed(0).padStart(4)}K   ` +
        `ratio ${(results[q] / FLINK[q]!).toFixed(2).padStart(5)}   ${(perCpuSecond[q] / 1e3).toFixed(0).padStart(5)}K events/CPU-s (all processes)   ` +
        `(${r.seconds.toFixed(2)} s, ${r.detail})\n`,
    );
}
if (!o.vsFlink) {
  if (o.json) process.stdout.write(JSON.stringify(results) + '\n');
} else {
  const flink: Record<string, number> = {};
  const flinkPerCpuSecond: Record<string, number> = {};
  for (const r of flinkBest.values()) {
    flink[r.query] = Math.round(r.events / r.seconds / r.parallelism);
    flinkPerCpuSecond[r.query] = Math.round(r.events / r.cpuSeconds);
  }
  if (o.json)
    process.stdout.write(
      JSON.stringify({ events: o.events, parallelism: cores, wrt: results, flink, wrtPerCpuSecond: perCpuSecond, flinkPerCpuSecond }) +
        '\n',
    );
  else {
    const k = (x: number): string => `${(x / 1e3).toFixed(0)}K`;
    process.stdout.write(
      `\nFlink 2.3 on a local MiniCluster (one JVM), parallelism ${cores}, the same events and checkpoint interval, blackhole sinks\n` +
        `${'query'.padEnd(6)}${'wrt /s/slot'.padStart(12)}${'Flink /s/slot'.padStart(14)}${'ratio'.padStart(7)}` +
        `${'wrt /CPU-s'.padStart(12)}${'Flink /CPU-s'.padStart(14)}${'ratio'.padStart(7)}\n`,
    );
    for (const q of o.queries)
      process.stdout.write(
        `${q.padEnd(6)}${k(results[q]!).padStart(12)}${k(flink[q]!).padStart(14)}${(results[q]! / flink[q]!).toFixed(2).padStart(7)}` +
          `${k(perCpuSecond[q]!).padStart(12)}${k(flinkPerCpuSecond[q]!).padStart(14)}${(perCpuSecond[q]! / flinkPerCpuSecond[q]!).toFixed(2).padStart(7)}\n`,
      );
  }
}
