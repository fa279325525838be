// Snapshot bytes: JSON, with the numbers JSON lacks written as {"$f": …} wherever they are, and
// bytes kept as bytes in a container after the JSON; damaged containers are refused.
import test from 'ava';
import assert from 'node:assert/strict';
import { StateBytes, decodeState, encodeState } from '../../../runtime/stream/state-codec.js';

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

test('bytes inside a snapshot come back as the same bytes, beside non-finite numbers too; JSON alone stays plain', () => {
  const a = new Uint8Array([0, 1, 2, 255, 0x7b, 0x22]);
  const b = new Uint8Array(70_000).map((_, i) => i * 31);
  for (const wm of [5, -Infinity]) {
    const bytes = encodeState({
      wm,
      sides: [{ rows: new StateBytes(a) }, { rows: new StateBytes(b), n: [1, null] }],
      empty: new StateBytes(new Uint8Array(0)),
    });
    assert.equal(new TextDecoder().decode(bytes.subarray(0, 4)), 'WRS1');
    const back = decodeState<{ wm: number; sides: [{ rows: Uint8Array }, { rows: Uint8Array; n: unknown[] }]; empty: Uint8Array }>(bytes);
    assert.equal(back.wm, wm);
    assert.deepEqual([...back.sides[0].rows], [...a]);
    assert.deepEqual(Buffer.from(back.sides[1].rows), Buffer.from(b));
    assert.deepEqual(back.sides[1].n, [1, null]);
    assert.equal(back.empty.byteLength, 0);
  }
  assert.equal(new TextDecoder().decode(encodeState({ a: 1 })), '{"a":1}');
  assert.throws(() => JSON.stringify(new StateBytes(a)), /encodeState/);
});

test('a container cut short, or naming a blob it lacks, is refused', () => {
  const bytes = encodeState({ rows: new StateBytes(new Uint8Array(100)) });
  for (const n of [bytes.byteLength - 1, 40, 13]) assert.throws(() => decodeState(bytes.subarray(0, n)), SyntaxError, `cut to ${n}`);
  const text = new TextDecoder().decode(bytes);
  const renamed = new TextEncoder().encode(text.replace('{"$b":0}', '{"$b":7}'));
  assert.throws(() => decodeState(renamed), /blob 7/);
});
