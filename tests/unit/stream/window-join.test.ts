// Window joins (Flink's join().where().equalTo().window()): Nexmark persons ⋈ auctions on
// person.id = auction.seller in tumbling and sliding event-time windows, in the in-thread runner at
// parallelism 1–3, equal to the pairs computed straight from the generator's events; the operator
// restored from a mid-stream snapshot emits what an undisturbed one does; bad shapes are refused.
import test from 'ava';
import assert from 'node:assert/strict';
import { StreamEnvironment } from '../../../sdk/datastream.js';
import { AUCTION, PERSON } from '../../../samples/nexmark/graphs.js';
import { decodeJobGraph, encodeJobGraph } from '../../../runtime/protocol/job-graph-codec.js';
import { planStreamJob } from '../../../runtime/stream/execution-graph.js';
import { runLocally } from '../../../runtime/stream/local-runner.js';
import { NexmarkGenerator, eventKind, type Auction, type Person } from '../../../runtime/stream/nexmark/generator.js';
import { assignWindows, type WindowAssigner } from '../../../runtime/stream/time-window.js';
import { WindowJoinOperator } from '../../../runtime/stream/window-join.js';
import { parseCsv } from '../../helpers/nexmark-oracle.js';
import type { WindowSpec } from '../../../runtime/protocol/messages.js';
import type { WrtError } from '../../../runtime/errors.js';

const EVENTS = 30_000;
const gen = new NexmarkGenerator({ seed: 3 });
const persons: Person[] = [];
const auctions: Auction[] = [];
for (let id = 0; id < EVENTS; id++) {
  const k = eventKind(id);
  if (k === 'person') persons.push(gen.event(id) as Person);
  else if (k === 'auction') auctions.push(gen.event(id) as Auction);
}

/** "person id|name|auction item|initial bid" once per window a person and an auction of theirs share. */
function expected(assigner: WindowAssigner): string[] {
  const out: string[] = [];
  for (const p of persons) {
    const pw = assignWindows(assigner, p.dateTime);
    for (const a of auctions) {
      if (a.seller !== p.id) continue;
      for (const w of assignWindows(assigner, a.dateTime))
        if (pw.some((x) => x.start === w.start)) out.push(`${p.id}|${p.name}|${a.itemName}|${a.initialBid}`);
    }
  }
  return out.sort();
}

function run(spec: Partial<WindowSpec> & Pick<WindowSpec, 'kind'>, parallelism: number): string[] {
  const env = new StreamEnvironment('new-sellers');
  const properties = (table: string) => ({ table, events: String(EVENTS), seed: '3' });
  const people = env.source('persons', { format: 'nexmark', columns: PERSON, properties: properties('person') }).keyBy('id');
  const sold = env.source('auctions', { format: 'nexmark', columns: AUCTION, properties: properties('auction') }).keyBy('seller');
  people.join(sold).window(spec).project('pairs', ['id', 'name', 'itemName', 'initialBid']).sinkTo('out', { format: 'csv' });
  // Through FlatBuffers and back, as a pipeline's graph travels.
  const graph = decodeJobGraph(encodeJobGraph(env.build()));
  assert.deepEqual(graph, env.build());
  const { parts } = runLocally(planStreamJob(graph, {}, parallelism), {
    instantiate: () => {
      throw new Error('no wasm operators here');
    },
  });
  const decoder = new TextDecoder();
  return parts
    .get('out')!
    .flatMap((s) => parseCsv(decoder.decode(s.part)).slice(1))
    .map((r) => r.join('|'))
    .sort();
}

test.serial('tumbling window join: every person–auction pair of the same 10 s window, at parallelism 1, 2 and 3', () => {
  const want = expected({ kind: 'tumbling', sizeMs: 10_000 });
  assert.ok(want.length > 50, `enough pairs to mean something (${want.length})`);
  for (const p of [1, 2, 3]) assert.deepEqual(run({ kind: 'Tumbling', sizeMs: 10_000 }, p), want, `parallelism ${p}`);
});

test.serial('sliding window join: a pair is emitted once per window the two share', () => {
  const want = expected({ kind: 'sliding', sizeMs: 10_000, slideMs: 5_000 });
  assert.ok(want.length > expected({ kind: 'tumbling', sizeMs: 10_000 }).length);
  for (const p of [1, 3]) assert.deepEqual(run({ kind: 'Sliding', sizeMs: 10_000, slideMs: 5_000 }, p), want, `parallelism ${p}`);
});

test.serial('the operator restored from a snapshot taken mid-stream emits what an undisturbed one does', () => {
  const events: [number, 'l' | 'r', number, number][] = []; // [key, side, value, time]
  for (let i = 0; i < 400; i++) events.push([i % 5, i % 3 === 0 ? 'r' : 'l', i, i * 37]);
  const feed = (op: WindowJoinOperator<number, number, number>, from: number, to: number): void => {
    for (let i = from; i < to; i++) {
      const [k, side, v, t] = events[i]!;
      if (side === 'l') op.processLeft(k, v, t);
      else op.processRight(k, v, t);
      if (i % 50 === 49) op.advanceWatermark(t - 500);
    }
  };
  const make = (out: string[]) =>
    new WindowJoinOperator<number, number, number>({
      assigner: { kind: 'sliding', sizeMs: 2000, slideMs: 1000 },
      emit: (k, l, r, w) => out.push(`${k}:${l}:${r}@${w.start}`),
    });
  const whole: string[] = [];
  const a = make(whole);
  feed(a, 0, 400);
  a.advanceWatermark(Infinity);
  const parts: string[] = [];
  const b = make(parts);
  feed(b, 0, 230);
  const c = make(parts);
  c.restore(JSON.parse(JSON.stringify(b.snapshot())) as ReturnType<typeof b.snapshot>);
  feed(c, 230, 400);
  c.advanceWatermark(Infinity);
  assert.ok(whole.length > 100);
  assert.deepEqual(parts.sort(), whole.sort());
});

test.serial('window joins refuse session windows and keys of different arity', () => {
  const env = new StreamEnvironment('bad');
  const people = env.source('persons', { format: 'nexmark', columns: PERSON, properties: { table: 'person' } });
  const sold = env.source('auctions', { format: 'nexmark', columns: AUCTION, properties: { table: 'auction' } });
  const code = (re: RegExp) => (e: WrtError) => e.code === 'WRT_BAD_JOB_GRAPH' && re.test(e.message);
  assert.throws(() => people.keyBy('id').join(sold.keyBy('seller')).window({ kind: 'Session', gapMs: 1000 }), code(/not session windows/));
  assert.throws(() => people.keyBy('id', 'name').join(sold.keyBy('seller')), code(/keys of 2 and 1 columns/));
  assert.throws(
    () => people.keyBy('id').join(sold.keyBy('seller')).window({ kind: 'Tumbling', sizeMs: 10 }).project('j', ['nope']),
    code(/window join "j": no column "nope"/),
  );
});
