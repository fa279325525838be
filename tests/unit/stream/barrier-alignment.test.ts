// Aligned checkpoint barriers at a subtask's inputs (runtime/stream/barrier-alignment.ts).
import test from 'ava';
import assert from 'node:assert/strict';
import { BarrierAlignment } from '../../../runtime/stream/barrier-alignment.js';
import type { JobGraphEdge } from '../../../runtime/protocol/messages.js';

const edge = { from: 'a', to: 'b', partitioning: 'Hash' } as JobGraphEdge;
const batch = { type: 'batch' as const, bytes: new Uint8Array(8) };

test('a channel is held from its barrier until every open channel has sent it; what it held comes back in order', () => {
  const a = new BarrierAlignment(3);
  assert.equal(a.holds(0), false);
  a.barrier(7, 0);
  assert.deepEqual([a.holds(0), a.holds(1), a.holds(2)], [true, false, false]);
  a.hold({ edge, from: 0, element: batch });
  a.hold({ edge, from: 0, element: { type: 'watermark', time: 5 } });
  a.hold({ edge, from: 0, element: batch });
  assert.equal(a.heldBatches, 2);
  assert.equal(a.complete([false, false, false]), null);
  a.barrier(7, 1);
  // Channel 2 ended: it has no barrier to send.
  const done = a.complete([false, false, true]);
  assert.equal(done?.id, 7);
  assert.deepEqual(
    done?.held.map((h) => h.element.type),
    ['batch', 'watermark', 'batch'],
  );
  assert.equal(a.heldBatches, 0);
  assert.equal(a.holds(0), false);
  // The next checkpoint starts a fresh alignment.
  a.barrier(8, 2);
  assert.deepEqual([a.holds(0), a.holds(1), a.holds(2)], [false, false, true]);
});
