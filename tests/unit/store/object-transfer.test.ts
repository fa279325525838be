// Credit-based object transfer: the requester never has more than its window asked for and not
// received, the holder sends only what was asked, and the bytes land intact.
import test from 'ava';
import assert from 'node:assert/strict';
import { InboundPull, OBJECT_CHUNK_BYTES, serveRange } from '../../../runtime/store/object-transfer.js';
import type { MessageOf } from '../../../runtime/protocol/messages.js';
import type { WrtError } from '../../../runtime/errors.js';

type Pull = MessageOf<'ObjectPull'>;
type Chunk = MessageOf<'ObjectChunk'>;

function pattern(n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + (i >>> 11)) & 0xff;
  return b;
}

const ids = { requestId: 7, objectId: 'o-1', nodeId: 'n-1', requester: 'n-2' };

/**
 * A holder that answers requests only when the test says so: `pending` holds the chunks sent but
 * not yet delivered to the requester (what a socket or the head would be buffering).
 */
function harness(object: Uint8Array, windowBytes: number) {
  const requests: Pull[] = [];
  const pending: Chunk[] = [];
  const pull = new InboundPull(
    ids,
    (m) => {
      requests.push(m);
      serveRange(object, m, (c) => pending.push(c));
    },
    (n) => new Uint8Array(n),
    windowBytes,
  );
  return { pull, requests, pending };
}

test.serial('a pull of an object of many chunks lands intact, in windows the holder never exceeds', async () => {
  const object = pattern(5 * OBJECT_CHUNK_BYTES + 12345);
  const window = 2 * OBJECT_CHUNK_BYTES;
  const { pull, requests, pending } = harness(object, window);
  pull.start();
  let maxBuffered = 0;
  let chunks = 0;
  while (pending.length > 0) {
    maxBuffered = Math.max(
      maxBuffered,
      pending.reduce((s, c) => s + c.data.byteLength, 0),
    );
    assert.ok(pull.outstandingBytes <= window, `outstanding ${pull.outstandingBytes} > window ${window}`);
    pull.onChunk(pending.shift()!);
    chunks++;
  }
  assert.deepEqual(await pull.done, object);
  assert.ok(maxBuffered <= window, `the holder had ${maxBuffered} bytes in flight`);
  assert.equal(chunks, 6);
  // Every byte asked for exactly once, in order.
  let next = 0;
  for (const r of requests) {
    assert.equal(r.offset, next);
    next = Math.min(object.byteLength, r.offset + r.length);
  }
  assert.equal(next, object.byteLength);
});

test.serial('a receiver that stops taking chunks stops the holder: back-pressure, not buffering', () => {
  const object = pattern(64 * OBJECT_CHUNK_BYTES);
  const window = 4 * OBJECT_CHUNK_BYTES;
  const { pull, requests, pending } = harness(object, window);
  pull.start();
  // Nothing delivered: the holder was asked for one window and sent just that.
  assert.equal(requests.length, 1);
  assert.equal(
    pending.reduce((s, c) => s + c.data.byteLength, 0),
    window,
  );
  // Deliver one chunk: still more than half the window outstanding, so no new request.
  pull.onChunk(pending.shift()!);
  assert.equal(requests.length, 1);
  // Deliver another: half the window is free, and exactly that much is asked for.
  pull.onChunk(pending.shift()!);
  assert.equal(requests.length, 2);
  assert.equal(requests[1]!.offset, window);
  assert.equal(requests[1]!.length, window / 2);
  assert.equal(pull.outstandingBytes, window);
});

test.serial('empty objects, holder failures and chunks that do not fit settle the pull', async () => {
  const empty = harness(new Uint8Array(0), OBJECT_CHUNK_BYTES);
  empty.pull.start();
  assert.equal(empty.pending.length, 1);
  assert.equal(empty.pull.onChunk(empty.pending.shift()!), true);
  assert.equal((await empty.pull.done).byteLength, 0);

  const lost = new InboundPull(
    ids,
    () => {},
    (n) => new Uint8Array(n),
  );
  lost.start();
  const failure = { code: 'WRT_OBJECT_LOST', message: 'gone', retryable: true } as const;
  assert.equal(lost.onChunk({ type: 'ObjectChunk', ...ids, offset: 0, totalBytes: 0, data: new Uint8Array(0), failure }), true);
  await assert.rejects(lost.done, (e: WrtError) => e.code === 'WRT_OBJECT_LOST' && e.retryable);

  const bad = new InboundPull(
    ids,
    () => {},
    (n) => new Uint8Array(n),
  );
  bad.start();
  bad.onChunk({ type: 'ObjectChunk', ...ids, offset: 8, totalBytes: 10, data: new Uint8Array(4), failure: null });
  await assert.rejects(bad.done, (e: WrtError) => e.code === 'WRT_PROTOCOL' && /does not fit/.test(e.message));
});

test.serial('a range past the end of the object is refused by the holder', () => {
  const sent: Chunk[] = [];
  serveRange(new Uint8Array(10), { type: 'ObjectPull', ...ids, offset: 11, length: 5 }, (c) => sent.push(c));
  assert.equal(sent.length, 1);
  assert.equal(sent[0]!.failure?.code, 'WRT_PROTOCOL');
});
