// Bounded file sources (text, csv, jsonl): split by byte ranges among subtasks, every line read
// once at parallelism 1–3 (checked against the records written), a keyed event-time window over
// the CSV file equal to a JS reference, a restore from a mid-file position, and clear errors for
// a missing file, a malformed record and a node without a file system.
import test from 'ava';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StreamEnvironment } from '../../../sdk/datastream.js';
import { planStreamJob } from '../../../runtime/stream/execution-graph.js';
import { runLocally } from '../../../runtime/stream/local-runner.js';
import { FileSource } from '../../../runtime/stream/file-source.js';
import { parseCsvLine } from '../../../runtime/stream/record-format.js';
import { RowBatch } from '../../../runtime/stream/row-batch.js';
import { openFile } from '../../../runtime/platform/node/source-file.js';
import { parseCsv } from '../../helpers/nexmark-oracle.js';
import { ORDER_COLUMNS, expectedWindowSums, orders, ordersPerSecond, writeOrderFiles } from '../../helpers/file-streams.js';
import type { JobGraphVertex } from '../../../runtime/protocol/messages.js';
import type { WrtError } from '../../../runtime/errors.js';

const work = mkdtempSync(join(tmpdir(), 'wrt-file-source-'));
test.after.always(() => rmSync(work, { recursive: true, force: true }));
const ROWS = orders(5000);
const files = writeOrderFiles(work, ROWS);

function run(env: StreamEnvironment, parallelism: number): string[][] {
  const { parts } = runLocally(planStreamJob(env.build(), {}, parallelism), {
    instantiate: () => {
      throw new Error('no wasm operators here');
    },
    connectors: { openFile },
    batchRows: 333,
  });
  const decoder = new TextDecoder();
  return [...parts.values()].flat().flatMap((s) => parseCsv(decoder.decode(s.part)).slice(1));
}

const sorted = (rows: string[][]): string[] => rows.map((r) => r.join('|')).sort();

test('csv, jsonl and text sources read every record once at parallelism 1, 2 and 3', () => {
  const want = sorted(ROWS.map((r) => [r.user, String(r.amount), String(r.price), new Date(r.at).toISOString()]));
  for (const p of [1, 2, 3]) {
    for (const format of ['csv', 'jsonl'] as const) {
      const env = new StreamEnvironment(`read-${format}`);
      env
        .source('orders', { format, columns: ORDER_COLUMNS, parallelism: p, properties: { path: files[format] } })
        .sinkTo('out', { format: 'csv', parallelism: 1 });
      assert.deepEqual(sorted(run(env, p)), want, `${format} at parallelism ${p}`);
    }
    const env = new StreamEnvironment('read-text');
    env
      .source('lines', { format: 'text', columns: [{ name: 'line', type: 'Utf8' }], parallelism: p, properties: { path: files.text } })
      .sinkTo('out', { format: 'csv' });
    assert.deepEqual(sorted(run(env, p)), ROWS.map((r) => `${r.user} bought ${r.amount}`).sort(), `text at parallelism ${p}`);
  }
});

test('an event-time window over a csv file (timestamp column, bounded out-of-orderness) equals the reference', () => {
  for (const p of [1, 3]) {
    assert.deepEqual(sorted(run(ordersPerSecond(files.csv), p).map((r) => r.slice(0, 4))), expectedWindowSums(ROWS), `parallelism ${p}`);
  }
});

const vertex = (format: string, properties: Record<string, string>): JobGraphVertex => ({
  id: 'src',
  kind: 'Source',
  operator: '',
  parallelism: 2,
  format,
  maxMemoryBytes: 0,
  deadlineMs: 0,
  gpus: 0,
  columns: ORDER_COLUMNS,
  properties,
});

test('a source restored from a mid-file position goes on from there: nothing lost, nothing twice', () => {
  const users = (s: FileSource, batches: number): string[] => {
    const out: string[] = [];
    for (let i = 0; i < batches; i++) {
      const step = s.next(100);
      if (step.batch) {
        const b = new RowBatch(step.batch);
        for (let r = 0; r < b.rows; r++) out.push(b.row(r).join('|'));
      }
      if (step.done) break;
    }
    return out;
  };
  const whole = users(new FileSource(vertex('jsonl', { path: files.jsonl }), 1, 2, openFile), 1000);
  const first = new FileSource(vertex('jsonl', { path: files.jsonl }), 1, 2, openFile);
  const before = users(first, 3);
  const state = JSON.parse(JSON.stringify(first.snapshot())) as unknown;
  const second = new FileSource(vertex('jsonl', { path: files.jsonl }), 1, 2, openFile);
  second.restore(state);
  assert.deepEqual([...before, ...users(second, 1000)], whole);
  assert.ok(before.length === 300 && whole.length > 2000);
});

test('errors: a missing file, a malformed record, no file system, a bad timestamp column', () => {
  const code = (c: string, re: RegExp) => (e: WrtError) => e.code === c && re.test(e.message);
  assert.throws(
    () => new FileSource(vertex('csv', { path: join(work, 'nope.csv') }), 0, 1, openFile),
    code('WRT_INPUT_NOT_FOUND', /cannot open .*nope\.csv/),
  );
  const bad = join(work, 'bad.csv');
  writeFileSync(bad, 'user,amount,price,at\nann,1,2.5,0\nbob,lots,1,0\n');
  const s = new FileSource(vertex('csv', { path: bad }), 0, 1, openFile);
  assert.throws(() => s.next(10), code('WRT_BAD_INPUT', /bad\.csv, the line at byte 33: field "amount" is not an integer: "lots"/));
  assert.throws(
    () => new FileSource(vertex('csv', { path: bad }), 0, 1, undefined),
    code('WRT_BAD_JOB_GRAPH', /no file system \(a browser node\)/),
  );
  assert.throws(
    () => new FileSource(vertex('csv', { path: bad, timestamp: 'user' }), 0, 1, openFile),
    code('WRT_BAD_JOB_GRAPH', /timestamp column "user" must be Timestamp or I64/),
  );
  assert.throws(() => new FileSource(vertex('csv', {}), 0, 1, openFile), code('WRT_BAD_JOB_GRAPH', /property "path"/));
});

test('parseCsvLine: RFC 4180 quoting within one line', () => {
  assert.deepEqual(parseCsvLine('a,"b, c","say ""hi""",'), ['a', 'b, c', 'say "hi"', '']);
  assert.deepEqual(parseCsvLine(''), ['']);
  assert.equal(parseCsvLine('"open'), null);
  assert.equal(parseCsvLine('"x"y'), null);
});
