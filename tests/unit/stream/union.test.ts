// `union` (Flink's DataStream#union): two Nexmark bid sources with different seeds and
// parallelisms read as one stream — by a sink, and by a keyed tumbling-window count whose
// watermark is the smaller of the two — in the in-thread runner; the output must equal what the
// generator's events say. Streams of different columns are refused by name.
import test from 'ava';
import assert from 'node:assert/strict';
import { StreamEnvironment, type DataStream } from '../../../sdk/datastream.js';
import { BID } from '../../../samples/nexmark/graphs.js';
import { planStreamJob } from '../../../runtime/stream/execution-graph.js';
import { runLocally } from '../../../runtime/stream/local-runner.js';
import { NexmarkGenerator, eventKind, type Bid } from '../../../runtime/stream/nexmark/generator.js';
import { isoTimestamp } from '../../../runtime/stream/csv.js';
import { parseCsv } from '../../helpers/nexmark-oracle.js';
import type { WrtError } from '../../../runtime/errors.js';

const EVENTS = 20_000;

function bids(seed: number): Bid[] {
  const g = new NexmarkGenerator({ seed });
  const out: Bid[] = [];
  for (let id = 0; id < EVENTS; id++) if (eventKind(id) === 'bid') out.push(g.event(id) as Bid);
  return out;
}

function twoSources(env: StreamEnvironment): DataStream {
  const source = (id: string, seed: number, parallelism: number): DataStream =>
    env.source(id, {
      format: 'nexmark',
      columns: BID,
      parallelism,
      properties: { table: 'bid', events: String(EVENTS), seed: String(seed) },
    });
  return source('bids-a', 1, 2).union(source('bids-b', 2, 3));
}

function run(env: StreamEnvironment, defaultParallelism: number): Map<string, string[][]> {
  const { parts } = runLocally(planStreamJob(env.build(), {}, defaultParallelism), {
    instantiate: () => {
      throw new Error('no wasm operators here');
    },
  });
  const decoder = new TextDecoder();
  const out = new Map<string, string[][]>();
  for (const [id, subtasks] of parts) {
    const rows: string[][] = [];
    for (const s of subtasks) rows.push(...parseCsv(decoder.decode(s.part)).slice(1));
    out.set(id, rows);
  }
  return out;
}

const sorted = (rows: string[][]): string[] => rows.map((r) => r.join('|')).sort();

test('a sink reading a union gets every element of both streams once', () => {
  for (const p of [1, 2]) {
    const env = new StreamEnvironment('union-sink');
    twoSources(env).sinkTo('out', { format: 'csv', parallelism: p });
    const rows = run(env, p).get('out')!;
    const expected = [...bids(1), ...bids(2)].map((b) => [b.auction, b.bidder, b.price, b.channel].join('|')).sort();
    assert.deepEqual(sorted(rows.map((r) => r.slice(0, 4))), expected, `sink parallelism ${p}`);
  }
});

test('a keyed window over a union counts both streams, per channel and 10 s window', () => {
  const expected = new Map<string, { n: number; sum: number }>();
  for (const b of [...bids(1), ...bids(2)]) {
    const start = Math.floor(b.dateTime / 10_000) * 10_000;
    const key = `${b.channel}|${isoTimestamp(start)}`;
    const e = expected.get(key) ?? { n: 0, sum: 0 };
    e.n++;
    e.sum += b.price;
    expected.set(key, e);
  }
  const want = [...expected].map(([k, e]) => `${k.split('|')[0]}|${e.n}|${e.sum}|${k.split('|')[1]}`).sort();
  for (const p of [1, 3]) {
    const env = new StreamEnvironment('union-window');
    twoSources(env)
      .keyBy('channel')
      .window({ kind: 'Tumbling', sizeMs: 10_000 })
      .aggregate('counts', [
        { function: 'count', as: 'n' },
        { function: 'sum', column: 'price', as: 'total' },
      ])
      .sinkTo('out', { format: 'csv' });
    const rows = run(env, p).get('out')!;
    assert.deepEqual(sorted(rows.map((r) => r.slice(0, 4))), want, `window parallelism ${p}`);
  }
});

test('union refuses streams with other columns, naming both', () => {
  const env = new StreamEnvironment('bad-union');
  const a = env.source('a', { format: 'nexmark', columns: BID, properties: { table: 'bid' } });
  const b = a.keyBy('auction').aggregate('per-auction', [{ function: 'count', as: 'n' }]);
  assert.throws(
    () => a.union(b),
    (e: WrtError) =>
      e.code === 'WRT_BAD_JOB_GRAPH' && /union: stream "per-auction" has columns \(auction:I64, n:I64\), stream "a" has/.test(e.message),
  );
});
