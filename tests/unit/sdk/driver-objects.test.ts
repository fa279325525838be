// A driver's large puts held in the driver (sdk/held-puts.ts, ADR 0010): ready at once, served to
// the pulls the head routes here, kept while a task may read them and dropped at the head's
// release; their buffers reused by later puts.
import test from 'ava';
import assert from 'node:assert/strict';
import { DriverObjects } from '../../../sdk/driver-objects.js';
import { HeldPuts } from '../../../sdk/held-puts.js';
import type { Message, MessageOf } from '../../../runtime/protocol/messages.js';
import type { FailureRecord } from '../../../runtime/errors.js';

const MiB = 2 ** 20;

function driver(): { objects: DriverObjects; sent: Message[] } {
  const sent: Message[] = [];
  let n = 0;
  const objects = new DriverObjects(
    { send: (m) => sent.push(m), closed: () => null, nextId: (k) => `${k}-${++n}`, nextRequest: () => ++n },
    null,
  );
  return { objects, sent };
}

const pull = (objectId: string, requestId = 1): MessageOf<'ObjectPull'> => ({
  type: 'ObjectPull',
  requestId,
  objectId,
  nodeId: 'd-1',
  requester: 'n-1',
  offset: 0,
  length: 4 * MiB,
});

/** The chunks sent for pull `requestId`: their bytes joined, or the failure's code. */
function served(sent: Message[], requestId: number): Uint8Array | string {
  const chunks = sent.filter((m): m is MessageOf<'ObjectChunk'> => m.type === 'ObjectChunk' && m.requestId === requestId);
  if (chunks.some((c) => c.failure)) return chunks.find((c) => c.failure)!.failure!.code;
  const out = new Uint8Array(chunks.reduce((a, c) => a + c.data.byteLength, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c.data, at);
    at += c.data.byteLength;
  }
  return out;
}

test('a put over one chunk is held here and ready at once: the head gets its size, no bytes; pulls get a copy of the value', async () => {
  const { objects, sent } = driver();
  const value = new Uint8Array(3 * MiB).map((_, i) => i % 253);
  const ref = objects.put(value);
  const put = sent[0] as MessageOf<'PutObject'>;
  assert.equal(put.type, 'PutObject');
  assert.equal(put.data.byteLength, 0);
  assert.equal(put.totalBytes, 3 * MiB);
  assert.deepEqual((await objects.wait([ref], { timeoutMs: 0 })).ready, [ref], 'ready without an ObjectReady');
  value[0] = 99; // the put copied the value
  objects.handle(pull(ref.id, 7));
  const bytes = served(sent, 7) as Uint8Array;
  assert.equal(bytes.byteLength, 3 * MiB);
  assert.equal(bytes[0], 0);
  assert.equal(bytes[3 * MiB - 1], (3 * MiB - 1) % 253);
  assert.deepEqual(await objects.get(ref), bytes, "the driver's own get reads the held bytes");
});

test('released by the driver before any task had it, a held put goes at once; given to a task, it stays until the head releases it', () => {
  const { objects, sent } = driver();
  const alone = objects.put(new Uint8Array(2 * MiB));
  alone.release();
  objects.handle(pull(alone.id, 1));
  assert.equal(served(sent, 1), 'WRT_OBJECT_LOST');

  const passed = objects.put(new Uint8Array(2 * MiB).fill(5));
  objects.checkLive(passed); // what passing it to a task does
  passed.release();
  objects.handle(pull(passed.id, 2));
  assert.equal((served(sent, 2) as Uint8Array).byteLength, 2 * MiB, 'a queued task may still read it');
  objects.handle({ type: 'ReleaseObjects', objectIds: [passed.id] });
  objects.handle(pull(passed.id, 3));
  assert.equal(served(sent, 3), 'WRT_OBJECT_LOST', "gone at the head's release");
});

test('a held put the head refuses (over the driver limits) fails its ref and is not kept', async () => {
  const { objects, sent } = driver();
  const ref = objects.put(new Uint8Array(2 * MiB));
  const failure: FailureRecord = { code: 'WRT_OVER_LIMIT', message: 'too many', retryable: false };
  objects.handle({ type: 'ObjectReady', objectId: ref.id, nodeId: '', sizeBytes: 0, data: new Uint8Array(0), inline: false, failure });
  await assert.rejects(objects.get(ref), (e: { code?: string }) => e.code === 'WRT_OVER_LIMIT');
  objects.handle(pull(ref.id, 4));
  assert.equal(served(sent, 4), 'WRT_OBJECT_LOST');
});

test('HeldPuts reuses the buffer of a released put for the next of its size class, never one whose bytes get handed out', () => {
  const held = new HeldPuts(8 * MiB);
  const a = held.hold('a', new Uint8Array(3 * MiB - 5).fill(1));
  held.drop('a');
  const b = held.hold('b', new Uint8Array(3 * MiB).fill(2));
  assert.equal(b.buffer, a.buffer, 'same size class (3 MiB): reused');
  assert.equal(b[0], 2);
  assert.equal(held.expose('b'), b);
  held.drop('b');
  const c = held.hold('c', new Uint8Array(3 * MiB));
  assert.notEqual(c.buffer, b.buffer, "b's bytes were handed to a caller of get");
  held.drop('c');
  const big = held.hold('big', new Uint8Array(9 * MiB));
  held.drop('big');
  assert.notEqual(held.hold('big2', new Uint8Array(9 * MiB)).buffer, big.buffer, 'over the pool limit: not kept');
  assert.equal(held.heldBytes, 9 * MiB);
});
