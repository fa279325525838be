// The stream job graph: every Nexmark query's graph (built with the DataStream API) survives the
// FlatBuffers round trip field for field, and the planner and builder refuse bad shapes by name.
import test from 'ava';
import assert from 'node:assert/strict';
import { decodeJobGraph, encodeJobGraph, planBatchJob } from '../../../runtime/protocol/job-graph-codec.js';
import { indexPlannedGraph, planStreamJob, resolvedGraph } from '../../../runtime/stream/execution-graph.js';
import { nexmarkGraph, QUERIES, BID } from '../../../samples/nexmark/graphs.js';
import { StreamEnvironment } from '../../../sdk/datastream.js';
import type { WrtError } from '../../../runtime/errors.js';

const code = (c: string, re: RegExp) => (e: WrtError) => e.code === c && re.test(e.message);

test('stream graphs round-trip through job-graph.fbs unchanged', () => {
  for (const q of QUERIES) {
    const g = nexmarkGraph(q);
    assert.deepEqual(decodeJobGraph(encodeJobGraph(g)), g, q);
  }
  const q7 = nexmarkGraph('q7');
  const join = q7.vertices.find((v) => v.kind === 'IntervalJoin')!;
  assert.equal(join.lowerBoundMs, -1);
  assert.equal(join.upperBoundMs, 9999);
});

test('the batch planner refuses a stream graph, and the stream planner a batch-like one', () => {
  assert.throws(() => planBatchJob(nexmarkGraph('q0')), code('WRT_BAD_JOB_GRAPH', /stream job graph/));
  const g = nexmarkGraph('q5');
  assert.throws(() => planStreamJob({ ...g, streaming: false }, {}, 1), code('WRT_BAD_JOB_GRAPH', /not marked/));
});

test('a property ${name} takes the job argument; ${name:-default} its default when the job has none', () => {
  const g = nexmarkGraph('q0');
  const props = (args: Record<string, string>): Record<string, string> | undefined =>
    planStreamJob(g, args, 1).vertices.find((v) => v.vertex.id === 'events')!.vertex.properties;
  assert.deepEqual(props({ events: '10', seed: '4' }), { table: 'all', events: '10', seed: '4', eventsPerSecond: '0' });
  assert.equal(props({ events: '10', seed: '4', eventsPerSecond: '5000' })?.eventsPerSecond, '5000');
  assert.throws(() => props({ seed: '4' }), code('WRT_INVALID_ARGUMENT', /needs the job argument "events": pass --arg events=VALUE/));
});

test('the planner names unkeyed inputs of keyed operators, bad keys and cycles', () => {
  const args = { events: '10', seed: '0' };
  const g = nexmarkGraph('q11');
  const unkeyed = { ...g, edges: g.edges.map((e) => (e.to === 'sessions' ? { ...e, partitioning: 'Rebalance' as const } : e)) };
  assert.throws(() => planStreamJob(unkeyed, args, 2), code('WRT_BAD_JOB_GRAPH', /"sessions" needs a keyed input/));
  const badKey = { ...g, edges: g.edges.map((e) => (e.to === 'sessions' ? { ...e, key: [7] } : e)) };
  assert.throws(() => planStreamJob(badKey, args, 2), code('WRT_BAD_JOB_GRAPH', /keys on column 7/));
  const cycle = { ...g, edges: [...g.edges, { from: 'sessions', to: 'bidders', partitioning: 'Forward' as const }] };
  assert.throws(() => planStreamJob(cycle, args, 1), code('WRT_BAD_JOB_GRAPH', /cycle/));
  const plan = planStreamJob(g, args, 3);
  assert.deepEqual(
    plan.vertices.map((v) => [v.vertex.id, v.parallelism]),
    [
      ['events', 3],
      ['bidders', 3],
      ['sessions', 3],
      ['sink', 3],
    ],
  );
});

test('the DataStream builder refuses unknown columns, reused ids and empty windows', () => {
  const env = new StreamEnvironment('bad');
  const bids = env.source('bids', { format: 'nexmark', columns: BID, properties: { table: 'bid' } });
  assert.throws(() => bids.keyBy('nope'), code('WRT_BAD_JOB_GRAPH', /no column "nope".*auction, bidder/));
  assert.throws(() => bids.keyBy('bidder').window({ kind: 'Tumbling' }), code('WRT_BAD_JOB_GRAPH', /positive sizeMs/));
  assert.throws(() => env.source('bids', { format: 'nexmark', columns: BID }), code('WRT_BAD_JOB_GRAPH', /"bids" is used twice/));
  assert.throws(
    () => env.source('late', { format: 'nexmark', columns: BID, idleTimeoutMs: 0 }),
    code('WRT_BAD_JOB_GRAPH', /idleTimeoutMs must be a positive integer/),
  );
  assert.throws(() => env.build(), code('WRT_BAD_JOB_GRAPH', /no sink/));
});

test('a source watermark alignment survives the FlatBuffers round trip; a bad one is refused where it is stated', () => {
  const env = new StreamEnvironment('aligned');
  env
    .source('bids', { format: 'nexmark', columns: BID, watermarkAlignment: { group: 'g', maxDriftMs: 2000 } })
    .sinkTo('out', { format: 'csv' });
  const g = env.build();
  assert.deepEqual(g.vertices[0]!.watermarkAlignment, { group: 'g', maxDriftMs: 2000, updateIntervalMs: 1000 });
  assert.deepEqual(decodeJobGraph(encodeJobGraph(g)), g);

  const bad = new StreamEnvironment('bad');
  assert.throws(
    () => bad.source('a', { format: 'nexmark', columns: BID, watermarkAlignment: { group: '', maxDriftMs: 1 } }),
    code('WRT_BAD_JOB_GRAPH', /source "a": watermark alignment needs a group name/),
  );
  assert.throws(
    () => bad.source('b', { format: 'nexmark', columns: BID, watermarkAlignment: { group: 'g', maxDriftMs: -1 } }),
    code('WRT_BAD_JOB_GRAPH', /maxDriftMs must be an integer ≥ 0/),
  );
  assert.throws(
    () => bad.source('c', { format: 'nexmark', columns: BID, watermarkAlignment: { group: 'g', maxDriftMs: 1, updateIntervalMs: 1 } }),
    code('WRT_BAD_JOB_GRAPH', /updateIntervalMs must be an integer from 10 to 60000/),
  );
  // A graph built by hand is checked by the head's planner: alignment on a source only, in bounds.
  const onSink = structuredClone(g);
  onSink.vertices[1]!.watermarkAlignment = { group: 'g', maxDriftMs: 0, updateIntervalMs: 100 };
  assert.throws(() => planStreamJob(onSink, {}, 1), code('WRT_BAD_JOB_GRAPH', /"out" is no source and cannot align watermarks/));
  const tooOften = structuredClone(g);
  tooOften.vertices[0]!.watermarkAlignment!.updateIntervalMs = 0;
  assert.throws(() => planStreamJob(tooOften, {}, 1), code('WRT_BAD_JOB_GRAPH', /updateIntervalMs/));
});

test('a source idle timeout survives the FlatBuffers round trip', () => {
  const env = new StreamEnvironment('idle');
  env.source('bids', { format: 'nexmark', columns: BID, watermarkBoundMs: 5, idleTimeoutMs: 1500 }).sinkTo('out', { format: 'csv' });
  const g = env.build();
  assert.equal(g.vertices[0]!.idleTimeoutMs, 1500);
  assert.deepEqual(decodeJobGraph(encodeJobGraph(g)), g);
});

test('slots index the plan the head sends (resolvedGraph), the same plan the head made, through the wire', () => {
  const args = { events: '1000', seed: '7' };
  for (const q of QUERIES) {
    const plan = planStreamJob(nexmarkGraph(q), args, 3);
    // What a slot gets: the resolved graph after a FlatBuffers round trip; no arguments, no default.
    const sent = decodeJobGraph(encodeJobGraph(resolvedGraph(plan)));
    const indexed = indexPlannedGraph(sent);
    const shape = (p: typeof plan) =>
      p.vertices.map((pv) => ({
        id: pv.vertex.id,
        parallelism: pv.parallelism,
        properties: pv.vertex.properties,
        columns: pv.vertex.columns,
        inputs: pv.inputs.length,
        outputs: pv.outputs.length,
      }));
    assert.deepEqual(shape(indexed), shape(plan), q);
    assert.equal(indexed.maxParallelism, plan.maxParallelism);
    // Arguments were substituted at the head: no `${...}` reaches a slot.
    assert.ok(!JSON.stringify(sent).includes('${'), `${q}: an unsubstituted property reached the slot's graph`);
  }
});
