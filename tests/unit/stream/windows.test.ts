// Window assigners, watermarks and the keyed window operator, against hand-worked cases of
// Flink's semantics.
import test from 'ava';
import assert from 'node:assert/strict';
import { assignWindows, checkAssigner, windowStart, type TimeWindow } from '../../../runtime/stream/time-window.js';
import { BoundedOutOfOrdernessWatermarks, WatermarkValve } from '../../../runtime/stream/watermarks.js';
import { WindowOperator, type AggregateFunction } from '../../../runtime/stream/window-operator.js';
import { TimerQueue } from '../../../runtime/stream/timer-queue.js';
import { IntervalJoinOperator } from '../../../runtime/stream/interval-join.js';
import { decodeState, encodeState } from '../../../runtime/stream/state-codec.js';

const w = (start: number, end: number): TimeWindow => ({ start, end });

test('assigners: tumbling and sliding align to the epoch plus offset; sessions start at the element', () => {
  assert.deepEqual(assignWindows({ kind: 'tumbling', sizeMs: 10 }, 0), [w(0, 10)]);
  assert.deepEqual(assignWindows({ kind: 'tumbling', sizeMs: 10 }, 19), [w(10, 20)]);
  assert.deepEqual(assignWindows({ kind: 'tumbling', sizeMs: 10, offsetMs: 3 }, 12), [w(3, 13)]);
  assert.deepEqual(assignWindows({ kind: 'tumbling', sizeMs: 10 }, -1), [w(-10, 0)]);
  assert.deepEqual(assignWindows({ kind: 'sliding', sizeMs: 10, slideMs: 4 }, 9), [w(8, 18), w(4, 14), w(0, 10)]);
  assert.deepEqual(assignWindows({ kind: 'sliding', sizeMs: 10, slideMs: 5 }, 10), [w(10, 20), w(5, 15)]);
  assert.deepEqual(assignWindows({ kind: 'session', gapMs: 7 }, 5), [w(5, 12)]);
  assert.equal(windowStart(25, 0, 10), 20);
  assert.throws(() => checkAssigner({ kind: 'sliding', sizeMs: 10, slideMs: 0 }), /slideMs must be a positive integer/);
  assert.throws(() => checkAssigner({ kind: 'tumbling', sizeMs: 10, offsetMs: 10 }), /offsetMs/);
  assert.throws(() => new WindowOperator({ assigner: { kind: 'session', gapMs: -1 }, aggregate: count, emit: () => {} }), {
    code: 'WRT_INVALID_ARGUMENT',
  });
});

test('bounded out-of-orderness: watermark = max timestamp - bound - 1; idle after the timeout', () => {
  const g = new BoundedOutOfOrdernessWatermarks(100, 1000);
  assert.equal(g.watermark, -Infinity);
  g.onEvent(5000, 0);
  g.onEvent(4000, 10);
  assert.equal(g.watermark, 4899);
  assert.equal(g.isIdle(999), false);
  assert.equal(g.isIdle(1010), true);
  assert.throws(() => new BoundedOutOfOrdernessWatermarks(-1), { code: 'WRT_INVALID_ARGUMENT' });
});

test('valve: minimum over active channels, only forward; idle channels stop holding it back', () => {
  const v = new WatermarkValve(3);
  assert.equal(v.onWatermark(0, 10), null);
  assert.equal(v.onWatermark(1, 20), null);
  assert.equal(v.onWatermark(2, 5), 5);
  assert.equal(v.onWatermark(2, 30), 10);
  assert.equal(v.onWatermark(0, 8), null, 'a channel never moves back');
  assert.equal(v.onIdle(0, true), 20);
  assert.equal(v.onIdle(1, true), 30);
  assert.equal(v.onIdle(2, true), null, 'all idle: holds');
  assert.equal(v.current, 30);
  assert.equal(v.onWatermark(0, 25), null, 'a channel back from idle below the output does not pull it back');
});

test('timer queue: time order, registration order among equals, duplicates kept once', () => {
  const q = new TimerQueue<string, string>((k, n) => `${k}/${n}`);
  q.add(5, 'a', 'x');
  q.add(3, 'b', 'x');
  q.add(5, 'c', 'x');
  assert.equal(q.add(3, 'b', 'x'), false);
  q.add(1, 'd', 'x');
  const order: string[] = [];
  for (let t = q.pollUpTo(4); t; t = q.pollUpTo(4)) order.push(t.key);
  assert.deepEqual(order, ['d', 'b']);
  for (let t = q.pollUpTo(Infinity); t; t = q.pollUpTo(Infinity)) order.push(t.key);
  assert.deepEqual(order, ['d', 'b', 'a', 'c']);
});

const count: AggregateFunction<unknown, number, number> = {
  create: () => 0,
  add: (a) => a + 1,
  merge: (a, b) => a + b,
  result: (a) => a,
};

function run(o: { assigner: Parameters<typeof checkAssigner>[0]; allowedLatenessMs?: number }) {
  const out: string[] = [];
  const late: string[] = [];
  const op = new WindowOperator<string, unknown, number, number>({
    ...o,
    aggregate: count,
    emit: (k, win, n) => out.push(`${k}[${win.start},${win.end})=${n}`),
    late: (k, _v, t) => late.push(`${k}@${t}`),
  });
  return { op, out, late };
}

test('tumbling count: fires when the watermark reaches end - 1; late elements go to the side output', () => {
  const { op, out, late } = run({ assigner: { kind: 'tumbling', sizeMs: 10 } });
  op.processElement('a', null, 1);
  op.processElement('b', null, 3);
  op.processElement('a', null, 9);
  op.processElement('a', null, 12);
  op.advanceWatermark(8);
  assert.deepEqual(out, []);
  op.advanceWatermark(9);
  assert.deepEqual(out, ['a[0,10)=2', 'b[0,10)=1']);
  op.processElement('a', null, 5); // window [0,10) is gone: late
  assert.deepEqual(late, ['a@5']);
  op.advanceWatermark(Infinity);
  assert.deepEqual(out, ['a[0,10)=2', 'b[0,10)=1', 'a[10,20)=1']);
  assert.equal(op.openWindows, 0);
});

test('allowed lateness: a late element within it re-fires the window with the updated result', () => {
  const { op, out, late } = run({ assigner: { kind: 'tumbling', sizeMs: 10 }, allowedLatenessMs: 5 });
  op.processElement('a', null, 1);
  op.advanceWatermark(9);
  op.processElement('a', null, 2); // wm 9 < 9 + 5: still accepted, fires at once
  assert.deepEqual(out, ['a[0,10)=1', 'a[0,10)=2']);
  op.advanceWatermark(14); // cleanup at 9 + 5
  op.processElement('a', null, 3);
  assert.deepEqual(late, ['a@3']);
  assert.equal(op.openWindows, 0);
});

test('sliding count: each element counts in size/slide windows', () => {
  const { op, out } = run({ assigner: { kind: 'sliding', sizeMs: 10, slideMs: 5 } });
  for (const t of [0, 4, 7, 12]) op.processElement('k', null, t);
  op.advanceWatermark(Infinity);
  assert.deepEqual(out, ['k[-5,5)=2', 'k[0,10)=3', 'k[5,15)=2', 'k[10,20)=1']);
});

test('sessions: windows touching (gap apart exactly) merge, also out of order; a bridging element joins two', () => {
  const { op, out } = run({ assigner: { kind: 'session', gapMs: 10 } });
  op.processElement('u', null, 0);
  op.processElement('u', null, 10); // [0,10) and [10,20) touch: one session
  op.processElement('u', null, 35); // a new session [35,45)
  op.processElement('v', null, 21);
  op.advanceWatermark(19);
  assert.deepEqual(out, ['u[0,20)=2']);
  op.processElement('u', null, 50); // [35,45) and [50,60) do not touch
  op.processElement('u', null, 44); // ... until 44 bridges them: [35,60)
  op.advanceWatermark(Infinity);
  assert.deepEqual(out, ['u[0,20)=2', 'v[21,31)=1', 'u[35,60)=3']);
});

test('interval join: bounds inclusive on both sides, either arrival order; buffers freed by the watermark', () => {
  const pairs: string[] = [];
  const j = new IntervalJoinOperator<string, string, string>({
    lowerMs: -2,
    upperMs: 1,
    emit: (k, l, r, t) => pairs.push(`${k}:${l}+${r}@${t}`),
  });
  j.processRight('k', 'r7', 7);
  j.processLeft('k', 'l8', 8); // 8 - 2 ≤ 7 ≤ 8 + 1
  j.processLeft('k', 'l10', 10); // 7 < 10 - 2: no
  j.processRight('k', 'r11', 11); // l10: 8 ≤ 11 ≤ 11
  j.processRight('other', 'x', 10);
  assert.deepEqual(pairs, ['k:l8+r7@8', 'k:l10+r11@11']);
  assert.equal(j.buffered, 5);
  j.advanceWatermark(20);
  assert.equal(j.buffered, 0);
  j.processLeft('k', 'old', 3);
  assert.equal(j.lateElements, 1);
  assert.throws(() => new IntervalJoinOperator({ lowerMs: 2, upperMs: 1, emit: () => {} }), /lowerMs ≤ upperMs/);
});

test('interval join: equal timestamps join in arrival order; each element leaves exactly when the watermark passes it; snapshots restore', () => {
  const pairs: string[] = [];
  const make = (): IntervalJoinOperator<string, string, string> =>
    new IntervalJoinOperator<string, string, string>({ lowerMs: -2, upperMs: 1, emit: (k, l, r, t) => pairs.push(`${k}:${l}+${r}@${t}`) });
  const j = make();
  j.processLeft('k', 'a', 8);
  j.processLeft('k', 'b', 8);
  j.processLeft('k', 'c', 5);
  j.processRight('k', 'r', 9); // a and b (8 - 2 ≤ 9 ≤ 8 + 1), in arrival order; c: 9 > 5 + 1
  assert.deepEqual(pairs.splice(0), ['k:a+r@9', 'k:b+r@9']);
  // c (5) may match until the watermark passes 5 + 1; r (9) until it passes 9 + 2.
  j.advanceWatermark(6);
  assert.equal(j.buffered, 4);
  j.advanceWatermark(7);
  assert.equal(j.buffered, 3);
  const restored = make();
  restored.restore(decodeState(encodeState(j.snapshot())));
  for (const op of [j, restored]) {
    op.processLeft('k', 'd', 10); // r: 8 ≤ 9 ≤ 11
    op.advanceWatermark(10); // a, b (8 + 1 < 10) leave; d and r stay
    assert.equal(op.buffered, 2);
    op.advanceWatermark(12); // r (9 + 2 < 12) and d (10 + 1 < 12) leave
    assert.equal(op.buffered, 0);
  }
  assert.deepEqual(pairs, ['k:d+r@10', 'k:d+r@10']);
});

test('interval join: two inputs far apart in event time, interleaved, give exactly the pairs of a brute-force join', () => {
  // Two upstream subtasks 3000 ms of event time apart take turns, as across a 2-slot cluster; keys
  // repeat, so sides hold many elements and arrive out of order within a key.
  const lower = -40;
  const upper = 25;
  type E = { key: number; t: number; id: string };
  const left: E[] = [];
  const right: E[] = [];
  let seed = 7;
  const rand = (n: number): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff), (seed >>> 16) % n);
  const got: string[] = [];
  const j = new IntervalJoinOperator<number, string, string>({
    lowerMs: lower,
    upperMs: upper,
    emit: (k, l, r, t) => got.push(`${k}:${l}+${r}@${t}`),
  });
  let wm = -Infinity;
  for (let i = 0; i < 4000; i++) {
    const lagging = i % 2 === 0;
    const base = Math.floor(i / 2) * 3 + (lagging ? 0 : 3000);
    const e: E = { key: rand(4), t: base + rand(10), id: `${lagging ? 'a' : 'b'}${i}` };
    if (e.t < wm) continue; // late: the operator drops it, so the reference leaves it out
    if (rand(2) === 0) {
      left.push(e);
      j.processLeft(e.key, e.id, e.t);
    } else {
      right.push(e);
      j.processRight(e.key, e.id, e.t);
    }
    if (i % 50 === 49) j.advanceWatermark((wm = Math.floor(i / 2) * 3 - 20));
  }
  const want: string[] = [];
  for (const l of left)
    for (const r of right)
      // Every pair of elements that were not late: an element leaves only once the watermark has
      // passed every time a partner could have, and a partner at or after the watermark is not late.
      if (l.key === r.key && l.t + lower <= r.t && r.t <= l.t + upper) want.push(`${l.key}:${l.id}+${r.id}@${Math.max(l.t, r.t)}`);
  assert.ok(want.length > 1000, `only ${want.length} pairs: the test joins too little`);
  assert.deepEqual([...got].sort(), [...want].sort());
  j.advanceWatermark(Number.MAX_SAFE_INTEGER);
  assert.equal(j.buffered, 0);
});
