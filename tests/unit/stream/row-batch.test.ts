// Row batches (WRB1): what the builder writes the reader gives back, and malformed bytes are a
// clear WRT_BAD_BATCH, never a crash.
import test from 'ava';
import assert from 'node:assert/strict';
import { RowBatch, RowBatchBuilder } from '../../../runtime/stream/row-batch.js';
import type { WrtError } from '../../../runtime/errors.js';
import { SAMPLE_ROWS, sampleBatch } from '../../helpers/sample-batch.js';

const rows = SAMPLE_ROWS;
const build = sampleBatch;

test('builder and reader agree on every cell, timestamp and type', () => {
  const batch = new RowBatch(build());
  assert.equal(batch.rows, rows.length);
  assert.deepEqual(batch.types, ['I64', 'Utf8', 'F64', 'Timestamp']);
  rows.forEach(([t, r], i) => {
    assert.equal(batch.timestamp(i), t);
    assert.deepEqual(batch.row(i), r);
  });
  assert.equal(batch.bytes.byteLength % 8, 0);
});

test('strings are written as TextEncoder writes them: ASCII, 2-, 3- and 4-byte sequences, lone surrogates as U+FFFD', () => {
  const strings = ['plain ascii', 'a plain ascii string longer than sixteen', 'é', '日本語', '😀x', 'a\ud800b', '\udc00', 'end\ud83d'];
  const b = new RowBatchBuilder(['Utf8']);
  strings.forEach((s, i) => b.add(i, [s]));
  const batch = new RowBatch(b.finish());
  const encoder = new TextEncoder();
  strings.forEach((s, i) => assert.deepEqual(batch.strBytes(0, i), encoder.encode(s), JSON.stringify(s)));
});

test('truncated, mislabelled and mistyped batches are WRT_BAD_BATCH', () => {
  const bytes = build();
  const bad = (e: WrtError) => e.code === 'WRT_BAD_BATCH';
  for (const n of [0, 8, 16, 40, bytes.byteLength - 16]) assert.throws(() => new RowBatch(bytes.subarray(0, n)), bad, `length ${n}`);
  const wrongMagic = bytes.slice();
  wrongMagic[0] = 0;
  assert.throws(() => new RowBatch(wrongMagic), bad);
  const wrongType = bytes.slice();
  wrongType[17] = 9;
  assert.throws(() => new RowBatch(wrongType), bad);
  const mistyped = new RowBatchBuilder(['I64']);
  mistyped.add(0, ['x']);
  assert.throws(() => mistyped.finish(), bad);
  const notInteger = new RowBatchBuilder(['I64']);
  notInteger.add(0, [NaN]);
  assert.throws(() => notInteger.finish(), bad);
});

test('i64 cells and timestamps round-trip across the 32-bit halves: negatives, 2^32 ± 1, ±(2^53 − 1)', () => {
  const values = [0, -1, 1, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, -(2 ** 32), -(2 ** 32) - 1, 2 ** 53 - 1, -(2 ** 53 - 1), 1_436_918_400_000];
  const b = new RowBatchBuilder(['I64', 'Timestamp']);
  for (const v of values) b.add(v, [v, v]);
  const batch = new RowBatch(b.finish());
  values.forEach((v, i) => {
    assert.equal(batch.timestamp(i), v);
    assert.deepEqual(batch.row(i), [v, v]);
  });
});
