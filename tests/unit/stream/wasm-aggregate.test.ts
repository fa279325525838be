// User aggregate functions in wasm: a window's `median` of the order amounts per user and window,
// computed by an export of tests/fixtures/assembly/stream-ops.ts beside a built-in count, at
// parallelism 1 and 2, in tumbling and session windows (merged sessions carry their values
// along), against a JS reference; a restore from a snapshot in the middle keeps the values of
// open windows; misuse is refused when the graph is planned.
import test from 'ava';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StreamEnvironment } from '../../../sdk/datastream.js';
import { planStreamJob } from '../../../runtime/stream/execution-graph.js';
import { runLocally } from '../../../runtime/stream/local-runner.js';
import { refusingKeyedState } from '../../../runtime/stream/keyed-state-imports.js';
import { WindowAggregateOperator } from '../../../runtime/stream/operators.js';
import { RowBatch, RowBatchBuilder } from '../../../runtime/stream/row-batch.js';
import { decodeJobGraph, encodeJobGraph } from '../../../runtime/protocol/job-graph-codec.js';
import { openFile } from '../../../runtime/platform/node/source-file.js';
import { isoTimestamp } from '../../../runtime/stream/csv.js';
import { parseCsv } from '../../helpers/nexmark-oracle.js';
import { ORDER_COLUMNS, orders, writeOrderFiles, type Order } from '../../helpers/file-streams.js';
import type { WindowSpec } from '../../../runtime/protocol/messages.js';
import type { WrtError } from '../../../runtime/errors.js';

const root = join(import.meta.dirname, '../../../..');
const module = new WebAssembly.Module(readFileSync(join(root, 'tests/fixtures/build/stream-ops.core.wasm')));
const instantiate = (imports: WebAssembly.Imports): WebAssembly.Instance =>
  new WebAssembly.Instance(module, { ...refusingKeyedState(module), ...imports });
const work = mkdtempSync(join(tmpdir(), 'wrt-wasm-aggregate-'));
test.after.always(() => rmSync(work, { recursive: true, force: true }));
const ROWS = orders(4000);
const files = writeOrderFiles(work, ROWS);

function graph(window: Partial<WindowSpec> & Pick<WindowSpec, 'kind'>): StreamEnvironment {
  const env = new StreamEnvironment('medians');
  env
    .source('orders', { format: 'csv', columns: ORDER_COLUMNS, watermarkBoundMs: 200, properties: { path: files.csv, timestamp: 'at' } })
    .keyBy('user')
    .window(window)
    .aggregate('stats', [
      { function: 'count', as: 'n' },
      { function: 'wasm', operator: 'median', column: 'amount', as: 'median', type: 'F64' },
    ])
    .sinkTo('out', { format: 'csv' });
  return env;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 ? s[n >> 1]! : (s[(n >> 1) - 1]! + s[n >> 1]!) / 2;
};

/** user|n|median|window start per tumbling second. */
function tumblingReference(rows: Order[]): string[] {
  const groups = new Map<string, number[]>();
  for (const r of rows) {
    const k = `${r.user}|${isoTimestamp(Math.floor(r.at / 1000) * 1000)}`;
    groups.set(k, [...(groups.get(k) ?? []), r.amount]);
  }
  return [...groups].map(([k, xs]) => `${k.split('|')[0]}|${xs.length}|${median(xs)}|${k.split('|')[1]}`).sort();
}

/** user|n|median|session start for sessions with a gap of `gap` ms. */
function sessionReference(rows: Order[], gap: number): string[] {
  const byUser = new Map<string, Order[]>();
  for (const r of rows) byUser.set(r.user, [...(byUser.get(r.user) ?? []), r]);
  const out: string[] = [];
  for (const [user, list] of byUser) {
    const sorted = [...list].sort((a, b) => a.at - b.at);
    let start = 0;
    for (let i = 1; i <= sorted.length; i++) {
      if (i < sorted.length && sorted[i]!.at < sorted[i - 1]!.at + gap) continue;
      const session = sorted.slice(start, i);
      out.push(`${user}|${session.length}|${median(session.map((r) => r.amount))}|${isoTimestamp(session[0]!.at)}`);
      start = i;
    }
  }
  return out.sort();
}

function run(env: StreamEnvironment, parallelism: number): string[] {
  const { parts } = runLocally(planStreamJob(env.build(), {}, parallelism), { instantiate, connectors: { openFile }, batchRows: 250 });
  const decoder = new TextDecoder();
  return [...parts.values()]
    .flat()
    .flatMap((p) => parseCsv(decoder.decode(p.part)).slice(1))
    .map((r) => `${r[0]}|${r[1]}|${r[2]}|${r[3]}`)
    .sort();
}

test.serial('a wasm median per user in tumbling and session windows equals the reference at parallelism 1 and 2', () => {
  for (const p of [1, 2]) {
    assert.deepEqual(run(graph({ kind: 'Tumbling', sizeMs: 1000 }), p), tumblingReference(ROWS), `tumbling, p=${p}`);
    assert.deepEqual(run(graph({ kind: 'Session', gapMs: 40 }), p), sessionReference(ROWS, 40), `session, p=${p}`);
  }
  const g = graph({ kind: 'Tumbling', sizeMs: 1000 }).build();
  assert.deepEqual(decodeJobGraph(encodeJobGraph(g)), g, 'the aggregate and its export survive the FlatBuffers round trip');
});

test.serial('the values of open windows are in the snapshot: a restored operator reduces them', () => {
  const g = graph({ kind: 'Tumbling', sizeMs: 1000 }).build();
  const v = g.vertices.find((x) => x.id === 'stats')!;
  const make = (emit: (b: Uint8Array) => void): WindowAggregateOperator =>
    new WindowAggregateOperator(v, [0], { emit }, ORDER_COLUMNS, () => instantiate({}));
  const batch = (rows: [string, number, number][]): RowBatch => {
    const b = new RowBatchBuilder(ORDER_COLUMNS.map((c) => c.type));
    for (const [user, amount, at] of rows) b.add(at, [user, amount, 0.5, at]);
    return new RowBatch(b.finish());
  };
  const first = make(() => assert.fail('nothing fires before the watermark'));
  first.processBatch(
    0,
    batch([
      ['a', 5, 100],
      ['a', 1, 200],
      ['b', 7, 300],
    ]),
  );
  const saved = structuredClone(first.snapshot());
  const out: string[] = [];
  const second = make((bytes) => {
    const r = new RowBatch(bytes);
    for (let i = 0; i < r.rows; i++) out.push(r.row(i).slice(0, 3).join('|'));
  });
  second.restore(saved);
  second.processBatch(0, batch([['a', 9, 400]]));
  second.advanceWatermark(999);
  assert.deepEqual(out.sort(), ['a|3|5', 'b|1|7']);
});

test.serial('wasm aggregates: refused outside windows, and without an export or a result type', () => {
  const env = new StreamEnvironment('bad');
  const src = env.source('orders', { format: 'csv', columns: ORDER_COLUMNS, properties: { path: files.csv } });
  assert.throws(
    () =>
      src
        .keyBy('user')
        .window({ kind: 'Tumbling', sizeMs: 10 })
        .aggregate('x', [{ function: 'wasm', column: 'amount', as: 'm' }]),
    (err: WrtError) => /needs its operator export and its result type/.test(err.message),
  );
  src
    .keyBy('user')
    .aggregate('totals', [{ function: 'wasm', operator: 'median', column: 'amount', as: 'm', type: 'F64' }])
    .sinkTo('out', { format: 'csv' });
  assert.throws(
    () => planStreamJob(env.build(), {}, 1),
    (err: WrtError) => err.code === 'WRT_BAD_JOB_GRAPH' && /wasm aggregates run in windows only/.test(err.message),
  );
});
