/**
 * What `wrt status`, `wrt list` and `wrt logs` print (readable tables; `--json` prints the API's
 * objects instead), and the PEM files of the CLI's TLS options (`--tls-cert`, `--tls-key`, `--ca-file`).
 */
import { readFile } from 'node:fs/promises';
import { WrtError } from '../errors.js';
import type { CheckpointsView, JobDetail } from '../head/job-views.js';
import type { JobException } from '../scheduler/cluster-job.js';
import type { ClusterStatus } from '../head/head.js';

/**
 * Reads a PEM file named by `flag`.
 * @throws WrtError `WRT_INVALID_ARGUMENT` when it cannot be read or holds no PEM block
 */
export async function readPem(file: string, flag: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new WrtError('WRT_INVALID_ARGUMENT', `${flag} ${file}: ${(err as Error).message}`);
  }
  if (!text.includes('-----BEGIN ')) throw new WrtError('WRT_INVALID_ARGUMENT', `${flag} ${file} holds no PEM block (-----BEGIN …)`);
  return text;
}

/** The PEM certificates of `--ca-file`, or undefined without one. */
export function readCa(file: string | undefined): Promise<string | undefined> {
  return file ? readPem(file, '--ca-file') : Promise.resolve(undefined);
}

/** One job of `GET /api/v1/jobs` (docs/rest-api.md). */
export type JobListItem = Omit<JobDetail, 'vertices' | 'edges'> & { recordsPerSecond: number | null };

/** `GET /api/v1/overview`. */
export interface Overview {
  version: string;
  nodes: Record<string, number>;
  slots: { total: number; busy: number };
  jobs: Record<string, number>;
}

/** One node of `GET /api/v1/nodes`. */
export type NodeItem = ClusterStatus['nodes'][number] & { kind: string };

/** Rows as a table: columns padded to their widest cell, the last one not padded. */
export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  ')).join('\n') + '\n';
}

/** A duration in ms as `1h02m`, `3m04s` or `5.2s`. */
export function duration(ms: number): string {
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(Math.floor(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** A count with a K/M/G suffix (1234567 → 1.23M). */
export function count(n: number | null): string {
  if (n === null) return '-';
  const units: [number, string][] = [
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'K'],
  ];
  for (const [size, unit] of units) if (Math.abs(n) >= size) return `${(n / size).toPrecision(3)}${unit}`;
  return String(Math.round(n));
}

/** Bytes as B, KiB, MiB or GiB. */
export function bytes(n: number | null): string {
  if (n === null) return '-';
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(1)} ${units[u]}`;
}

/** An event-time watermark (ms since the epoch) as ISO-8601, or `-` before the first. */
function watermark(ms: number | null): string {
  return ms === null ? '-' : new Date(ms).toISOString().replace('.000Z', 'Z');
}

/** `jobs` as a table: id, state, duration, throughput (records/s its sources read), subtasks, name. */
export function formatJobs(jobs: JobListItem[]): string {
  if (jobs.length === 0) return 'no jobs\n';
  return table([
    ['JOB', 'STATE', 'DURATION', 'RECORDS/S', 'TASKS', 'NAME'],
    ...jobs.map((j) => [
      j.id,
      j.state,
      duration(j.durationMs),
      j.recordsPerSecond === null ? '-' : count(j.recordsPerSecond),
      `${j.tasksDone}/${j.tasksTotal}`,
      j.name,
    ]),
  ]);
}

/**
 * A volunteer's trust record in one cell: `V valid, I invalid` and its standing (`trusted`,
 * `quarantined`, `paused`), e.g. `14 valid, 0 invalid, trusted`; `-` for trusted nodes.
 */
export function trustOf(n: NodeItem): string {
  const t = n.trust;
  if (!t) return '-';
  const standing = t.quarantined ? ', quarantined' : t.trusted ? ', trusted' : '';
  return `${t.valid} valid, ${t.invalid} invalid${standing}${t.offered === 0 ? ', paused' : ''}`;
}

/** The cluster at a glance: version, slots, nodes and jobs. */
export function formatCluster(o: Overview, nodes: NodeItem[], jobs: JobListItem[]): string {
  const byState = Object.entries(o.jobs)
    .map(([s, n]) => `${n} ${s.toLowerCase()}`)
    .join(', ');
  const lines = [
    `wrt ${o.version}: ${nodes.length} node(s), ${o.slots.busy}/${o.slots.total} slots busy, jobs: ${byState || 'none'}`,
    '',
    nodes.length
      ? table([
          ['NODE', 'NAME', 'KIND', 'SLOTS', 'GRANTS', 'FINISHED', 'FAILED', 'STORE', 'SPILLED', 'GPU', 'TRUST'],
          ...nodes.map((n) => [
            n.id,
            n.name,
            n.kind,
            String(n.cpus),
            String(n.running),
            count(n.tasksFinished),
            count(n.tasksFailed),
            bytes(n.storeUsedBytes),
            bytes(n.spill.spilledBytes),
            n.gpus ? n.gpuAdapter : '-',
            trustOf(n),
          ]),
        ])
      : 'no nodes\n',
    formatJobs(jobs),
  ];
  return lines.join('\n');
}

/** One job: its summary, its vertices with records, rates, back-pressure and watermarks, and its checkpoints. */
export function formatJob(j: JobDetail, c: CheckpointsView | null): string {
  const out = [
    `${j.id} "${j.name}" (${j.kind}): ${j.state} for ${duration(j.durationMs)}, ${j.tasksDone}/${j.tasksTotal} subtasks done` +
      (j.restarts ? `, ${j.restarts} restart(s)` : ''),
  ];
  if (j.message) out.push(j.message);
  if (j.nodes.length) out.push(`nodes: ${j.nodes.join(', ')}`);
  out.push('');
  out.push(
    table([
      ['VERTEX', 'KIND', 'PAR', 'IN', 'OUT', 'IN/S', 'OUT/S', 'BACKPRESSURE', 'WATERMARK', 'STATE'],
      ...j.vertices.map((v) => [
        v.id,
        v.kind,
        String(v.parallelism),
        count(v.recordsIn),
        count(v.recordsOut),
        count(v.recordsInPerSecond),
        count(v.recordsOutPerSecond),
        `${Math.round(v.backPressure * 100)}% ${v.backPressureLevel}`,
        watermark(v.outputWatermark),
        bytes(v.stateBytes),
      ]),
    ]),
  );
  if (c) {
    const latest = c.latest
      ? `latest ${c.latest.id}: ${bytes(c.latest.sizeBytes)} in ${c.latest.durationMs ?? 0} ms at ${c.latest.path}`
      : 'none completed yet';
    out.push(
      `checkpoints: ${c.intervalMs ? `every ${c.intervalMs} ms` : 'savepoints only'}; ${c.counts.completed} completed, ${c.counts.failed} failed, ${c.counts.inProgress} in progress; ${latest}`,
    );
  }
  return out.join('\n') + '\n';
}

/** A job's exceptions, oldest first: time, code, what came of it, message. */
export function formatExceptions(jobId: string, exceptions: JobException[]): string {
  if (exceptions.length === 0) return `job ${jobId} met no failures\n`;
  return (
    [...exceptions]
      .sort((a, b) => a.time - b.time)
      .map((e) => `${new Date(e.time).toISOString()}  ${e.code}  ${e.outcome}  ${e.message}`)
      .join('\n') + '\n'
  );
}
