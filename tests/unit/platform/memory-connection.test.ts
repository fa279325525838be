// In-memory connections (the embedded cluster's): order, object pass-through for the hot
// messages only, batching per turn, and close semantics.
import test from 'ava';
import assert from 'node:assert/strict';
import { memoryConnectionPair } from '../../../runtime/platform/memory-connection.js';
import { decodeFrame, encodeMessage, sendMessage } from '../../../runtime/protocol/codec.js';
import type { Message } from '../../../runtime/protocol/messages.js';

const release = (id: string): Message => ({ type: 'ReleaseObjects', objectIds: [id] });
const heartbeat: Message = {
  type: 'Heartbeat',
  runningTasks: 1,
  storeUsedBytes: 2,
  tasksFinished: 3,
  tasksFailed: 0,
  gpuKernels: 0,
  bytesPulled: 0,
  subtasks: [],
  storeSpilledBytes: 0,
  storeRestoredBytes: 0,
  storeOnDiskBytes: 0,
  offeredCpus: -1,
  directCalls: 0,
};

test.serial('messages of one turn arrive together, in order, after the sender returns', async () => {
  const [a, b] = memoryConnectionPair('b', 'a');
  const got: Message[][] = [];
  b.onMessages = (msgs) => got.push(msgs);
  const sent = release('o-1');
  sendMessage(a, sent);
  sendMessage(a, heartbeat);
  a.send(encodeMessage(release('o-2')));
  assert.equal(got.length, 0, 'nothing is delivered inside the sender’s call');
  await Promise.resolve();
  assert.equal(got.length, 1);
  assert.deepEqual(
    got[0]!.map((m) => m.type),
    ['ReleaseObjects', 'Heartbeat', 'ReleaseObjects'],
  );
  assert.equal(got[0]![0], sent, 'a hot message crosses as the same object');
  assert.notEqual(got[0]![1], heartbeat, 'other messages are encoded and decoded');
  assert.deepEqual(got[0]![1], heartbeat);
  assert.deepEqual(got[0]![2], release('o-2'));
});

test.serial('a receiver without onMessages gets encoded frames', async () => {
  const [a, b] = memoryConnectionPair('b', 'a');
  const frames: Uint8Array[] = [];
  b.onMessage = (f) => frames.push(f);
  sendMessage(a, release('o-1'));
  sendMessage(a, heartbeat);
  await Promise.resolve();
  assert.equal(frames.length, 1);
  assert.deepEqual(decodeFrame(frames[0]!), [release('o-1'), heartbeat]);
});

test.serial('close delivers what was sent before it, then closes both ends once', async () => {
  const [a, b] = memoryConnectionPair('b', 'a');
  const events: string[] = [];
  b.onMessages = (msgs) => events.push(`b got ${msgs.length}`);
  a.onClose = (why) => events.push(`a closed: ${why}`);
  b.onClose = (why) => events.push(`b closed: ${why}`);
  sendMessage(a, release('o-1'));
  a.close(1000, 'bye');
  sendMessage(a, release('o-2'));
  a.close();
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(events, ['b got 1', 'a closed: closed (1000 bye)', 'b closed: closed (1000 bye)']);
  sendMessage(b, release('o-3'));
  await new Promise((r) => setImmediate(r));
  assert.equal(events.length, 3);
});
