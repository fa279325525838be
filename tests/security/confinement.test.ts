// Attacks on what a job may reach and use, against real head and node processes: traversal through
// vertex ids, savepoint and restore paths and file-source paths (a symbolic link among them), a
// NATS server not on the list, modules that break the sandbox (two memories, a memory import, an
// undeclared import), a memory bomb past the node's ceiling, a looping stream operator. Each ends
// in a clear error, nothing written where it must not be, and a cluster that still runs a job.
import test from 'ava';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, ROOT, TestCluster, WORDCOUNT, clusterFixture, runWrt, startWrt } from '../helpers/wrt-process.js';
import { ORDER_COLUMNS, orders, ordersPerSecond, writeOrderFiles } from '../helpers/file-streams.js';
import { runJob, type JobStatusUpdate } from '../../runtime/client/job-client.js';
import { encodeMessage, decodeFrame } from '../../runtime/protocol/codec.js';
import { StreamEnvironment } from '../../sdk/datastream.js';
import { WrtError } from '../../runtime/errors.js';
import { init } from '../../sdk/node.js';
import type { JobGraph, Message } from '../../runtime/protocol/messages.js';
import { assertJobRuns, assertTasksRun, errorCode, nexmarkQ1 } from './attack-helpers.js';

const f = clusterFixture('wrt-sec-confine-');
let cluster: TestCluster;
const DATA = join(f.work, 'data');
const SAVES = join(f.work, 'savepoints');
const NEXMARK_CORE = readFileSync(join(ROOT, 'samples/nexmark/build/pipeline.core.wasm'));
const STREAM_OPS = readFileSync(join(FIXTURES, 'stream-ops.core.wasm'));

test.before(async () => {
  mkdirSync(DATA, { recursive: true });
  cluster = f.cluster = await TestCluster.start(
    [
      {
        name: 'guarded',
        cpus: 2,
        args: [
          '--no-gpu',
          '--data-dir',
          DATA,
          '--allow-nats',
          '127.0.0.1',
          '--max-operator-memory-mb',
          '64',
          '--max-deadline-ms',
          '20000',
          '--max-output-mb',
          '8',
        ],
      },
    ],
    ['--checkpoint-dir', join(f.work, 'checkpoints'), '--savepoint-dir', SAVES],
  );
});

/** Runs stream job `graph` with `module` as a driver (the cluster secret); rejects with the job's failure. */
function runStream(
  graph: JobGraph,
  module: Uint8Array = NEXMARK_CORE,
  o: { deadlineMs?: number; checkpointIntervalMs?: number } = {},
): Promise<JobStatusUpdate> {
  return runJob(
    cluster.driverPlatform,
    cluster.address,
    {
      name: graph.name,
      module,
      graph,
      inputChunks: 0,
      inputBytes: 0,
      args: {},
      operatorMaxMemoryBytes: 0,
      operatorDeadlineMs: o.deadlineMs ?? 0,
      parallelism: 1,
      checkpointIntervalMs: o.checkpointIntervalMs ?? 0,
    },
    { readChunk: () => Promise.reject(new Error('no input')), onOutput: () => {} },
  );
}

const rejectsWith = (code: string, message: RegExp) => (e: unknown) => e instanceof WrtError && e.code === code && message.test(e.message);

test.serial('a vertex id that climbs out of the checkpoint directory is refused where it enters; nothing is written', async () => {
  const graph = ordersPerSecond(join(DATA, 'none.csv'), 1).build();
  graph.vertices[0]!.id = '../../../../tmp/wrt-pwn';
  for (const e of graph.edges) if (e.from === 'orders') e.from = graph.vertices[0]!.id;
  await assert.rejects(
    runStream(graph, NEXMARK_CORE, { checkpointIntervalMs: 100 }),
    rejectsWith('WRT_INVALID_ARGUMENT', /vertex id .*must be 1–128 characters/),
  );
  assert.equal(existsSync('/tmp/wrt-pwn-0.state'), false);
  await assertTasksRun(cluster);
});

test.serial("file sources read only under the node's --data-dir: an outside path and a symbolic link out are refused", async () => {
  const inside = writeOrderFiles(DATA, orders(2000)).csv;
  const ok = await runStream(ordersPerSecond(inside, 1).build());
  assert.equal(ok.state, 'Finished', 'a file under the data directory is read');
  await assert.rejects(
    runStream(ordersPerSecond('/etc/passwd', 1).build()),
    rejectsWith('WRT_FORBIDDEN', /\/etc\/passwd lies outside this node's data directories .*--data-dir/),
  );
  const link = join(DATA, 'innocent.csv');
  symlinkSync('/etc/hostname', link);
  await assert.rejects(
    runStream(ordersPerSecond(link, 1).build()),
    rejectsWith('WRT_FORBIDDEN', /lies outside this node's data directories/),
  );
  await assert.rejects(
    runStream(ordersPerSecond(join(DATA, '..', '..', 'etc', 'passwd'), 1).build()),
    rejectsWith('WRT_FORBIDDEN', /lies outside/),
  );
});

test.serial('a NATS server not on --allow-nats is refused, naming the flag', async () => {
  const env = new StreamEnvironment('nats-elsewhere', 1);
  env
    .source('orders', {
      format: 'nats',
      columns: ORDER_COLUMNS,
      properties: { servers: 'nats://10.255.0.1:4222', stream: 'orders', subjects: 'orders.0', timestamp: 'at', bounded: 'latest' },
    })
    .sinkTo('out', { format: 'csv' });
  await assert.rejects(
    runStream(env.build()),
    rejectsWith('WRT_FORBIDDEN', /NATS server 10\.255\.0\.1:4222 is not on this process's list .*--allow-nats 10\.255\.0\.1:4222/),
  );
});

test.serial("savepoint and restore paths outside the head's directories are refused; nothing is written there", async () => {
  const job = startWrt(nexmarkQ1(cluster, 100_000_000, join(f.work, 'q1'), ['--checkpoint-interval-ms', '200']));
  const id = (await job.waitFor(/stream job (j-\d+) accepted/))[1]!;
  try {
    for (const dir of [join(f.work, 'elsewhere'), join(SAVES, '..', 'escape')]) {
      const r = await runWrt(['savepoint', id, dir, '--address', cluster.address]);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /WRT_FORBIDDEN: savepoint directory .* lies outside the head's directories .*--savepoint-dir/);
      assert.equal(existsSync(dir), false, `nothing written at ${dir}`);
    }
    const fine = await runWrt(['savepoint', id, join(SAVES, 'mine'), '--address', cluster.address]);
    assert.equal(fine.code, 0, fine.stderr);
  } finally {
    await runWrt(['cancel', id, '--address', cluster.address]);
    await job.exited;
  }
  const restore = await runWrt(nexmarkQ1(cluster, 1000, join(f.work, 'restored'), ['--from-savepoint', '/etc']));
  assert.notEqual(restore.code, 0);
  assert.match(restore.stderr, /WRT_FORBIDDEN: savepoint \/etc lies outside the head's directories/);
  assert.equal(existsSync(join(f.work, 'restored')), false, 'no output directory for a refused job');
});

test.serial(
  'modules that break the sandbox (two memories, a memory import, an undeclared import) are refused by the head with WRT_SANDBOX',
  async () => {
    const conn = await cluster.driverPlatform.connect(cluster.address);
    const seen: Message[] = [];
    conn.onMessage = (frame) => seen.push(...decodeFrame(frame));
    const cases: [string, RegExp][] = [
      ['two-memories', /defines 2 memories/],
      ['memory-import', /import "env" "memory" is a memory/],
      ['undeclared-import', /import "wasi_snapshot_preview1" "fd_write" lies outside the module's world/],
    ];
    for (const [name, why] of cases) {
      seen.length = 0;
      conn.send(encodeMessage({ type: 'RegisterModule', moduleId: name, module: readFileSync(join(FIXTURES, `${name}.core.wasm`)) }));
      await new Promise<void>((resolve) => {
        const poll = (): void => (seen.some((m) => m.type === 'ErrorMessage') ? resolve() : void setTimeout(poll, 10));
        poll();
      });
      assert.equal(errorCode(seen), 'WRT_SANDBOX', name);
      const e = seen.find((m) => m.type === 'ErrorMessage');
      assert.ok(
        e?.type === 'ErrorMessage' && why.test(e.failure.message),
        `${name}: ${e?.type === 'ErrorMessage' ? e.failure.message : ''}`,
      );
    }
    conn.close();
    // As a job's module: refused at submission.
    await assert.rejects(
      runStream(ordersPerSecond(join(DATA, 'x.csv'), 1).build(), readFileSync(join(FIXTURES, 'two-memories.core.wasm'))),
      rejectsWith('WRT_SANDBOX', /2 memories/),
    );
  },
);

/** `wrt submit PIPELINE --address … --input README.md --output DIR EXTRA…` on the test cluster. */
function submitReadme(pipeline: string, output: string, extra: string[] = []): ReturnType<typeof runWrt> {
  return runWrt(['submit', pipeline, '--address', cluster.address, '--input', join(ROOT, 'README.md'), '--output', output, ...extra]);
}

test.serial("a memory bomb past the node's ceiling: refused at submission when asked for, capped at the ceiling when not", async () => {
  const out = join(f.work, 'bomb');
  const asked = await submitReadme(WORDCOUNT, out, ['--operator-memory-mb', '512']);
  assert.equal(asked.code, 1, asked.stderr);
  assert.match(
    asked.stderr,
    /WRT_OVER_LIMIT: job .* asks for 512 MiB of operator memory; node "guarded" runs at most 64 MiB \(its --max-operator-memory-mb\)/,
  );
  assert.equal(existsSync(out), false);
  const grown = await submitReadme(join(FIXTURES, 'oom.wasm'), join(f.work, 'oom'));
  assert.equal(grown.code, 1, grown.stderr);
  assert.match(grown.stderr, /WRT_MEMORY_CAP: .*exceeded its memory cap of 67108864 bytes/);
  const late = await submitReadme(WORDCOUNT, join(f.work, 'late'), ['--deadline-ms', '999999']);
  assert.equal(late.code, 1, late.stderr);
  assert.match(late.stderr, /WRT_OVER_LIMIT: .*999999 ms call deadline; node "guarded" allows at most 20000 ms \(its --max-deadline-ms\)/);
});

test.serial("an output past the node's --max-output-mb fails its task with WRT_OUTPUT_CAP; one under it is returned", async () => {
  const rt = await init({ address: cluster.address, token: cluster.token });
  try {
    const fill = (await rt.load(join(FIXTURES, 'tasks.wasm'))).remote('fill', { maxRetries: 0 });
    assert.equal((await rt.get(fill.call(2_000_000))).byteLength, 2_000_000);
    await assert.rejects(rt.get(fill.call(9 * 2 ** 20)), (e: unknown) => (e as { code?: string }).code === 'WRT_OUTPUT_CAP');
  } finally {
    await rt.shutdown();
  }
});

test.serial('a looping stream operator fails its job at the deadline, naming the operator; its checkpoints stop', async (t) => {
  const csv = writeOrderFiles(DATA, orders(500)).csv;
  const env = new StreamEnvironment('spinning', 1);
  env
    .source('orders', { format: 'csv', columns: ORDER_COLUMNS, watermarkBoundMs: 200, properties: { path: csv, timestamp: 'at' } })
    .map('spin', 'spinForever', ORDER_COLUMNS)
    .sinkTo('out', { format: 'csv' });
  const started = Date.now();
  await assert.rejects(
    runStream(env.build(), STREAM_OPS, { deadlineMs: 1000, checkpointIntervalMs: 100 }),
    rejectsWith('WRT_DEADLINE', /operator "spinForever" ran past its deadline of 1000 ms/),
  );
  t.log(`failed after ${Date.now() - started} ms`);
  const id = /job (j-\d+) "spinning" accepted/.exec(cluster.head.stderr)?.[1];
  assert.ok(id);
  const completed = (): number =>
    cluster.head.stderr.split('\n').filter((l) => l.includes(`job ${id}: checkpoint`) && l.includes('completed')).length;
  const before = completed();
  await new Promise((r) => setTimeout(r, 600));
  assert.equal(completed(), before, 'no checkpoint completes after the job failed');
  assert.equal((await cluster.status()).jobs.find((j) => j.id === id)?.state, 'Failed');
});

test.serial('after every attack the cluster still runs a word count exactly', async () => {
  await assertJobRuns(cluster, f.work, 'after-attacks');
  assert.deepEqual(
    readdirSync('/tmp').filter((n) => n.startsWith('wrt-pwn')),
    [],
  );
});
