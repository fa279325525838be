// The head's REST API v1 (docs/rest-api.md) against a real head with two node processes, one
// finished batch job, tasks, actors and a put: every read route's shape, pagination with cursors,
// filters, 400, 403 and 404 answers, and the credential each route needs. Stream jobs, mutations
// and /metrics: rest-api-stream.test.ts.
import test from 'ava';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, ROOT, TestCluster, WORDCOUNT, clusterFixture, runWrt } from '../helpers/wrt-process.js';
import { asNumber, init } from '../../sdk/node.js';
import { deriveToken } from '../../runtime/protocol/credentials.js';
import { until } from '../helpers/until.js';

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
  assert.match(table.stdout, /^JOB\s+STATE\s+DURATION\s+RECORDS\/S\s+TASKS\s+NAME\n/);
  assert.match(table.stdout, new RegExp(`^${jobId}\\s+Finished\\s+[\\d.]+s\\s+-\\s+(\\d+)/\\1\\s+wordcount\\n`, 'm'));
  const json = await runWrt(['list', '--address', cluster.address, '--json']);
  assert.equal(json.code, 0, json.stderr);
  assert.deepEqual(
    (JSON.parse(json.stdout) as { id: string }[]).map((j) => j.id),
    [jobId],
  );
});

test.serial('a batch job: its map and reduce vertices with every subtask done, its nodes, no exceptions', async () => {
  const job = (await get(`/api/v1/jobs/${jobId}`)).body as {
    kind: string;
    vertices: { id: string; parallelism: number; subtasks: { state: string; node: string }[] }[];
    edges: unknown[];
  };
  assert.equal(job.kind, 'batch');
  assert.deepEqual(
    job.vertices.map((v) => v.id),
    ['map', 'reduce'],
  );
  for (const v of job.vertices) {
    assert.equal(v.subtasks.length, v.parallelism);
    for (const s of v.subtasks) {
      assert.equal(s.state, 'done');
      assert.ok(['alpha', 'beta'].includes(s.node), s.node);
    }
  }
  const exceptions = await get(`/api/v1/jobs/${jobId}/exceptions`);
  assert.deepEqual(exceptions.body, { items: [], total: 0, next: null });
  const checkpoints = await get(`/api/v1/jobs/${jobId}/checkpoints`);
  assert.equal((checkpoints.body.counts as { completed: number }).completed, 0);
});

test.serial('tasks and actors: counts by state, pages filtered by state and name, objects per node', async () => {
  const rt = await init({ address: cluster.address, token: cluster.token });
  try {
    const mod = await rt.load(`${FIXTURES}tasks.wasm`);
    const add = mod.remote('add');
    const refs = Array.from({ length: 12 }, (_, i) => add.call(i, 1));
    assert.deepEqual(
      (await rt.get(refs)).map(asNumber),
      Array.from({ length: 12 }, (_, i) => i + 1),
    );
    await assert.rejects(rt.get(mod.remote('fail').call()));
    const counters = await Promise.all([0, 1, 2].map((i) => mod.actor('counter', { name: `c${i}` }).create(i)));
    assert.equal(asNumber(await rt.get(counters[2]!.call('increment', 1))), 3);
    const big = rt.put(new Uint8Array(256 * 1024).fill(7));
    await rt.get(big);

    const tasks = await get('/api/v1/tasks?limit=5');
    assert.equal(tasks.status, 200);
    const counts = tasks.body.counts as Record<string, number>;
    assert.equal(counts.finished, 12);
    assert.equal(counts.failed, 1);
    assert.equal(tasks.body.total, 13);
    assert.equal((tasks.body.items as unknown[]).length, 5);
    assert.equal(tasks.body.next, '5');
    const failed = await get('/api/v1/tasks?state=failed');
    const [f] = failed.body.items as { name: string; errorCode: string; attempts: number; endedAt: number }[];
    assert.equal(f!.name, 'fail');
    assert.match(f!.errorCode, /^WRT_/);
    assert.ok(f!.endedAt > 0);
    assert.equal((await get('/api/v1/tasks?name=add&limit=500')).body.total, 12);
    assert.equal((await get('/api/v1/tasks?name=nobody')).body.total, 0);

    const actors = await get('/api/v1/actors?state=Alive');
    assert.equal(actors.body.total, 3);
    assert.deepEqual(actors.body.counts, { Alive: 3 });
    const named = await get('/api/v1/actors?name=c2');
    const [c2] = named.body.items as { className: string; nodeId: string; restarts: number }[];
    assert.equal(c2!.className, 'counter');
    assert.equal(c2!.restarts, 0);

    const holder = c2!.nodeId;
    const objects = await get(`/api/v1/nodes/${holder}/objects?limit=500`);
    assert.equal(objects.status, 200);
    assert.equal(typeof objects.body.total, 'number');
    const stored = await Promise.all(['n-1', 'n-2'].map((n) => get(`/api/v1/nodes/${n}/objects?limit=500`)));
    const sizes = stored.flatMap((r) => (r.body.items as { sizeBytes: number }[]).map((o) => o.sizeBytes));
    assert.ok(sizes.includes(256 * 1024), `the 256 KiB put is on a node (${sizes.join(', ')})`);
    assert.equal((await get('/api/v1/nodes/n-99/objects')).status, 404);

    // Calls per node: 13 task attempts (the failing one is not retried), 3 constructors, 1 actor
    // call — sent by the head, or made by the driver directly once the actor's route had come
    // (ADR 0009: the node counts those, and its heartbeat brings the count).
    type NodeCalls = { tasksSubmitted: number; tasksRetried: number; directCalls: number };
    const sum = (nodes: NodeCalls[], k: keyof NodeCalls): number => nodes.reduce((n, x) => n + x[k], 0);
    const nodes = await until(async () => {
      const items = (await get('/api/v1/nodes')).body.items as NodeCalls[];
      return sum(items, 'tasksSubmitted') + sum(items, 'directCalls') >= 12 + f!.attempts + 3 + 1 ? items : undefined;
    }, 'every call counted');
    assert.equal(sum(nodes, 'tasksSubmitted') + sum(nodes, 'directCalls'), 12 + f!.attempts + 3 + 1);
    assert.equal(
      nodes.reduce((n, x) => n + x.tasksRetried, 0),
      f!.attempts - 1,
    );
  } finally {
    await rt.shutdown();
  }
});

test.serial('credentials: a viewer reads but may not change jobs; a volunteer may not read; bad bodies are 400', async () => {
  const viewer = await deriveToken(cluster.token, 'viewer', 'ops');
  const volunteer = await deriveToken(cluster.token, 'volunteer', 'link-1');
  assert.equal((await get('/api/v1/jobs', viewer)).status, 200);
  const post = async (path: string, token: string, body?: string): Promise<{ status: number; body: Record<string, unknown> }> => {
    const res = await fetch(`${cluster.httpUrl}${path}`, { method: 'POST', headers: { Authorization: `Bearer ${token}` }, body });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const refused = await post(`/api/v1/jobs/${jobId}/cancel`, viewer);
  assert.equal(refused.status, 403);
  assert.equal(refused.body.error, 'WRT_FORBIDDEN');
  assert.equal((await get('/api/v1/overview', volunteer)).status, 403);
  assert.equal((await get('/metrics', volunteer)).status, 401);
  const ended = await post(`/api/v1/jobs/${jobId}/cancel`, cluster.token);
  assert.equal(ended.status, 400);
  assert.match(ended.body.message as string, /finished, not running/);
  assert.equal((await post(`/api/v1/jobs/${jobId}/savepoints`, cluster.token, '{oops')).status, 400);
  assert.equal((await post(`/api/v1/jobs/${jobId}/savepoints`, cluster.token, '{"dir": 7}')).status, 400);
  assert.equal((await post(`/api/v1/jobs/${jobId}/savepoints`, cluster.token, 'x'.repeat(70_000))).status, 400);
  assert.equal((await post('/api/v1/jobs/j-999/stop', cluster.token)).status, 404);
  assert.equal((await post('/api/v1/overview', cluster.token)).status, 404);
});
