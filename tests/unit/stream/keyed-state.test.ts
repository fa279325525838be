// Key groups spread keys evenly and reassign on rescaling; keyed state (value, list, map) is scoped
// per key, expires by TTL, and a snapshot restores into any parallelism with every key kept once.
import test from 'ava';
import assert from 'node:assert/strict';
import { keyGroupOf, keyGroupRange, subtaskOfKey, subtaskOfKeyGroup } from '../../../runtime/stream/key-groups.js';
import { KeyedStateBackend } from '../../../runtime/stream/keyed-state.js';

test('key groups: ranges tile [0, maxParallelism); keys spread evenly; a key owner is its group owner', () => {
  for (const p of [1, 3, 7, 128]) {
    let next = 0;
    for (let i = 0; i < p; i++) {
      const r = keyGroupRange(i, 128, p);
      assert.equal(r.first, next, `p=${p} i=${i}`);
      for (let g = r.first; g <= r.last; g++) assert.equal(subtaskOfKeyGroup(g, 128, p), i);
      next = r.last + 1;
    }
    assert.equal(next, 128);
  }
  const perSubtask = new Array<number>(4).fill(0);
  for (let id = 1000; id < 41_000; id++) perSubtask[subtaskOfKey(id, 128, 4)]!++;
  for (const n of perSubtask) assert.ok(Math.abs(n - 10_000) < 1000, `${perSubtask}`);
  assert.equal(keyGroupOf('Google'), keyGroupOf('Google'));
  assert.notEqual(keyGroupOf(2 ** 40 + 5), keyGroupOf(5));
  assert.throws(() => keyGroupRange(0, 128, 129), /parallelism must be in/);
});

test('value, list and map state are per key; TTL hides and drops expired entries', () => {
  let now = 0;
  const b = new KeyedStateBackend(keyGroupRange(0, 128, 1), 128, () => now);
  const total = b.value<number>('total');
  const seen = b.list<string>('seen', { ttlMs: 100 });
  const last = b.map<number>('last', { ttlMs: 50 });
  b.setCurrentKey(1);
  total.update(5);
  seen.add('a');
  last.put('x', 1);
  b.setCurrentKey('k2');
  assert.equal(total.value(), undefined);
  total.update(7);
  now = 60;
  seen.add('b');
  b.setCurrentKey(1);
  assert.equal(total.value(), 5);
  assert.deepEqual(seen.get(), ['a']);
  assert.equal(last.get('x'), undefined, 'expired after 50 ms');
  assert.equal(last.contains('x'), false);
  assert.deepEqual(b.keys('last'), [], 'a map whose entries all expired is gone');
  now = 120;
  assert.deepEqual(seen.get(), [], 'a expired at 100');
  b.setCurrentKey('k2');
  assert.deepEqual(seen.get(), ['b']);
  total.clear();
  assert.equal(total.value(), undefined);
  assert.throws(() => b.value('seen'), /list state, not value state/);
});

test('snapshots restore into another parallelism: each key lands in exactly one subtask, expired entries left out', () => {
  let now = 0;
  const one = new KeyedStateBackend(keyGroupRange(0, 128, 1), 128, () => now);
  const count = one.value<number>('count');
  const short = one.value<number>('short', { ttlMs: 10 });
  for (let id = 0; id < 500; id++) {
    one.setCurrentKey(id);
    count.update(id * 2);
    if (id < 10) short.update(id);
  }
  now = 20;
  const snap = one.snapshot();
  const parts = [0, 1, 2].map((i) => new KeyedStateBackend(keyGroupRange(i, 128, 3), 128, () => now));
  for (const p of parts) p.restore([snap]);
  const keys = parts.flatMap((p) => p.keys('count'));
  assert.equal(keys.length, 500);
  assert.equal(new Set(keys).size, 500);
  for (const [i, p] of parts.entries()) {
    const c = p.value<number>('count');
    for (const k of p.keys('count')) {
      assert.equal(subtaskOfKey(k, 128, 3), i);
      p.setCurrentKey(k);
      assert.equal(c.value(), Number(k) * 2);
    }
    assert.deepEqual(p.keys('short'), [], 'expired before the snapshot');
  }
  assert.throws(() => parts[0]!.setCurrentKey(keys.find((k) => subtaskOfKey(k, 128, 3) === 1)!), /outside this subtask's range/);
  const wrong = new KeyedStateBackend(keyGroupRange(0, 64, 1), 64);
  assert.throws(() => wrong.restore([snap]), /maxParallelism 128 cannot restore into maxParallelism 64/);
});
