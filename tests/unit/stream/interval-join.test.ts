// The interval join's buffers (side-buffer.ts, key-index.ts) and its stream operator's snapshots:
// thousands of keys of every kind, coming and going while the rings wrap and grow, give exactly the
// pairs of a brute-force join; the key table agrees with a Map under random adds and deletes;
// a snapshot taken mid-stream writes the buffered rows as bytes and, restored, joins on exactly as
// the undisturbed operator does — also from a snapshot of the form written before 2026-12.
import test from 'ava';
import assert from 'node:assert/strict';
import { IntervalJoinOperator } from '../../../runtime/stream/interval-join.js';
import { KeyIndex } from '../../../runtime/stream/key-index.js';
import { IntervalJoinStreamOperator } from '../../../runtime/stream/operators/joins.js';
import { RowBatch, RowBatchBuilder, type Value } from '../../../runtime/stream/row-batch.js';
import { decodeState, encodeState } from '../../../runtime/stream/state-codec.js';
import type { JobGraphVertex } from '../../../runtime/protocol/messages.js';

let seed = 11;
const rand = (n: number): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff), (seed >>> 8) % n);

test('many keys of every kind, rings wrapping and growing: exactly the pairs of a brute-force join', () => {
  // Keys: integers (negative, past 2^31, near 2^53), fractions, −0 and 0 (one key), strings.
  const pool: (number | string)[] = [];
  for (let i = 0; i < 3000; i++) pool.push(i - 1500, 2 ** 40 + i * 7, i + 0.25, `k${i}`);
  pool.push(-0, 0, Number.MAX_SAFE_INTEGER, 'é');
  const same = (a: number | string, b: number | string): boolean => a === b; // −0 === 0, as Map keys
  const lower = -30;
  const upper = 50;
  const got: string[] = [];
  const j = new IntervalJoinOperator<number | string, string, string>({
    lowerMs: lower,
    upperMs: upper,
    emit: (k, l, r, t) => got.push(`${String(k)}:${l}+${r}@${t}`),
  });
  const left: { k: number | string; t: number; id: string }[] = [];
  const right: typeof left = [];
  let wm = -Infinity;
  // Two inputs 400 ms of event time apart take turns; the watermark trails the slower one.
  for (let i = 0; i < 60_000; i++) {
    const lagging = i % 2 === 0;
    const t = Math.floor(i / 4) + (lagging ? 0 : 400) + rand(20);
    // Mostly fresh keys (as q7's prices), some repeating within the window.
    const k = pool[rand(10) < 7 ? rand(pool.length) : rand(40)]!;
    const e = { k, t, id: `${i}` };
    if (t < wm) continue;
    if (rand(3) === 0) {
      right.push(e);
      j.processRight(k, e.id, t);
    } else {
      left.push(e);
      j.processLeft(k, e.id, t);
    }
    if (i % 97 === 96) j.advanceWatermark((wm = Math.floor(i / 4) - 60));
  }
  const want: string[] = [];
  const byKey = new Map<number | string, typeof right>();
  for (const r of right) {
    const k = Object.is(r.k, -0) ? 0 : r.k;
    byKey.set(k, [...(byKey.get(k) ?? []), r]);
  }
  for (const l of left)
    for (const r of byKey.get(Object.is(l.k, -0) ? 0 : l.k) ?? [])
      if (same(l.k, r.k) && l.t + lower <= r.t && r.t <= l.t + upper)
        want.push(`${String(Object.is(l.k, -0) ? 0 : l.k)}:${l.id}+${r.id}@${Math.max(l.t, r.t)}`);
  assert.ok(want.length > 5000, `only ${want.length} pairs: the test joins too little`);
  assert.deepEqual(got.map((s) => s.replace(/^-0:/, '0:')).sort(), want.sort());
  j.advanceWatermark(Number.MAX_SAFE_INTEGER);
  assert.equal(j.buffered, 0);
});

test('an element far ahead at the ring head does not keep what came after it: the ring compacts', () => {
  const pairs: string[] = [];
  const j = new IntervalJoinOperator<number, string, string>({
    lowerMs: -10,
    upperMs: 10,
    emit: (k, l, r) => pairs.push(`${k}:${l}+${r}`),
  });
  // One left element 10^9 ms ahead (a bad clock), then 200 000 ordinary ones, the watermark close behind.
  j.processLeft(1, 'outlier', 1e9);
  let most = 0;
  for (let t = 0; t < 200_000; t++) {
    j.processLeft(t % 997, `l${t}`, t);
    if (t % 5 === 0) j.processRight(t % 997, `r${t}`, t + 3);
    if (t % 100 === 99) {
      j.advanceWatermark(t - 50);
      most = Math.max(most, j.held);
    }
  }
  // Only ~80 elements can still match at a time; without compaction all 240 000 would stay.
  assert.ok(most < 20_000, `${most} elements held at most`);
  assert.ok(j.buffered < 200, `${j.buffered} buffered`);
  // Each right element (every fifth ms, 3 ms later) joins exactly the left one of its time: keys repeat every 997 ms.
  assert.equal(pairs.length, 40_000);
  // The outlier still joins once the other side reaches it.
  j.processRight(1, 'late-enough', 1e9 + 5);
  assert.ok(pairs.includes('1:outlier+late-enough'));
});

test('the key table answers as a Map under random adds and deletes, through growth and backward shifts', () => {
  const index = new KeyIndex<number | string>();
  const map = new Map<number | string, number>();
  // Few distinct home slots: many probe runs collide and deletions shift entries back.
  const keys = [
    ...Array.from({ length: 5000 }, (_, i) => i * 1024),
    ...Array.from({ length: 500 }, (_, i) => i / 8),
    'a',
    'b',
    Number.NaN,
    -0,
  ];
  for (let step = 0; step < 200_000; step++) {
    const k = keys[rand(keys.length)]!;
    const has = map.has(k);
    assert.equal(index.get(k), has ? map.get(k) : -1, `get ${String(k)} at step ${step}`);
    if (!has && rand(3) !== 0) {
      index.add(k, step);
      map.set(k, step);
    } else if (has && rand(2) === 0) {
      index.delete(k);
      map.delete(k);
    }
  }
  assert.equal(index.size, map.size);
  for (const k of keys) assert.equal(index.get(k), map.has(k) ? map.get(k) : -1);
});

// q7's shape: bids (auction, price, extra) ⋈ maxima (price) on price, the max's time its window's end − 1.
const vertex: JobGraphVertex = {
  id: 'join',
  kind: 'IntervalJoin',
  operator: '',
  parallelism: 1,
  format: '',
  maxMemoryBytes: 0,
  deadlineMs: 0,
  gpus: 0,
  columns: [
    { name: 'auction', type: 'I64' },
    { name: 'price', type: 'I64' },
    { name: 'extra', type: 'Utf8' },
  ],
  project: [0, 1, 2],
  lowerBoundMs: -1,
  upperBoundMs: 999,
};

function bids(from: number, n: number): RowBatch {
  const b = new RowBatchBuilder(['I64', 'I64', 'Utf8']);
  for (let i = from; i < from + n; i++) b.add(i * 3, [i, 100 + (i % 37), `extra ${i} ${'é'.repeat(i % 5)}`]);
  return new RowBatch(b.finish());
}

function maxima(t: number, prices: number[]): RowBatch {
  const b = new RowBatchBuilder(['I64']);
  for (const p of prices) b.add(t, [p]);
  return new RowBatch(b.finish());
}

function joinOp(out: string[]): IntervalJoinStreamOperator {
  return new IntervalJoinStreamOperator(vertex, [[1], [0]], {
    emit: (bytes) => {
      const b = new RowBatch(bytes);
      for (let r = 0; r < b.rows; r++) out.push(`${b.timestamp(r)}:${b.row(r).join('|')}`);
    },
  });
}

/** Feeds bids [from, to) in batches of 50, a maximum every 300 ms and the watermark after each batch. */
function feed(op: IntervalJoinStreamOperator, from: number, to: number): void {
  for (let i = from; i < to; i += 50) {
    op.processBatch(0, bids(i, 50));
    const t = (i + 50) * 3;
    if (Math.floor(t / 300) > Math.floor((i * 3) / 300))
      op.processBatch(1, maxima(Math.floor(t / 300) * 300 - 1, [100 + (i % 37), 101 + (i % 37)]));
    op.advanceWatermark(t - 200);
  }
}

test('a mid-stream snapshot holds the buffered rows as bytes and, restored, joins on as the undisturbed operator', () => {
  const undisturbed: string[] = [];
  const a = joinOp(undisturbed);
  feed(a, 0, 2000);
  const bytes = encodeState({ operator: a.snapshot() });
  // A container: "WRS1", the JSON, then the rows as a batch — their strings as UTF-8, not JSON text.
  assert.equal(new TextDecoder().decode(bytes.subarray(0, 4)), 'WRS1');
  assert.ok(Buffer.from(bytes).includes(Buffer.from('extra 1999 éééé')));
  const before = undisturbed.length;
  const restored: string[] = [];
  const b = joinOp(restored);
  b.restore(decodeState<{ operator: unknown }>(bytes).operator);
  feed(a, 2000, 4000);
  feed(b, 2000, 4000);
  assert.ok(restored.length > 100, `only ${restored.length} rows joined after the restore`);
  assert.deepEqual(restored, undisturbed.slice(before));
  // The restored operator's own snapshot restores too.
  const again: string[] = [];
  const c = joinOp(again);
  c.restore(decodeState<{ operator: unknown }>(encodeState({ operator: b.snapshot() })).operator);
  const mark = restored.length;
  feed(b, 4000, 5000);
  feed(c, 4000, 5000);
  assert.ok(again.length > 0);
  assert.deepEqual(again, restored.slice(mark));
});

test('a snapshot of the form written before 2026-12 (every row as its values) restores, and its next snapshot too', () => {
  const undisturbed: string[] = [];
  const a = joinOp(undisturbed);
  feed(a, 0, 2000);
  // The earlier form: per key, [time, values] of each side, as IntervalJoinOperator.snapshot writes it.
  const inner = (a as unknown as { op: IntervalJoinOperator<number, RowBatch | Value[], RowBatch | Value[]> }).op;
  const old = inner.snapshot((ref, row) => (row < 0 ? ref : (ref as RowBatch).row(row)));
  assert.ok(old.buffers.length > 10 && !('v' in old));
  const before = undisturbed.length;
  const restored: string[] = [];
  const b = joinOp(restored);
  b.restore(decodeState(encodeState(old)));
  feed(a, 2000, 2100);
  feed(b, 2000, 2100);
  // Restored rows are values now; the next snapshot writes them so (before the rows as bytes).
  const mixed = decodeState<{ left: { plain?: unknown[]; rows?: Uint8Array } }>(encodeState(b.snapshot()));
  assert.ok((mixed.left.plain?.length ?? 0) > 0 && mixed.left.rows instanceof Uint8Array);
  const again: string[] = [];
  const c = joinOp(again);
  c.restore(mixed);
  const mark = restored.length;
  feed(a, 2100, 3000);
  feed(b, 2100, 3000);
  feed(c, 2100, 3000);
  assert.ok(again.length > 100, `only ${again.length} rows joined after the second restore`);
  assert.deepEqual(restored, undisturbed.slice(before));
  assert.deepEqual(again, restored.slice(mark));
});
