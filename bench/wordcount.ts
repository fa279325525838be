/**
 * `npm run bench:wordcount -- [--json] [--chunk-mb N] [--runs N] FILES...`
 *
 * In one process run and on the same input: a single-threaded plain TypeScript word count (the
 * baseline: TextDecoder, `/[\p{L}\p{M}\p{N}]+/gu`, toLowerCase, a Map), then `wrt submit` to an
 * embedded cluster of one node (all cores as slots) and of two nodes (the cores split between
 * them). Every figure, the baseline's too, is the best of `--runs` (default 3) warm runs: each
 * side first runs once untimed (the baseline's JIT and page cache; wrt's cluster, module cache and
 * workers), then `--runs` timed runs. A wrt run is a submission to the already running cluster,
 * end to end from the client: loading the pipeline, planning and shipping chunks, map, shuffle,
 * reduce and writing the output. Prints MB/s (10^6 bytes of input per second) and the
 * ratios; with --json, one JSON object. Not a test: the machine is shared and timings drift.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import process from 'node:process';
import { resolveInputs } from '../runtime/cli/input-chunks.js';
import { startLocalCluster } from '../runtime/launch/node/local-cluster.js';
import { submit } from '../runtime/cli/submit.js';

const WORDCOUNT = fileURLToPath(new URL('../../samples/wordcount/build/pipeline.wasm', import.meta.url));

interface Options {
  json: boolean;
  chunkMb: number;
  runs: number;
  files: string[];
}

function parseArgs(argv: string[]): Options {
  const o: Options = { json: false, chunkMb: 4, runs: 3, files: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--json') o.json = true;
    else if (a === '--chunk-mb') o.chunkMb = Number(argv[++i]);
    else if (a === '--runs') o.runs = Math.max(1, Number(argv[++i]));
    else if (a.startsWith('--')) throw new Error(`unknown option ${a}`);
    else o.files.push(a);
  }
  if (o.files.length === 0) {
    process.stderr.write('usage: npm run bench:wordcount -- [--json] [--chunk-mb N] [--runs N] FILES...\n');
    process.exit(2);
  }
  return o;
}

function baseline(paths: string[]): { seconds: number; tokens: number; distinct: number } {
  const started = performance.now();
  const counts = new Map<string, number>();
  const re = /[\p{L}\p{M}\p{N}]+/gu;
  for (const p of paths) {
    const text = new TextDecoder().decode(readFileSync(p));
    for (const m of text.matchAll(re)) {
      const k = m[0].toLowerCase();
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
  }
  let tokens = 0;
  for (const v of counts.values()) tokens += v;
  return { seconds: (performance.now() - started) / 1000, tokens, distinct: counts.size };
}

async function wrtRun(nodes: number, cpus: number, o: Options, expect: { tokens: number; distinct: number }): Promise<number> {
  const cluster = await startLocalCluster(nodes, cpus);
  const work = mkdtempSync(join(tmpdir(), 'wrt-bench-'));
  try {
    let best = 0;
    for (let r = -1; r < o.runs; r++) {
      const s = await submit(WORDCOUNT, {
        input: o.files,
        output: join(work, `out-${r + 1}`),
        address: cluster.address,
        chunkMb: o.chunkMb,
        overwrite: false,
        nodes,
        arg: {},
        progress: false,
        json: true,
      });
      if (s.tokens !== expect.tokens || s.distinctTokens !== expect.distinct) {
        throw new Error(
          `wrt (${nodes} node(s)) counted ${s.tokens}/${s.distinctTokens} tokens, the baseline ${expect.tokens}/${expect.distinct}`,
        );
      }
      if (r >= 0) best = Math.max(best, s.mbPerSecond); // run -1 warms up
    }
    return best;
  } finally {
    await cluster.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

const o = parseArgs(process.argv.slice(2));
const files = await resolveInputs(o.files);
const bytes = files.reduce((s, f) => s + f.bytes, 0);
const cores = availableParallelism();
const log = (s: string): void => {
  if (!o.json) process.stderr.write(s + '\n');
};
log(
  `input: ${files.length} file(s), ${(bytes / 1e6).toFixed(1)} MB; ${cores} cores; chunk ${o.chunkMb} MiB; each side best of ${o.runs} warm run(s)`,
);
const paths = files.map((f) => f.path);
const base = baseline(paths); // warms up; its time is not counted
const baselineSeconds = Math.min(...Array.from({ length: o.runs }, () => baseline(paths).seconds));
const baselineMbps = bytes / 1e6 / baselineSeconds;
log(`baseline (single-threaded TypeScript): ${baselineMbps.toFixed(1)} MB/s`);
const oneNode = await wrtRun(1, cores, o, base);
log(`wrt, 1 node x ${cores} slots: ${oneNode.toFixed(1)} MB/s`);
const twoNodes = await wrtRun(2, Math.max(1, Math.floor(cores / 2)), o, base);
log(`wrt, 2 nodes x ${Math.max(1, Math.floor(cores / 2))} slots: ${twoNodes.toFixed(1)} MB/s`);
const result = {
  inputBytes: bytes,
  cores,
  mbPerSecond: { baseline: baselineMbps, wrt1Node: oneNode, wrt2Nodes: twoNodes },
  ratios: {
    wrt1NodeVsBaseline: oneNode / baselineMbps,
    wrt2NodesVsBaseline: twoNodes / baselineMbps,
    wrt2NodesVs1Node: twoNodes / oneNode,
  },
};
if (o.json) process.stdout.write(JSON.stringify(result) + '\n');
else {
  const rows = [
    ['baseline (TS, 1 thread)', baselineMbps, 1],
    ['wrt, 1 node', oneNode, oneNode / baselineMbps],
    ['wrt, 2 nodes', twoNodes, twoNodes / baselineMbps],
  ] as const;
  process.stdout.write(`${'run'.padEnd(26)}${'MB/s'.padStart(10)}${'x baseline'.padStart(12)}\n`);
  for (const [name, mbps, ratio] of rows)
    process.stdout.write(`${name.padEnd(26)}${mbps.toFixed(1).padStart(10)}${ratio.toFixed(2).padStart(12)}\n`);
}
