// NATS JetStream as a stream job's source and sink, against a real nats-server -js on loopback and
// a head with node processes: orders published on three subjects are read by two source subtasks
// (subjects as splits), summed per user and second in an event-time window, and published by the
// NATS sink. The sink's stream must hold exactly the reference sums, each once — also when a node
// running one of the job's slots is SIGKILLed mid-run and the job restarts from its checkpoint
// (sources rewind to their stream sequences; output after the checkpoint is published only once).
import test from 'ava';
import assert from 'node:assert/strict';
import { until } from '../helpers/until.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, TestCluster, clusterFixture, runWrt } from '../helpers/wrt-process.js';
import { NatsServer } from '../helpers/nats-server.js';
import { ORDER_COLUMNS, expectedWindowSums, orders, type Order } from '../helpers/file-streams.js';
import { isoTimestamp } from '../../runtime/stream/csv.js';
import { StreamEnvironment } from '../../sdk/datastream.js';
import { controlJob, runJob, type JobStatusUpdate } from '../../runtime/client/job-client.js';
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';

const f = clusterFixture('wrt-stream-nats-');
let nats: NatsServer | null = null;
let client: { nc: NatsConnection; js: JetStreamClient; jsm: JetStreamManager } | null = null;
test.before(async () => {
  nats = await NatsServer.start();
  client = await nats.client();
  f.cluster = await TestCluster.start([
    { name: 'alpha', cpus: 1 },
    { name: 'beta', cpus: 1 },
  ]);
});
test.after.always(async () => {
  await client?.nc.close();
  await nats?.stop();
});

const MODULE = readFileSync(join(ROOT, 'samples/nexmark/build/pipeline.core.wasm'));

/**
 * Orders from NATS stream `stream`, subjects `prefix.0` to `prefix.2` (bounded to what the stream
 * holds), summed per user and second, to NATS subject `sink`.
 */
function natsOrdersPerSecond(stream: string, prefix: string, sink: string): StreamEnvironment {
  const env = new StreamEnvironment('nats-orders-per-second', 2);
  env
    .source('orders', {
      format: 'nats',
      columns: ORDER_COLUMNS,
      watermarkBoundMs: 200,
      properties: {
        servers: '${nats}',
        stream,
        subjects: [0, 1, 2].map((i) => `${prefix}.${i}`).join(','),
        timestamp: 'at',
        bounded: 'latest',
      },
    })
    .keyBy('user')
    .window({ kind: 'Tumbling', sizeMs: 1000 })
    .aggregate('sums', [
      { function: 'count', as: 'n' },
      { function: 'sum', column: 'amount', as: 'amount' },
    ])
    .sinkTo('out', { format: 'nats', properties: { servers: '${nats}', subject: sink } });
  return env;
}

/**
 * Creates stream `name` on `prefix.*` and publishes `rows` as JSON, spread over three subjects,
 * with core NATS publishes (the stream stores them; no acknowledgement each: 10× faster), then
 * waits until the stream holds them all.
 */
async function publishOrders(name: string, prefix: string, rows: Order[]): Promise<void> {
  const { nc, jsm } = client!;
  await jsm.streams.add({ name, subjects: [`${prefix}.*`] });
  rows.forEach((r, i) => nc.publish(`${prefix}.${i % 3}`, JSON.stringify({ ...r, at: i % 2 ? isoTimestamp(r.at) : r.at })));
  await nc.flush();
  await until(
    async () => (await jsm.streams.info(name)).state.messages === rows.length,
    `stream ${name} to hold the ${rows.length} orders published`,
  );
}

/** Every message of stream `name`: payloads and Nats-Msg-Id headers. */
async function readStream(name: string): Promise<{ payloads: string[]; ids: string[] }> {
  const { js } = client!;
  const consumer = await js.consumers.get(name);
  let left = (await consumer.info()).num_pending;
  const payloads: string[] = [];
  const ids: string[] = [];
  while (left > 0) {
    for await (const m of await consumer.fetch({ max_messages: Math.min(left, 1000), expires: 2000 })) {
      payloads.push(m.string());
      ids.push(m.headers?.get('Nats-Msg-Id') ?? '');
      left--;
    }
  }
  return { payloads, ids };
}

/** The sums as `user|n|amount|window start`, sorted. */
function sums(payloads: string[]): string[] {
  return payloads
    .map((p) => {
      const o = JSON.parse(p) as Record<string, string | number>;
      return `${o.user}|${o.n}|${o.amount}|${o.window_start}`;
    })
    .sort();
}

test.serial(
  'nats source and sink: orders on three subjects, a keyed window on two nodes; the sink stream holds each sum once',
  async () => {
    assert.ok(nats && client && f.cluster);
    const rows = orders(20_000);
    await publishOrders('ORDERS', 'orders', rows);
    await client.jsm.streams.add({ name: 'SUMS', subjects: ['sums'] });
    const status = await startNatsJob(natsOrdersPerSecond('ORDERS', 'orders', 'sums').build(), {
      checkpointIntervalMs: 200,
      onOutput: () => assert.fail('a nats sink sends nothing to the client'),
    });
    assert.equal(status.state, 'Finished', status.message);
    assert.deepEqual(status.nodes, ['alpha', 'beta']);
    const out = await readStream('SUMS');
    assert.deepEqual(sums(out.payloads), expectedWindowSums(rows));
    assert.equal(new Set(out.ids).size, out.ids.length, 'every message has its own Nats-Msg-Id');
  },
);

/** Submits `graph` with `--arg nats=URL` at parallelism 2 to the test cluster. */
function startNatsJob(
  graph: ReturnType<StreamEnvironment['build']>,
  o: { checkpointIntervalMs?: number; onAccepted?: (id: string) => void; onOutput?: () => void } = {},
): Promise<JobStatusUpdate> {
  return runJob(
    f.cluster!.driverPlatform,
    f.cluster!.address,
    {
      name: graph.name,
      module: MODULE, // built-in operators only; any module serves
      graph,
      inputChunks: 0,
      inputBytes: 0,
      args: { nats: nats!.url },
      operatorMaxMemoryBytes: 0,
      operatorDeadlineMs: 0,
      parallelism: 2,
      checkpointIntervalMs: o.checkpointIntervalMs ?? 0,
    },
    { readChunk: () => Promise.reject(new Error('no input chunks')), onOutput: o.onOutput ?? (() => {}), onAccepted: o.onAccepted },
  );
}

/** {@link startNatsJob} to its end; a failed job comes back as its state and "CODE: message". */
function runNatsJob(graph: ReturnType<StreamEnvironment['build']>): Promise<{ state: string; message: string }> {
  return startNatsJob(graph).catch((err: Error & { code?: string }) => ({ state: 'Failed', message: `${err.code}: ${err.message}` }));
}

test.serial(
  'errors: a missing stream (WRT_INPUT_NOT_FOUND), a sink subject no stream takes (WRT_SINK_FAILED), a csv sink without --output',
  async () => {
    assert.ok(nats && f.cluster);
    const missing = await runNatsJob(natsOrdersPerSecond('NO_SUCH_STREAM', 'none', 'sums').build());
    assert.equal(missing.state, 'Failed');
    assert.match(missing.message, /WRT_INPUT_NOT_FOUND.*JetStream stream "NO_SUCH_STREAM" does not exist/);
    await publishOrders('FEW', 'few', orders(100));
    const nowhere = await runNatsJob(natsOrdersPerSecond('FEW', 'few', 'nowhere').build());
    assert.equal(nowhere.state, 'Failed');
    assert.match(nowhere.message, /WRT_SINK_FAILED.*could not publish to "nowhere".*no JetStream stream takes that subject/);
    const r = await runWrt([
      'submit',
      join(ROOT, 'samples/nexmark/build/pipeline.wasm'),
      '--address',
      f.cluster.address,
      '--arg',
      'query=q0',
      '--arg',
      'events=1000',
      '--arg',
      'seed=1',
    ]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /writes CSV part files: give the directory with --output DIR/);
  },
);

test.serial(
  'a node SIGKILLed mid-run: the job restarts from its checkpoint and the sink stream holds every order exactly once',
  async () => {
    assert.ok(nats && f.cluster);
    await f.cluster.addNode('gamma', 1);
    const rows = orders(300_000);
    await publishOrders('BIG', 'big', rows);
    await client!.jsm.streams.add({ name: 'COPY', subjects: ['copy'] });
    // Source to sink: 20 MB of output, so sinks hand pieces on between checkpoints too (1 MiB each),
    // and a piece published before its checkpoint completed would show up twice.
    const env = new StreamEnvironment('nats-copy', 2);
    env
      .source('orders', {
        format: 'nats',
        columns: ORDER_COLUMNS,
        properties: { servers: '${nats}', stream: 'BIG', subjects: 'big.0,big.1,big.2', timestamp: 'at', bounded: 'latest' },
      })
      .sinkTo('out', { format: 'nats', properties: { servers: '${nats}', subject: 'copy' } });
    const graph = env.build();
    let accepted: (id: string) => void = () => {};
    const jobId = new Promise<string>((resolve) => (accepted = resolve));
    const job = startNatsJob(graph, { checkpointIntervalMs: 200, onAccepted: accepted });
    const id = await jobId;
    const placed = await f.cluster.head.waitFor(new RegExp(`job ${id}: attempt 1: \\d+ subtasks; slot 0 on (\\w+), slot 1 on (\\w+)`));
    await f.cluster.head.waitFor(new RegExp(`job ${id}: checkpoint 2 completed`));
    const victim = placed[2]!;
    assert.equal(await f.cluster.nodes.get(victim)!.kill('SIGKILL'), null);
    await f.cluster.head.waitFor(new RegExp(`job ${id}: .*was lost; restarting from checkpoint \\d+`));
    const status = await job;
    assert.equal(status.state, 'Finished', status.message);
    assert.match(status.message, /1 restart/);
    const out = await readStream('COPY');
    assert.equal(out.payloads.length, rows.length);
    const expected = rows.map((r) => JSON.stringify({ user: r.user, amount: r.amount, price: r.price, at: isoTimestamp(r.at) }));
    assert.deepEqual(out.payloads.sort(), expected.sort());
    assert.equal(new Set(out.ids).size, out.ids.length);
  },
);

test.serial(
  'unbounded, with idleness: filters and a whole subtask without data stop holding the watermark; windows fire while the job runs',
  async () => {
    assert.ok(nats && f.cluster);
    // Only live.0 gets orders. Subtask 0 reads live.0 and live.2 (live.2 idle: per-filter idleness),
    // subtask 1 reads live.1 alone (idle as a whole: an idle status goes downstream).
    const rows = orders(5000);
    await publishOrders('LIVE', 'live', []);
    rows.forEach((r) => client!.nc.publish('live.0', JSON.stringify({ ...r, at: r.at })));
    await client!.nc.flush();
    await client!.jsm.streams.add({ name: 'LIVESUMS', subjects: ['livesums'] });
    const env = new StreamEnvironment('nats-idle', 2);
    env
      .source('orders', {
        format: 'nats',
        columns: ORDER_COLUMNS,
        watermarkBoundMs: 200,
        idleTimeoutMs: 300,
        properties: { servers: '${nats}', stream: 'LIVE', subjects: 'live.0,live.1,live.2', timestamp: 'at' },
      })
      .keyBy('user')
      .window({ kind: 'Tumbling', sizeMs: 1000 })
      .aggregate('sums', [
        { function: 'count', as: 'n' },
        { function: 'sum', column: 'amount', as: 'amount' },
      ])
      .sinkTo('out', { format: 'nats', properties: { servers: '${nats}', subject: 'livesums' } });
    // The watermark reaches max(at) - 200 - 1: the windows that end by then fire, the last ones wait.
    const watermark = Math.max(...rows.map((r) => r.at)) - 201;
    const expected = expectedWindowSums(rows).filter((line) => Date.parse(line.split('|')[3]!) + 999 <= watermark);
    let accepted: (id: string) => void = () => {};
    const jobId = new Promise<string>((resolve) => (accepted = resolve));
    const job = startNatsJob(env.build(), { checkpointIntervalMs: 200, onAccepted: accepted }).catch((err: Error) => ({
      state: 'Failed',
      message: err.message,
    }));
    const id = await jobId;
    // The job never ends by itself: wait until the fired windows are committed, then cancel it.
    await until(
      async () => (await client!.jsm.streams.info('LIVESUMS')).state.messages >= expected.length,
      `the ${expected.length} window results to be published`,
      { timeoutMs: 60_000 },
    );
    await controlJob(f.cluster.driverPlatform, f.cluster.address, id, 'Cancel');
    const ended = await job;
    assert.match(ended.message, /cancel/i);
    const out = await readStream('LIVESUMS');
    assert.deepEqual(sums(out.payloads), expected);
  },
);
