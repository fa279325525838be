/**
 * `npm run bench:scale -- [--json] [--events 1000000,10000000] [--tasks 10000,100000,1000000]
 *   [--spill-mb 4096] [--arena-mb 256] [--parts nexmark,tasks,spill] [--queries q5,q7] [--nodes 1] [--cpus 2]
 *   [--checkpoint-interval-ms 1000] [--verbose]`
 *
 * How wrt's costs grow, on local clusters of processes (`wrt start`, a fresh cluster per row so
 * peaks are the row's own):
 * - **nexmark**: q5 and q7 (or `--queries`) at each `--events` count (a head and `--nodes` nodes,
 *   default 1, of `--cpus` slots, default 2; parallelism nodes × cpus; a checkpoint every
 *   `--checkpoint-interval-ms`, default 1000 — a run shorter than that takes none):
 *   events/s, the nodes' peak RSS (/proc VmHWM, the largest), and the size and duration of the largest checkpoint completed during the run (REST API,
 *   polled every 2 s: the last ones, taken as the sources finish, are small).
 * - **tasks**: each `--tasks` count of no-op tasks queued at the head (they ask for resource
 *   `gate`, which an actor of another driver holds): the head's RSS growth per queued task
 *   (/proc VmRSS before and after, so GC timing blurs small counts), the submit rate (until the
 *   head has counted them all) and the drain rate once the actor's driver leaves (until all ran).
 * - **spill**: `--spill-mb` of 64 MiB objects made by tasks on a node whose object store is
 *   `--arena-mb` (the `fill` task of tests/fixtures; a driver's own puts stay with the driver
 *   since ADR 0010, so they would never reach the node's store), every ref kept, so most must
 *   spill; then each is got back once by the driver. MB/s each way (MiB of objects per second of
 *   the phase: the tasks' writing and storing the bytes, and the transfer to the driver,
 *   included), with the node's spilled and restored byte counters. Ray publishes 488–811 MiB/s
 *   of spilling per node.
 * A Nexmark job that fails is a row with its failure (events/s 0) and the run exits 1 after the
 * table. Linux only (/proc). With --json, one object. Not a test: timings drift on a shared machine.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import process from 'node:process';
import { init, type ObjectRef } from '../sdk/node.js';
import { startLocalCluster, type LocalCluster } from '../runtime/launch/node/local-cluster.js';
import type { WrtError } from '../runtime/errors.js';
import { runNexmarkOnCluster } from './nexmark-run.js';

const PIPELINE = fileURLToPath(new URL('../../samples/nexmark/build/pipeline.core.wasm', import.meta.url));
const TASKS = fileURLToPath(new URL('../../tests/fixtures/build/tasks.wasm', import.meta.url));
const args = process.argv.slice(2);
const value = (flag: string): string | undefined => (args.includes(flag) ? args[args.indexOf(flag) + 1] : undefined);
const list = (flag: string, fallback: number[]): number[] => value(flag)?.split(',').map(Number) ?? fallback;
const json = args.includes('--json');
// --verbose: the cluster's processes write their stderr to ours.
const VERBOSE = args.includes('--verbose');
const EVENTS = list('--events', [1_000_000, 10_000_000]);
const TASK_COUNTS = list('--tasks', [10_000, 100_000, 1_000_000]);
const SPILL_MB = Number(value('--spill-mb') ?? 4096);
const ARENA_MB = Number(value('--arena-mb') ?? 256);
const PARTS = value('--parts')?.split(',') ?? ['nexmark', 'tasks', 'spill'];
const QUERIES = value('--queries')?.split(',') ?? ['q5', 'q7'];
// One node process of two slots, as bench:nexmark (on two nodes of one slot, q7 over 10 M events
// fails: docs/benchmarks.md, "why q7 over 10 M events on two nodes grows and dies").
const NODES = Number(value('--nodes') ?? 1);
const CPUS = Number(value('--cpus') ?? 2);
const CHECKPOINT_INTERVAL_MS = Number(value('--checkpoint-interval-ms') ?? 1000);
if (!Number.isSafeInteger(CHECKPOINT_INTERVAL_MS) || CHECKPOINT_INTERVAL_MS <= 0) {
  process.stderr.write(`bench:scale: --checkpoint-interval-ms must be a positive integer (ms), got ${value('--checkpoint-interval-ms')}\n`);
  process.exit(2);
}
const log = (line: string): void => void (json || process.stderr.write(`bench:scale: ${line}\n`));
const MiB = 2 ** 20;

/** A field of /proc/PID/status in bytes (VmRSS, VmHWM), 0 when unreadable. */
function statusBytes(pid: number | undefined, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

async function api<T>(cluster: LocalCluster, path: string): Promise<T> {
  const res = await fetch(`${cluster.httpUrl}${path}`, { headers: { Authorization: `Bearer ${cluster.token}` } });
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

/** The head's cumulative `wrt_tasks_<kind>_total`, from its /metrics. */
async function taskCounter(cluster: LocalCluster, kind: 'submitted' | 'finished'): Promise<number> {
  const res = await fetch(`${cluster.httpUrl}/metrics`, { headers: { Authorization: `Bearer ${cluster.token}` } });
  const m = new RegExp(`^wrt_tasks_${kind}_total (\\S+)$`, 'm').exec(await res.text());
  return m ? Number(m[1]) : 0;
}

const until = async (check: () => Promise<boolean>): Promise<void> => {
  while (!(await check())) await new Promise((r) => setTimeout(r, 100));
};

interface NexmarkRow {
  query: string;
  events: number;
  eventsPerSecond: number;
  peakNodeRssBytes: number;
  checkpointBytes: number;
  checkpointMs: number | null;
  /** The job's failure (`CODE: message`) when it did not finish; eventsPerSecond is then 0. */
  failure?: string;
}

/** The largest completed checkpoint in the history of the cluster's jobs (REST API), or null. */
async function largestCheckpoint(cluster: LocalCluster): Promise<{ sizeBytes: number; durationMs: number | null } | null> {
  const jobs = await api<{ items: { id: string }[] }>(cluster, '/api/v1/jobs');
  let best: { sizeBytes: number; durationMs: number | null } | null = null;
  for (const j of jobs.items) {
    const cp = await api<{ history: { sizeBytes: number; durationMs: number | null; status: string }[] }>(
      cluster,
      `/api/v1/jobs/${j.id}/checkpoints`,
    );
    for (const c of cp.history) if (c.status === 'completed' && c.sizeBytes > (best?.sizeBytes ?? 0)) best = c;
  }
  return best && { sizeBytes: best.sizeBytes, durationMs: best.durationMs };
}

async function nexmarkRows(): Promise<NexmarkRow[]> {
  const core = new Uint8Array(readFileSync(PIPELINE));
  const module = new WebAssembly.Module(core);
  const rows: NexmarkRow[] = [];
  for (const query of QUERIES)
    for (const events of EVENTS) {
      const dir = mkdtempSync(join(tmpdir(), 'wrt-scale-'));
      const cluster = await startLocalCluster(NODES, CPUS, VERBOSE, 0, { headArgs: ['--checkpoint-dir', dir] });
      try {
        log(`${query} over ${events} events`);
        // The largest checkpoint of the run: the job's history keeps the newest 50 only, and the
        // last ones, taken as the sources finish, are small.
        let largest: { sizeBytes: number; durationMs: number | null } = { sizeBytes: 0, durationMs: null };
        const watch = setInterval(() => {
          void largestCheckpoint(cluster)
            .then((c) => {
              if (c && c.sizeBytes > largest.sizeBytes) largest = c;
            })
            .catch(() => {});
        }, 2000);
        // A job that fails is a row too (its failure named), not the end of the table.
        const run = await runNexmarkOnCluster(
          cluster,
          module,
          core,
          { query, events: String(events), seed: '0' },
          {
            parallelism: NODES * CPUS,
            checkpointIntervalMs: CHECKPOINT_INTERVAL_MS,
            sink: 'blackhole',
          },
        )
          .catch((err: unknown) => ({ seconds: 0, failure: `${(err as WrtError).code ?? 'Error'}: ${(err as Error).message}` }))
          .finally(() => clearInterval(watch));
        const last = await largestCheckpoint(cluster);
        if (last && last.sizeBytes > largest.sizeBytes) largest = last;
        const row: NexmarkRow = {
          query,
          events,
          eventsPerSecond: 'failure' in run ? 0 : Math.round(events / run.seconds),
          peakNodeRssBytes: Math.max(...cluster.processes.slice(1).map((p) => statusBytes(p.pid, 'VmHWM'))),
          checkpointBytes: largest.sizeBytes,
          checkpointMs: largest.durationMs,
          ...('failure' in run ? { failure: run.failure } : {}),
        };
        rows.push(row);
        log(JSON.stringify(row));
      } finally {
        await cluster.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    }
  return rows;
}

interface TaskRow {
  tasks: number;
  headBytesPerQueuedTask: number;
  submitPerSecond: number;
  drainPerSecond: number;
}

async function taskRows(): Promise<TaskRow[]> {
  const rows: TaskRow[] = [];
  for (const n of TASK_COUNTS) {
    const cluster = await startLocalCluster(1, 2, false, 0, {
      headArgs: ['--max-tasks-per-driver', String(n + 1000), '--max-objects-per-driver', String(n + 1000)],
      nodeArgs: ['--resources', '{"gate":1000}'],
    });
    const holder = await init({ address: cluster.address, token: cluster.token });
    const rt = await init({ address: cluster.address, token: cluster.token });
    try {
      log(`${n} queued tasks`);
      // Another driver's actor holds all of "gate" (until that driver leaves): the tasks below wait at the head.
      await (
        await holder.load(TASKS)
      )
        .actor('counter')
        .options({ resources: { gate: 1000 } })
        .create(0);
      const noop = (await rt.load(TASKS)).remote('noop').options({ resources: { gate: 1 } });
      const before = await taskCounter(cluster, 'submitted');
      const head = cluster.processes[0]!.pid;
      const rss0 = statusBytes(head, 'VmRSS');
      const t0 = performance.now();
      const refs: ObjectRef[] = [];
      for (let i = 0; i < n; i++) {
        refs.push(noop.call());
        if (i % 10_000 === 9_999) await new Promise((r) => setImmediate(r)); // let the socket drain
      }
      await until(async () => (await taskCounter(cluster, 'submitted')) - before >= n);
      const submitSeconds = (performance.now() - t0) / 1000;
      const rss1 = statusBytes(head, 'VmRSS');
      const finished0 = await taskCounter(cluster, 'finished');
      const t1 = performance.now();
      await holder.shutdown(); // its actor dies and frees "gate"
      await until(async () => (await taskCounter(cluster, 'finished')) - finished0 >= n);
      const drainSeconds = (performance.now() - t1) / 1000;
      refs.forEach((r) => r.release());
      const row: TaskRow = {
        tasks: n,
        headBytesPerQueuedTask: Math.round((rss1 - rss0) / n),
        submitPerSecond: Math.round(n / submitSeconds),
        drainPerSecond: Math.round(n / drainSeconds),
      };
      rows.push(row);
      log(JSON.stringify(row));
    } finally {
      await rt.shutdown();
      await holder.shutdown().catch(() => {});
      await cluster.stop();
    }
  }
  return rows;
}

interface SpillRow {
  objects: number;
  objectMiB: number;
  arenaMiB: number;
  putMiBPerSecond: number;
  getMiBPerSecond: number;
  spilledMiB: number;
  restoredMiB: number;
}

async function spillRow(): Promise<SpillRow> {
  const dir = mkdtempSync(join(tmpdir(), 'wrt-scale-spill-'));
  const objectMiB = 64;
  // A 64 MiB output is past the default output cap (64 MiB of result frame).
  const cluster = await startLocalCluster(1, 2, false, 0, {
    nodeArgs: ['--store-mb', String(ARENA_MB), '--spill-dir', dir, '--max-output-mb', String(objectMiB + 1)],
  });
  const rt = await init({ address: cluster.address, token: cluster.token });
  try {
    const count = Math.max(1, Math.round(SPILL_MB / objectMiB));
    log(`spill: ${count} objects of ${objectMiB} MiB made on a node with a ${ARENA_MB} MiB arena`);
    const fill = (await rt.load(TASKS)).remote('fill');
    const bytes = objectMiB * MiB;
    const refs: ObjectRef[] = [];
    const t0 = performance.now();
    for (let i = 0; i < count; i++) {
      // fill(n): n bytes, byte j = j % 251; one at a time, as the puts were.
      const ref = fill.call(bytes);
      await rt.wait([ref]);
      refs.push(ref);
    }
    const putSeconds = (performance.now() - t0) / 1000;
    const t1 = performance.now();
    for (const [i, ref] of refs.entries()) {
      const got = await rt.get(ref);
      if (got.byteLength !== bytes || got[bytes - 1] !== (bytes - 1) % 251) throw new Error(`object ${i} came back wrong`);
      ref.release();
    }
    const getSeconds = (performance.now() - t1) / 1000;
    const nodes = await api<{ items: { spill: { spilledBytes: number; restoredBytes: number } }[] }>(cluster, '/api/v1/nodes');
    const spill = nodes.items[0]!.spill;
    return {
      objects: count,
      objectMiB,
      arenaMiB: ARENA_MB,
      putMiBPerSecond: Math.round((count * objectMiB) / putSeconds),
      getMiBPerSecond: Math.round((count * objectMiB) / getSeconds),
      spilledMiB: Math.round(spill.spilledBytes / MiB),
      restoredMiB: Math.round(spill.restoredBytes / MiB),
    };
  } finally {
    await rt.shutdown();
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const result: { nexmark?: NexmarkRow[]; tasks?: TaskRow[]; spill?: SpillRow } = {};
if (PARTS.includes('nexmark')) result.nexmark = await nexmarkRows();
if (PARTS.includes('tasks')) result.tasks = await taskRows();
if (PARTS.includes('spill')) result.spill = await spillRow();
if (json) process.stdout.write(JSON.stringify(result) + '\n');
else {
  const mb = (b: number): string => `${(b / MiB).toFixed(0)} MiB`;
  if (result.nexmark) {
    process.stdout.write(
      `Nexmark (head + ${NODES} node(s) × ${CPUS} slot(s), parallelism ${NODES * CPUS}, checkpoints every ${CHECKPOINT_INTERVAL_MS} ms)\nquery  events      events/s  peak node RSS  largest checkpoint, ms\n`,
    );
    for (const r of result.nexmark)
      process.stdout.write(
        `${r.query.padEnd(6)} ${String(r.events).padStart(9)} ${String(r.eventsPerSecond).padStart(12)} ${mb(r.peakNodeRssBytes).padStart(14)} ${mb(r.checkpointBytes).padStart(12)} ${String(r.checkpointMs ?? '-').padStart(10)}${r.failure ? `  FAILED ${r.failure}` : ''}\n`,
      );
  }
  if (result.tasks) {
    process.stdout.write('\nQueued tasks (head + 1 node × 2 slots)\ntasks      head bytes/task  submit/s   drain/s\n');
    for (const r of result.tasks)
      process.stdout.write(
        `${String(r.tasks).padStart(8)} ${String(r.headBytesPerQueuedTask).padStart(16)} ${String(r.submitPerSecond).padStart(9)} ${String(r.drainPerSecond).padStart(9)}\n`,
      );
  }
  if (result.spill) {
    const s = result.spill;
    process.stdout.write(
      `\nSpill: ${s.objects} × ${s.objectMiB} MiB made by tasks on a node with a ${s.arenaMiB} MiB arena: made ${s.putMiBPerSecond} MiB/s (${s.spilledMiB} MiB spilled), ` +
        `get ${s.getMiBPerSecond} MiB/s (${s.restoredMiB} MiB restored); Ray publishes 488–811 MiB/s of spilling per node\n`,
    );
  }
}
// A failed row (its job did not finish) makes the run fail too, after the table.
process.exit(result.nexmark?.some((r) => r.failure) ? 1 : 0);
