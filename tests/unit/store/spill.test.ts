// Spilling: a full arena writes unpinned objects to disk (least recently used first) and reads
// them back on use, bytes intact; pinned and unsealed objects stay; files go with their objects.
import test from 'ava';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ObjectStore } from '../../../runtime/store/object-store.js';
import { fileSpillStorage } from '../../../runtime/platform/node/spill-storage.js';
import { WrtError } from '../../../runtime/errors.js';

const MiB = 2 ** 20;
const pattern = (n: number, seed: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed * 7) & 255);

test.serial('objects beyond the arena spill to disk and come back intact; release removes their files', () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'wrt-spill-test-')), 'spill');
  const s = new ObjectStore({ initialBytes: MiB, maxBytes: 4 * MiB, spill: fileSpillStorage(dir) });
  try {
    // 10 × 1 MiB into a 4 MiB arena: the oldest ones go to disk.
    for (let i = 0; i < 10; i++) s.put(`obj/${i}#1`, pattern(MiB, i));
    assert.ok(s.usedBytes <= 4 * MiB);
    assert.ok(s.stats.spilledObjects >= 6, `spilled ${s.stats.spilledObjects}`);
    assert.ok(s.isSpilled('obj/0#1') && !s.isSpilled('obj/9#1'), 'least recently used first');
    assert.equal(readdirSync(dir).length, s.stats.onDiskObjects);
    // Every object reads back byte for byte (restoring spills others in turn).
    for (let i = 0; i < 10; i++) assert.deepEqual(s.get(`obj/${i}#1`), pattern(MiB, i), `object ${i}`);
    assert.ok(s.stats.restoredObjects >= 6);
    // A retained (pinned) object is never spilled while it is in use.
    s.retain('obj/3#1');
    for (let i = 10; i < 16; i++) s.put(`obj/${i}#1`, pattern(MiB, i));
    assert.equal(s.isSpilled('obj/3#1'), false);
    s.release('obj/3#1');
    // A pinned range (a task's only reference, queued for a slot) stays put until unpinned.
    const range = s.pin('obj/4#1');
    for (let i = 16; i < 22; i++) s.put(`obj/${i}#1`, pattern(MiB, i));
    assert.equal(s.isSpilled('obj/4#1'), false);
    assert.deepEqual(new Uint8Array(s.memory.buffer, range.offset, range.length), pattern(MiB, 4));
    s.unpin('obj/4#1');
    for (let i = 22; i < 28; i++) s.put(`obj/${i}#1`, pattern(MiB, i));
    assert.equal(s.isSpilled('obj/4#1'), true, 'unpinned, it may spill again');
    for (let i = 0; i < 28; i++) s.release(`obj/${i}#1`);
    assert.equal(s.usedBytes, 0);
    assert.equal(s.stats.onDiskObjects, 0);
    assert.deepEqual(readdirSync(dir), []);
  } finally {
    s.close();
    assert.equal(existsSync(dir), false, 'close removes the spill directory');
    rmSync(join(dir, '..'), { recursive: true, force: true });
  }
});

test.serial('a full arena with nothing to spill refuses clearly, and nothing is half-made', () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'wrt-spill-test-')), 'spill');
  const s = new ObjectStore({ initialBytes: MiB, maxBytes: 2 * MiB, spill: fileSpillStorage(dir) });
  const noSpill = new ObjectStore({ initialBytes: MiB, maxBytes: 2 * MiB });
  try {
    // Being written (created, not sealed) and in use (retained): neither may spill.
    s.create('writing', MiB);
    s.put('in-use', pattern(MiB - 64, 1));
    s.retain('in-use');
    assert.throws(
      () => s.put('third', pattern(MiB, 2)),
      (e: unknown) => e instanceof WrtError && e.code === 'WRT_OBJECT_STORE_FULL' && /in use/.test(e.message),
    );
    assert.equal(s.has('third'), false);
    assert.throws(
      () => s.put('huge', new Uint8Array(3 * MiB)),
      (e: unknown) => e instanceof WrtError && e.code === 'WRT_OBJECT_STORE_FULL' && /larger than the arena/.test(e.message),
    );
    noSpill.put('a', pattern(2 * MiB - 64, 3));
    assert.throws(
      () => noSpill.put('b', pattern(MiB, 4)),
      (e: unknown) => e instanceof WrtError && e.code === 'WRT_OBJECT_STORE_FULL' && /cannot spill/.test(e.message),
    );
  } finally {
    s.close();
    rmSync(join(dir, '..'), { recursive: true, force: true });
  }
});
