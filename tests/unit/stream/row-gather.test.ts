// Rows copied between WRB1 batches without decoding: every cell, timestamp and string byte
// arrives, in the order asked, from one batch or from many; batches of other columns are refused.
import test from 'ava';
import assert from 'node:assert/strict';
import { RowBatch, RowBatchBuilder } from '../../../runtime/stream/row-batch.js';
import { gatherRows, selectRows } from '../../../runtime/stream/row-gather.js';
import type { WrtError } from '../../../runtime/errors.js';
import { SAMPLE_ROWS, sampleBatch } from '../../helpers/sample-batch.js';

const rows = SAMPLE_ROWS;
const build = sampleBatch;

test('selectRows copies the chosen rows in the chosen order', () => {
  const batch = new RowBatch(build());
  const picked = new RowBatch(selectRows(batch, [2, 0]));
  assert.equal(picked.rows, 2);
  assert.deepEqual(picked.row(0), rows[2]![1]);
  assert.deepEqual(picked.row(1), rows[0]![1]);
  assert.equal(picked.timestamp(0), -7);
  assert.equal(new RowBatch(selectRows(batch, [])).rows, 0);
});

test('selectRows keeps every byte: strings of every length around its word and bulk copies, a batch inside a larger buffer', () => {
  const b = new RowBatchBuilder(['Utf8', 'I64', 'Utf8']);
  const text = (n: number): string => Array.from({ length: n }, (_, i) => String.fromCharCode(97 + ((i * 7) % 26))).join('');
  const want: [number, (number | string)[]][] = [];
  for (let n = 0; n < 300; n += n < 12 ? 1 : 37) want.push([n * 1000 - 5, [text(n), -(2 ** 52) + n, `é${text(n % 9)}`]]);
  for (const [t, r] of want) b.add(t, r);
  const bytes = b.finish();
  // The batch at an odd offset of a larger buffer, as a slice of a received message is.
  const host = new Uint8Array(bytes.byteLength + 3);
  host.set(bytes, 3);
  const batch = new RowBatch(host.subarray(3));
  const order = want.map((_, i) => want.length - 1 - i).filter((i) => i % 3 !== 1);
  const picked = new RowBatch(selectRows(batch, order));
  assert.equal(picked.rows, order.length);
  order.forEach((r, i) => {
    assert.equal(picked.timestamp(i), want[r]![0]);
    assert.deepEqual(picked.row(i), want[r]![1]);
  });
});

test('gatherRows takes each row from its own batch, in the order asked', () => {
  const types = ['I64', 'Utf8', 'F64', 'Timestamp'] as const;
  const a = new RowBatch(build());
  const other = new RowBatchBuilder([...types]);
  other.add(99, [42, 'x'.repeat(300), 1.5, 7]);
  other.add(100, [43, 'short', -0, 8]);
  const b = new RowBatch(other.finish());
  const from = [b, a, a, b, a];
  const at = [1, 3, 0, 0, 3];
  const got = new RowBatch(gatherRows([...types], from, at));
  assert.equal(got.rows, 5);
  from.forEach((batch, i) => {
    assert.equal(got.timestamp(i), batch.timestamp(at[i]!));
    assert.deepEqual(got.row(i), batch.row(at[i]!));
  });
  assert.equal(new RowBatch(gatherRows([...types], [], [])).rows, 0);
  const bad = (e: WrtError) => e.code === 'WRT_BAD_BATCH';
  const narrow = new RowBatchBuilder(['I64']);
  narrow.add(1, [1]);
  assert.throws(() => gatherRows([...types], [a, new RowBatch(narrow.finish())], [0, 0]), bad);
  assert.throws(() => gatherRows([...types], [a], [0, 1]), bad);
});
