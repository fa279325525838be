// The timer heap under the windows, joins and Process operators (runtime/stream/timer-queue.ts).
import test from 'ava';
import assert from 'node:assert/strict';
import { TimerQueue } from '../../../runtime/stream/timer-queue.js';

/** A deterministic pseudo-random sequence (LCG), so a failure repeats. */
function lcg(seed: number): () => number {
  let x = seed >>> 0;
  return () => (x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

test('timers fire by time, equal times in the order they were set, with and without deduplication', () => {
  const rnd = lcg(7);
  for (const dedupe of [true, false]) {
    const q = new TimerQueue<number, string>(dedupe ? (k, ns) => `${k}\u0000${ns}` : null);
    const set: [number, number, string][] = [];
    for (let i = 0; i < 5000; i++) {
      const t = Math.floor(rnd() * 200);
      const timer: [number, number, string] = [t, i, 'ns'];
      set.push(timer);
      assert.equal(q.add(...timer), true);
    }
    assert.equal(q.size, 5000);
    // entries() is the firing order, without removing anything.
    const expected = set.map((s, seq) => ({ s, seq })).sort((a, b) => a.s[0] - b.s[0] || a.seq - b.seq);
    assert.deepEqual(
      q.entries(),
      expected.map((e) => e.s),
    );
    const fired: [number, number, string][] = [];
    for (const upTo of [-1, 50, 50, 120, 160, 199]) {
      for (let tm = q.pollUpTo(upTo); tm !== null; tm = q.pollUpTo(upTo)) {
        assert.ok(tm.time <= upTo);
        fired.push([tm.time, tm.key, tm.namespace]);
      }
      assert.ok(q.peekTime() === null || q.peekTime()! > upTo);
    }
    assert.deepEqual(
      fired,
      expected.map((e) => e.s),
    );
    assert.equal(q.size, 0);
  }
});

test('with an idOf, the same (time, key, namespace) is kept once until it fires; without, each add is a timer', () => {
  const dedup = new TimerQueue<string, number>((k, ns) => `${k}\u0000${ns}`);
  assert.equal(dedup.add(10, 'a', 1), true);
  assert.equal(dedup.add(10, 'a', 1), false);
  assert.equal(dedup.add(10, 'a', 2), true, 'another namespace');
  assert.equal(dedup.add(11, 'a', 1), true, 'another time');
  assert.equal(dedup.size, 3);
  const first = dedup.pollUpTo(10)!;
  assert.deepEqual([first.time, first.key, first.namespace], [10, 'a', 1]);
  assert.equal(dedup.add(10, 'a', 1), true, 'set again once it has fired');
  const plain = new TimerQueue<string, number>(null);
  assert.equal(plain.add(10, 'a', 1), true);
  assert.equal(plain.add(10, 'a', 1), true);
  assert.equal(plain.size, 2);
  assert.equal(plain.pollUpTo(10)?.key, 'a');
  assert.equal(plain.pollUpTo(10)?.key, 'a');
  assert.equal(plain.pollUpTo(10), null);
});

test('a timer set while its time is being fired fires after the others of that time (also in the last of them); an earlier one fires next', () => {
  const q = new TimerQueue<string, null>(null);
  q.add(5, 'a', null);
  q.add(5, 'b', null);
  q.add(9, 'z', null);
  q.add(11, 'late', null);
  const fired: string[] = [];
  for (let tm = q.pollUpTo(10); tm !== null; tm = q.pollUpTo(10)) {
    fired.push(`${tm.key}@${tm.time}`);
    if (tm.key === 'a') {
      q.add(5, 'c', null);
      q.add(3, 'early', null);
    }
    if (tm.key === 'z') q.add(9, 'again', null);
  }
  assert.deepEqual(fired, ['a@5', 'early@3', 'b@5', 'c@5', 'z@9', 'again@9']);
  assert.equal(q.size, 1);
  assert.equal(q.peekTime(), 11);
});
