// A real Prometheus server scrapes the head's /metrics (with a viewer token, as docs/metrics.md
// configures it) while a head and two node processes run a bounded Nexmark q1 stream job and ten
// tasks; Prometheus' own query API then holds wrt_ series with exactly the values the work
// produced: the source's records out equal the events it generated, the bid view's records out
// the bids among them, the sink's records in the rows it wrote, ten finished tasks, one slot per node, the job finished.
import test from 'ava';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, TestCluster, clusterFixture, runWrt } from '../helpers/wrt-process.js';
import { PrometheusServer } from '../helpers/prometheus-server.js';
import { nexmarkQ1 } from '../security/attack-helpers.js';
import { until } from '../helpers/until.js';
import { asNumber, init } from '../../sdk/node.js';
import { deriveToken } from '../../runtime/protocol/credentials.js';

const f = clusterFixture('wrt-prometheus-');
let prometheus: PrometheusServer | undefined;
test.after.always(async () => prometheus?.stop());

const EVENTS = 200_000;

test.serial('Prometheus scrapes the head and stores the job, vertex, task and node series with the values of the work done', async (t) => {
  t.timeout(150_000);
  const cluster = (f.cluster = await TestCluster.start([
    { name: 'alpha', cpus: 1, args: ['--no-gpu'] },
    { name: 'beta', cpus: 1, args: ['--no-gpu'] },
  ]));
  const viewer = await deriveToken(cluster.token, 'viewer', 'prometheus');
  prometheus = await PrometheusServer.start(new URL(cluster.httpUrl).host, viewer);
  await until(async () => (await prometheus!.target()).health === 'up', 'Prometheus scrapes the head', { timeoutMs: 30_000 });

  const out = join(f.work, 'q1');
  const run = await runWrt([...nexmarkQ1(cluster, EVENTS, out, ['--parallelism', '2', '--checkpoint-interval-ms', '300']), '--json']);
  assert.equal(run.code, 0, run.stderr);
  const job = (JSON.parse(run.stdout) as { jobId: string }).jobId;
  const rows = readdirSync(out)
    .filter((p) => p.startsWith('part-'))
    .reduce((n, p) => n + readFileSync(join(out, p), 'utf8').split('\n').filter(Boolean).length - 1, 0);
  assert.equal(rows, (EVENTS * 46) / 50, 'q1 writes one row per bid (46 of every 50 events)');

  const rt = await init({ address: cluster.address, token: cluster.token });
  try {
    const add = (await rt.load(`${FIXTURES}tasks.wasm`)).remote('add');
    assert.equal((await rt.get(Array.from({ length: 10 }, (_, i) => add.call(i, i)))).map(asNumber).length, 10);
  } finally {
    await rt.shutdown();
  }

  const res = await fetch(`${cluster.httpUrl}/api/v1/jobs/${job}`, { headers: { Authorization: `Bearer ${viewer}` } });
  const vertices = ((await res.json()) as { vertices: { id: string; kind: string }[] }).vertices;
  const source = vertices.find((v) => v.kind === 'Source')!.id;
  const sink = vertices.find((v) => v.kind === 'Sink')!.id;
  const value = async (promql: string): Promise<number | null> => {
    const r = await prometheus!.query(promql);
    return r.length === 1 ? r[0]!.value : null;
  };
  const settled = (promql: string, expected: number): Promise<true> =>
    until(async () => ((await value(promql)) === expected ? true : null), `${promql} = ${expected} in Prometheus`, {
      timeoutMs: 30_000,
    });

  await settled(`sum(wrt_job_vertex_records_out_total{job_id="${job}",vertex="${source}"})`, EVENTS);
  await settled(`sum(wrt_job_vertex_records_out_total{job_id="${job}",vertex="euros"})`, rows);
  await settled(`sum(wrt_job_vertex_records_in_total{job_id="${job}",vertex="${sink}"})`, rows);
  await settled(`count(wrt_job_vertex_output_watermark_seconds{job_id="${job}"})`, vertices.length * 2);
  await settled('wrt_tasks_finished_total', 10);
  await settled('wrt_tasks_failed_total', 0);
  await settled('wrt_jobs{state="Finished"}', 1);
  await settled('sum(wrt_node_slots)', 2);
  await settled('count(wrt_node_tasks_finished_total)', 2);
  await settled('sum(wrt_node_tasks_submitted_total)', 10); // the ten tasks, no actor calls
  await settled('sum(wrt_node_tasks_retried_total)', 0);
  const perNode = await prometheus.query('wrt_node_slots');
  assert.deepEqual(perNode.map((s) => s.metric.node).sort(), ['alpha', 'beta']);
  assert.ok(((await value('up{job="wrt"}')) ?? 0) === 1);
  assert.ok(((await value('wrt_head_process_resident_memory_bytes')) ?? 0) > 0, "the head's own process figures");
});
