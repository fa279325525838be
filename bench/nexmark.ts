/**
 * `npm run bench:nexmark -- [--json] [--events N] [--runs N] [--queries q0,q5,…]`
 *
 * Events per second per core for each Nexmark query, beside Flink's published per-core figures
 * (Nexmark on Flink 1.13). Each query runs samples/nexmark/build/pipeline.wasm — its job graph
 * from `configure`, its wasm operators, the built-in windows and joins — over `--events` generated
 * events (default 500 000, seed 0, generation included as in Flink's figures) at parallelism 1
 * in the single-thread stream runner, so the wall time is one core's. Best of `--runs` (default 2).
 * With --json, one JSON object `{"q0": eventsPerSecondPerCore, …}`. Not a test: the machine is
 * shared and timings drift; compare the ratios. Checkpoints are not built yet, so none are on.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import process from 'node:process';
import { callConfigure } from '../runtime/node/operator-call.js';
import { decodeJobGraph } from '../runtime/protocol/job-graph-codec.js';
import { planStreamJob } from '../runtime/stream/execution-graph.js';
import { runLocally } from '../runtime/stream/local-runner.js';
import { refusingKeyedState } from '../runtime/stream/keyed-state-imports.js';

const PIPELINE = fileURLToPath(new URL('../../samples/nexmark/build/pipeline.core.wasm', import.meta.url));

/** Events/s per core, Nexmark on Flink 1.13 (nexmark/nexmark README). */
const FLINK: Record<string, number> = { q0: 155e3, q1: 158e3, q2: 175e3, q3: 152e3, q4: 34e3, q5: 22e3, q7: 12e3, q8: 146e3, q11: 40e3 };

interface Options {
  json: boolean;
  events: number;
  runs: number;
  queries: string[];
}

function parseArgs(argv: string[]): Options {
  const o: Options = { json: false, events: 500_000, runs: 2, queries: Object.keys(FLINK) };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--json') o.json = true;
    else if (a === '--events') o.events = Number(argv[++i]);
    else if (a === '--runs') o.runs = Math.max(1, Number(argv[++i]));
    else if (a === '--queries') o.queries = (argv[++i] ?? '').split(',');
    else {
      process.stderr.write(`unknown option ${a}\nusage: npm run bench:nexmark -- [--json] [--events N] [--runs N] [--queries q0,q5,...]\n`);
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
  return o;
}

const o = parseArgs(process.argv.slice(2));
const module = new WebAssembly.Module(readFileSync(PIPELINE));
const results: Record<string, number> = {};
for (const q of o.queries) {
  const args = { query: q, events: String(o.events), seed: '0' };
  const graph = decodeJobGraph(callConfigure(new WebAssembly.Instance(module, refusingKeyedState(module)), args));
  let best = Infinity;
  let rows = 0;
  for (let run = 0; run < o.runs; run++) {
    const started = performance.now();
    const { parts } = runLocally(planStreamJob(graph, args, 1), {
      instantiate: (imports) => new WebAssembly.Instance(module, { ...refusingKeyedState(module), ...imports }),
    });
    best = Math.min(best, (performance.now() - started) / 1000);
    rows = [...parts.values()].flat().reduce((s, p) => s + p.rows, 0);
  }
  results[q] = Math.round(o.events / best);
  if (!o.json)
    process.stdout.write(
      `${q.padEnd(4)} ${(results[q] / 1e3).toFixed(0).padStart(6)}K events/s/core   Flink ${(FLINK[q]! / 1e3).toFixed(0).padStart(4)}K   ratio ${(results[q] / FLINK[q]!).toFixed(2)}   (${rows} result rows, ${best.toFixed(2)} s)\n`,
    );
}
if (o.json) process.stdout.write(JSON.stringify(results) + '\n');
