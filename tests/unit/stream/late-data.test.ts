// A window aggregation's late side output as an edge of the job graph (Flink's
// sideOutputLateData): orders read from a CSV file in file order, with no out-of-orderness bound,
// so rows that come after a newer one's watermark are late. The window's result counts exactly the
// rows that were on time, and the late edge carries exactly the others, unchanged — both checked
// against a simulation of the watermark batch by batch.
import test from 'ava';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StreamEnvironment } from '../../../sdk/datastream.js';
import { planStreamJob } from '../../../runtime/stream/execution-graph.js';
import { runLocally } from '../../../runtime/stream/local-runner.js';
import { decodeJobGraph, encodeJobGraph } from '../../../runtime/protocol/job-graph-codec.js';
import { openFile } from '../../../runtime/platform/node/source-file.js';
import { isoTimestamp } from '../../../runtime/stream/csv.js';
import { parseCsv } from '../../helpers/nexmark-oracle.js';
import { ORDER_COLUMNS, orders, writeOrderFiles } from '../../helpers/file-streams.js';
import type { WrtError } from '../../../runtime/errors.js';

const work = mkdtempSync(join(tmpdir(), 'wrt-late-data-'));
test.after.always(() => rmSync(work, { recursive: true, force: true }));
const ROWS = orders(3000);
const files = writeOrderFiles(work, ROWS);
const BATCH = 100;

function graph(lateness = 0): StreamEnvironment {
  const env = new StreamEnvironment('late-orders', 1);
  const sums = env
    .source('orders', { format: 'csv', columns: ORDER_COLUMNS, properties: { path: files.csv, timestamp: 'at' } })
    .keyBy('user')
    .window({ kind: 'Tumbling', sizeMs: 1000, allowedLatenessMs: lateness })
    .aggregate('counts', [{ function: 'count', as: 'n' }]);
  sums.sinkTo('out', { format: 'csv' });
  sums.lateData().sinkTo('late', { format: 'csv' });
  return env;
}

/** Which rows are late: the watermark moves after each batch of `BATCH` rows to max(at) - 1. */
function simulate(lateness: number): { onTime: Map<string, number>; late: string[] } {
  let wm = -Infinity;
  const onTime = new Map<string, number>();
  const late: string[] = [];
  for (let b = 0; b < ROWS.length; b += BATCH) {
    const batch = ROWS.slice(b, b + BATCH);
    for (const r of batch) {
      const start = Math.floor(r.at / 1000) * 1000;
      if (start + 999 + lateness <= wm) late.push([r.user, r.amount, r.price, isoTimestamp(r.at)].join('|'));
      else {
        const k = `${r.user}|${isoTimestamp(start)}`;
        onTime.set(k, (onTime.get(k) ?? 0) + 1);
      }
    }
    wm = Math.max(wm, Math.max(...batch.map((r) => r.at)) - 1);
  }
  return { onTime, late };
}

function run(env: StreamEnvironment): Map<string, string[][]> {
  const { parts } = runLocally(planStreamJob(env.build(), {}, 1), {
    instantiate: () => {
      throw new Error('no wasm operators here');
    },
    connectors: { openFile },
    batchRows: BATCH,
  });
  const decoder = new TextDecoder();
  return new Map([...parts].map(([id, list]) => [id, list.flatMap((p) => parseCsv(decoder.decode(p.part)).slice(1))]));
}

test('late elements leave through the late edge with their columns; the window counts exactly the others', () => {
  for (const lateness of [0, 20]) {
    const expected = simulate(lateness);
    assert.ok(expected.late.length > 0, `the data has late rows (${expected.late.length} at lateness ${lateness})`);
    const out = run(graph(lateness));
    const late = out.get('late')!.map((r) => r.join('|'));
    assert.deepEqual(late.sort(), expected.late.sort(), `late rows at lateness ${lateness}`);
    // With allowed lateness a window fires again per late-but-allowed row: its last firing counts all.
    const counts = new Map<string, number>();
    for (const [user, n, start] of out.get('out')!) counts.set(`${user}|${start}`, Number(n));
    assert.deepEqual(counts, expected.onTime, `window counts at lateness ${lateness}`);
    assert.equal([...counts.values()].reduce((a, b) => a + b, 0) + late.length, ROWS.length);
  }
});

test('the late edge survives the FlatBuffers round trip; only Window vertices have a second output', () => {
  const g = graph().build();
  const lateEdge = g.edges.find((e) => e.to === 'late')!;
  assert.equal(lateEdge.output, 1);
  assert.deepEqual(decodeJobGraph(encodeJobGraph(g)), g);
  const plan = planStreamJob(g, {}, 1);
  assert.deepEqual(
    plan.byId.get('late')!.vertex.columns!.map((c) => c.name),
    ORDER_COLUMNS.map((c) => c.name),
  );
  const wrong = { ...g, edges: g.edges.map((e) => (e.to === 'counts' ? { ...e, output: 1 } : e)) };
  assert.throws(
    () => planStreamJob(wrong, {}, 1),
    (err: WrtError) => err.code === 'WRT_BAD_JOB_GRAPH' && /only Window vertices have a second output/.test(err.message),
  );
  const env = new StreamEnvironment('x', 1);
  const src = env.source('orders', { format: 'csv', columns: ORDER_COLUMNS, properties: { path: files.csv } });
  assert.throws(
    () => src.lateData(),
    (err: WrtError) => /not the result of a window aggregation/.test(err.message),
  );
});
