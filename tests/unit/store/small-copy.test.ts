// Small copies come from shared slabs; they must still be independent, aligned copies.
import test from 'ava';
import assert from 'node:assert/strict';
import { copyBytes, SLAB_BYTES, SMALL_COPY_BYTES } from '../../../runtime/store/small-copy.js';

test('copies are independent of their source and of each other, 8-byte aligned, across slabs', () => {
  const copies: { copy: Uint8Array; expect: number[] }[] = [];
  for (let i = 0; i < (2 * SLAB_BYTES) / 64; i++) {
    const src = Uint8Array.from({ length: 1 + (i % 60) }, (_, j) => (i + j) & 255);
    const copy = copyBytes(src);
    src.fill(0); // changing the source leaves the copy
    copies.push({ copy, expect: Array.from({ length: 1 + (i % 60) }, (_, j) => (i + j) & 255) });
    assert.equal(copy.byteOffset % 8, 0);
  }
  for (const { copy, expect } of copies) assert.deepEqual([...copy], expect);
  assert.ok(new Set(copies.map((c) => c.copy.buffer)).size >= 2, 'more than one slab was used');
  const big = new Uint8Array(SMALL_COPY_BYTES + 1).fill(7);
  const bigCopy = copyBytes(big);
  assert.equal(bigCopy.buffer.byteLength, big.byteLength, 'a large copy has a buffer of its own');
  assert.equal(bigCopy[SMALL_COPY_BYTES], 7);
});
