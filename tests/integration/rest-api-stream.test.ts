// The head's REST API, /metrics and the job commands of the CLI while a stream job runs: Nexmark
// q1 (100 million events, so it runs until cancelled) with checkpoints on a head and two node
// processes. Per-vertex records rise between two reads, every subtask has a watermark, checkpoints
// complete and show in the history, a savepoint triggered through the API is polled to its path on
// disk, Prometheus text carries the same figures, and `wrt status JOB`, `wrt logs`, `wrt cancel`
// act through the same API.
import test from 'ava';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { TestCluster, clusterFixture, runWrt, startWrt } from '../helpers/wrt-process.js';
import { nexmarkQ1 } from '../security/attack-helpers.js';
import { until } from '../helpers/until.js';

const f = clusterFixture('wrt-rest-stream-');
let cluster: TestCluster;
let job = '';

interface Vertex {
  id: string;
  kind: string;
  recordsIn: number;
  recordsOut: number;
  recordsOutPerSecond: number;
  backPressure: number;
  backPressureLevel: string;
  outputWatermark: number | null;
  subtasks: { index: number; node: string; outputWatermark: number | null; state: string }[];
}

async function api<T = Record<string, unknown>>(path: string, init: RequestInit = {}): Promise<{ status: number; body: T }> {
  const res = await fetch(`${cluster.httpUrl}${path}`, { ...init, headers: { Authorization: `Bearer ${cluster.token}` } });
  return { status: res.status, body: (await res.json()) as T };
}

test.before(async () => {
  cluster = f.cluster = await TestCluster.start(
    [
      { name: 'alpha', cpus: 1, args: ['--no-gpu'] },
      { name: 'beta', cpus: 1, args: ['--no-gpu'] },
    ],
    ['--checkpoint-dir', join(f.work, 'checkpoints'), '--savepoint-dir', join(f.work, 'savepoints')],
  );
  const submit = startWrt(nexmarkQ1(cluster, 100_000_000, join(f.work, 'q1'), ['--parallelism', '2', '--checkpoint-interval-ms', '300']));
  job = (await submit.waitFor(/stream job (j-\d+) accepted/))[1]!;
});

test.serial('a running stream job: its graph, records rising, rates, watermarks per subtask, completed checkpoints', async () => {
  const read = async (): Promise<Vertex[]> => (await api<{ vertices: Vertex[] }>(`/api/v1/jobs/${job}`)).body.vertices;
  const first = await until(async () => {
    const v = await read();
    return v.every((x) => x.outputWatermark !== null) && v[0]!.recordsOut > 0 ? v : null;
  }, 'every vertex has records and a watermark');
  const detail = (await api<{ kind: string; state: string; edges: { from: string; to: string }[] }>(`/api/v1/jobs/${job}`)).body;
  assert.equal(detail.kind, 'stream');
  assert.equal(detail.state, 'Running');
  assert.ok(detail.edges.length >= first.length - 1);
  for (const v of first) {
    assert.equal(v.subtasks.length, 2, v.id);
    for (const s of v.subtasks) assert.ok(['alpha', 'beta'].includes(s.node), s.node);
    assert.ok(v.backPressure >= 0 && v.backPressure <= 1);
    assert.match(v.backPressureLevel, /^(ok|low|high)$/);
  }
  const source = first.find((v) => v.kind === 'Source')!;
  const later = await until(async () => {
    const v = (await read()).find((x) => x.id === source.id)!;
    return v.recordsOut > source.recordsOut && v.recordsOutPerSecond > 0 ? v : null;
  }, 'the source has read more, at a rate');
  assert.ok(later.recordsOut > source.recordsOut);
  const sink = first.find((v) => v.kind === 'Sink')!;
  assert.ok(sink.recordsIn > 0, 'records reached the sink');

  const watermarks = (await api<{ vertex: string; index: number; outputWatermark: number | null }[]>(`/api/v1/jobs/${job}/watermarks`))
    .body;
  assert.equal(watermarks.length, first.length * 2, 'one row per subtask');
  assert.ok(watermarks.every((w) => typeof w.outputWatermark === 'number'));
  const one = await api<Vertex>(`/api/v1/jobs/${job}/vertices/${source.id}`);
  assert.equal(one.body.id, source.id);
  assert.equal((await api(`/api/v1/jobs/${job}/vertices/nowhere`)).status, 404);

  const cps = await until(async () => {
    const c = (
      await api<{
        counts: { completed: number };
        history: { id: number; status: string; durationMs: number; sizeBytes: number; path: string }[];
      }>(`/api/v1/jobs/${job}/checkpoints`)
    ).body;
    return c.counts.completed >= 2 ? c : null;
  }, 'two checkpoints completed');
  const done = cps.history.filter((c) => c.status === 'completed');
  assert.ok(done[0]!.id > done[1]!.id, 'newest first');
  for (const c of done) {
    assert.ok(c.sizeBytes > 0);
    assert.ok(c.durationMs >= 0);
    assert.ok(c.path.startsWith(join(f.work, 'checkpoints')), c.path);
  }
});

test.serial('a savepoint through the API: a trigger id, polled until its path exists on disk', async () => {
  const post = await api<{ triggerId: string }>(`/api/v1/jobs/${job}/savepoints`, { method: 'POST' });
  assert.equal(post.status, 202);
  const t = await until(async () => {
    const r = (await api<{ status: string; path: string }>(`/api/v1/jobs/${job}/savepoints/${post.body.triggerId}`)).body;
    return r.status !== 'IN_PROGRESS' ? r : null;
  }, 'the savepoint is written');
  assert.equal(t.status, 'COMPLETED');
  assert.ok(t.path.startsWith(join(f.work, 'savepoints')), t.path);
  assert.ok(existsSync(join(t.path, '_metadata')));
  assert.equal((await api(`/api/v1/jobs/${job}/savepoints/no-such-trigger`)).status, 404);
  const history = (await api<{ history: { kind: string; status: string }[] }>(`/api/v1/jobs/${job}/checkpoints`)).body.history;
  assert.ok(history.some((c) => c.kind === 'savepoint' && c.status === 'completed'));
});

test.serial('/metrics: Prometheus text with the job, vertex, node and cluster series', async () => {
  const res = await fetch(`${cluster.httpUrl}/metrics`, { headers: { Authorization: `Bearer ${cluster.token}` } });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
  const text = await res.text();
  const value = (name: string, labels: string): number => {
    const m = new RegExp(`^${name}\\{[^}]*${labels}[^}]*\\} (\\S+)$`, 'm').exec(text);
    assert.ok(m, `${name}{${labels}} in the scrape`);
    return Number(m[1]);
  };
  assert.ok(value('wrt_job_vertex_records_out_total', `job_id="${job}"`) > 0);
  assert.ok(value('wrt_job_vertex_output_watermark_seconds', `job_id="${job}"`) > 1e9, 'event time in seconds');
  assert.ok(value('wrt_job_checkpoints_completed_total', `job_id="${job}"`) >= 2);
  assert.ok(value('wrt_job_last_checkpoint_size_bytes', `job_id="${job}"`) > 0);
  assert.equal(value('wrt_node_slots', 'node="alpha"'), 1);
  assert.equal(value('wrt_jobs', 'state="Running"'), 1);
  assert.match(text, /^# TYPE wrt_job_vertex_back_pressured_seconds_total counter$/m);
  assert.match(text, /^wrt_tasks_submitted_total \d+$/m);
  assert.equal((await fetch(`${cluster.httpUrl}/metrics`)).status, 401);
});

test.serial('wrt status JOB, wrt status --json, wrt logs, then wrt cancel through the API', async () => {
  const status = await runWrt(['status', job, '--address', cluster.httpUrl]);
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, new RegExp(`^${job} "nexmark-q1" \\(stream\\): Running`));
  assert.match(status.stdout, /^VERTEX\s+KIND\s+PAR\s+IN\s+OUT\s+IN\/S\s+OUT\/S\s+BACKPRESSURE\s+WATERMARK\s+STATE$/m);
  assert.match(status.stdout, /^checkpoints: every 300 ms; \d+ completed/m);
  const json = await runWrt(['status', '--json', '--address', cluster.address]);
  assert.equal(json.code, 0, json.stderr);
  const all = JSON.parse(json.stdout) as { nodes: { name: string }[]; jobs: { id: string; state: string }[] };
  assert.deepEqual(all.nodes.map((n) => n.name).sort(), ['alpha', 'beta']);
  assert.deepEqual(
    all.jobs.map((j) => [j.id, j.state]),
    [[job, 'Running']],
  );
  const logs = await runWrt(['logs', job, '--address', cluster.httpUrl]);
  assert.equal(logs.code, 0, logs.stderr);
  assert.match(logs.stdout, /met no failures/);

  const cancel = await runWrt(['cancel', job, '--address', cluster.address]);
  assert.equal(cancel.code, 0, cancel.stderr);
  const ended = (await api<{ state: string; recordsPerSecond?: number }>(`/api/v1/jobs/${job}`)).body;
  assert.equal(ended.state, 'Cancelled');
  const again = await runWrt(['cancel', job, '--address', cluster.address]);
  assert.equal(again.code, 2, 'a job that is not running is bad input');
  assert.match(again.stderr, /cancelled, not running/);
  const unknown = await runWrt(['status', 'j-404', '--address', cluster.address]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /no job j-404/);
});
