// Snapshot bytes: JSON, with the numbers JSON lacks written as {"$f": …} wherever they are.
import test from 'ava';
import assert from 'node:assert/strict';
import { decodeState, encodeState } from '../../../runtime/stream/state-codec.js';

test('snapshots round-trip, ±Infinity and NaN included wherever they sit', () => {
  const finite = { wm: 5, late: 0, buffers: [[42, [[1, [7, 'x', 2.5]]], []]], keys: ['a', 3], empty: {}, none: null };
  assert.deepEqual(decodeState(encodeState(finite)), finite);
  // Plain JSON when every number is finite.
  assert.equal(new TextDecoder().decode(encodeState(finite)), JSON.stringify(finite));
  for (const odd of [-Infinity, Infinity, NaN]) {
    const nested = { wm: 5, buffers: [[42, [[1, [7, 'x', odd]]], []]] };
    assert.deepEqual(decodeState(encodeState(nested)), nested);
    assert.deepEqual(decodeState(encodeState({ wm: odd, panes: [] })), { wm: odd, panes: [] });
    assert.deepEqual(decodeState(encodeState([{ acc: { max: odd } }])), [{ acc: { max: odd } }]);
  }
});

test('a lone non-finite value, one beside real nulls, and strings that look like null tokens round-trip', () => {
  for (const odd of [-Infinity, Infinity, NaN]) {
    assert.deepEqual(decodeState(encodeState(odd)), odd);
    assert.deepEqual(decodeState(encodeState([null, odd, null])), [null, odd, null]);
    assert.deepEqual(decodeState(encodeState({ a: null, b: [odd] })), { a: null, b: [odd] });
  }
  assert.equal(decodeState(encodeState(null)), null);
  const tricky = { s: ',null]', t: ['[null}', ':null,'], n: 1 };
  assert.deepEqual(decodeState(encodeState(tricky)), tricky);
  assert.equal(new TextDecoder().decode(encodeState(tricky)), JSON.stringify(tricky));
});
