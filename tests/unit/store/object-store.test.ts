import test from 'ava';
import assert from 'node:assert/strict';
import { ArenaAllocator, ARENA_ALIGN } from '../../../runtime/store/arena-allocator.js';
import { ObjectStore } from '../../../runtime/store/object-store.js';
import { WrtError } from '../../../runtime/errors.js';

test('allocator hands out aligned, disjoint blocks and coalesces freed ones', () => {
  const a = new ArenaAllocator(4096);
  const x = a.allocate(100);
  const y = a.allocate(1);
  const z = a.allocate(200);
  for (const o of [x, y, z]) assert.equal(o % ARENA_ALIGN, 0);
  assert.ok(y >= x + 100 && z >= y + 1);
  a.release(y, 1);
  a.release(x, 100);
  a.release(z, 200);
  assert.equal(a.usedBytes, 0);
  assert.equal(a.largestFreeBytes(), 4096);
  assert.equal(a.allocate(4096), 0);
  assert.equal(a.allocate(1), -1);
});

test('store views are shared-memory views, freed on last release', () => {
  const s = new ObjectStore({ initialBytes: 1 << 16, maxBytes: 1 << 20 });
  assert.ok(s.memory.buffer instanceof SharedArrayBuffer);
  s.put('a', Uint8Array.of(1, 2, 3));
  const view = s.get('a');
  assert.deepEqual([...view], [1, 2, 3]);
  assert.equal(view.buffer, s.memory.buffer);
  s.retain('a');
  s.release('a');
  assert.ok(s.has('a'));
  s.release('a');
  assert.ok(!s.has('a'));
  assert.equal(s.usedBytes, 0);
  assert.throws(
    () => s.get('a'),
    (e: unknown) => e instanceof WrtError && e.code === 'WRT_OBJECT_LOST',
  );
});

test('the arena grows to its maximum, then refuses with WRT_OBJECT_STORE_FULL', () => {
  const s = new ObjectStore({ initialBytes: 1 << 16, maxBytes: 1 << 20 });
  s.put('big', new Uint8Array(600_000));
  assert.ok(s.memory.buffer.byteLength >= 600_000);
  assert.throws(
    () => s.put('too-big', new Uint8Array(600_000)),
    (e: unknown) => e instanceof WrtError && e.code === 'WRT_OBJECT_STORE_FULL',
  );
  s.release('big');
  s.put('fits-again', new Uint8Array(600_000));
});
