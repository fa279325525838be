// The head's REST API v1 (docs/rest-api.md) against a real head with two node processes and one
// finished job: every route's shape, pagination with cursors, filters, 400 and 404 answers, and
// the bearer credential every route needs.
import test from 'ava';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, TestCluster, WORDCOUNT, clusterFixture, runWrt } from '../helpers/wrt-process.js';

const f = clusterFixture('wrt-rest-');
let cluster: TestCluster;
let jobId = '';

test.before(async () => {
  cluster = f.cluster = await TestCluster.start([
    { name: 'alpha', cpus: 1, args: ['--no-gpu'] },
    { name: 'beta', cpus: 1, args: ['--no-gpu'] },
  ]);
  const r = await runWrt([
    'submit',
    WORDCOUNT,
    '--address',
    cluster.address,
    '--input',
    join(ROOT, 'README.md'),
    '--output',
    join(f.work, 'out'),
    '--json',
  ]);
  assert.equal(r.code, 0, r.stderr);
  jobId = (JSON.parse(r.stdout) as { jobId: string }).jobId;
});

async function get(path: string, token: string | null = cluster.token): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${cluster.httpUrl}${path}`, token ? { headers: { Authorization: `Bearer ${token}` } } : {});
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

test.serial('overview: version, nodes by kind, slots, jobs by state; no credential is 401', async () => {
  const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  const o = await get('/api/v1/overview');
  assert.equal(o.status, 200);
  assert.deepEqual(o.body, {
    version,
    nodes: { process: 2, browser: 0, volunteer: 0 },
    slots: { total: 2, busy: 0 },
    jobs: { Finished: 1 },
  });
  assert.equal((await get('/api/v1/overview', null)).status, 401);
});

test.serial('nodes: pages of `limit` with a cursor to the next; each node has its kind and store figures', async () => {
  const first = await get('/api/v1/nodes?limit=1');
  assert.equal(first.status, 200);
  assert.equal(first.body.total, 2);
  assert.equal(first.body.next, '1');
  const items = first.body.items as { name: string; kind: string; storeUsedBytes: number; gpuAdapter: string }[];
  assert.equal(items.length, 1);
  assert.equal(items[0]!.kind, 'process');
  assert.equal(typeof items[0]!.storeUsedBytes, 'number');
  const second = await get(`/api/v1/nodes?limit=1&cursor=${first.body.next as string}`);
  assert.equal(second.body.next, null);
  const names = [...items, ...(second.body.items as { name: string }[])].map((n) => n.name).sort();
  assert.deepEqual(names, ['alpha', 'beta']);
  for (const bad of ['limit=0', 'limit=501', 'limit=abc', 'cursor=-1']) {
    const r = await get(`/api/v1/nodes?${bad}`);
    assert.equal(r.status, 400, bad);
    assert.equal(r.body.error, 'WRT_INVALID_ARGUMENT');
  }
});

test.serial('jobs: the list, filtered by state; one job; an unknown job and an unknown route are 404', async () => {
  const all = await get('/api/v1/jobs');
  assert.equal(all.body.total, 1);
  assert.equal((await get('/api/v1/jobs?state=Finished')).body.total, 1);
  assert.equal((await get('/api/v1/jobs?state=Running')).body.total, 0);
  const one = await get(`/api/v1/jobs/${jobId}`);
  assert.equal(one.status, 200);
  assert.equal(one.body.id, jobId);
  assert.equal(one.body.state, 'Finished');
  assert.ok((one.body.tasksDone as number) > 0);
  const missing = await get('/api/v1/jobs/j-999');
  assert.equal(missing.status, 404);
  assert.match(missing.body.message as string, /no job j-999/);
  assert.equal((await get('/api/v1/nothing-here')).status, 404);
  assert.equal((await get('/api/status')).status, 200, '/api/status stays for wrt status');
});

test.serial('wrt list prints the jobs as a table, and as JSON with --json', async () => {
  const table = await runWrt(['list', '--address', cluster.httpUrl]);
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout, /^JOB\s+STATE\s+TASKS\s+NAME\s+NODES\n/);
  assert.match(table.stdout, new RegExp(`^${jobId}\\s+Finished\\s+(\\d+)/\\1\\s+wordcount\\s+`, 'm'));
  const json = await runWrt(['list', '--address', cluster.address, '--json']);
  assert.equal(json.code, 0, json.stderr);
  assert.deepEqual(
    (JSON.parse(json.stdout) as { id: string }[]).map((j) => j.id),
    [jobId],
  );
});
