import test from 'ava';
import assert from 'node:assert/strict';
import {
  decodeFrame,
  decodeMessage,
  encodeFrame,
  encodeMessage,
  MAX_FRAME_BYTES,
  sendMessage,
  withFramePrefix,
} from '../../../runtime/protocol/codec.js';
import type { Connection } from '../../../runtime/platform/platform.js';
import { decodeJobGraph, encodeJobGraph, planBatchJob } from '../../../runtime/protocol/job-graph-codec.js';
import type { Message } from '../../../runtime/protocol/messages.js';
import { SAMPLES, graph } from '../../helpers/protocol-samples.js';
import { WrtError } from '../../../runtime/errors.js';

/** Decoding must yield a message or a WRT_PROTOCOL error, nothing else. */
function decodeOrProtocolError(frame: Uint8Array): Message | null {
  try {
    return decodeMessage(frame);
  } catch (err) {
    assert.ok(err instanceof WrtError, `threw a non-wrt error: ${String(err)}`);
    assert.equal(err.code, 'WRT_PROTOCOL');
    return null;
  }
}

test('every message type survives an encode/decode round trip', () => {
  for (const m of SAMPLES) assert.deepEqual(decodeMessage(encodeMessage(m)), m, m.type);
});

test('a frame carries every message of a batch, in order; a broken length prefix is a protocol error', () => {
  const frame = encodeFrame(SAMPLES.map(encodeMessage));
  assert.deepEqual(decodeFrame(frame), SAMPLES);
  for (const n of [1, 3, 5, frame.byteLength - 1]) {
    assert.throws(
      () => decodeFrame(frame.slice(0, n)),
      (e: unknown) => e instanceof WrtError && e.code === 'WRT_PROTOCOL',
    );
  }
  const lying = frame.slice();
  new DataView(lying.buffer).setUint32(0, frame.byteLength, true);
  assert.throws(
    () => decodeFrame(lying),
    (e: unknown) => e instanceof WrtError && e.code === 'WRT_PROTOCOL' && /runs past/.test(e.message),
  );
});

test('every truncation of every message is a protocol error or a message, never a crash', () => {
  for (const m of SAMPLES) {
    const frame = encodeMessage(m);
    for (let n = 0; n < frame.byteLength; n++) decodeOrProtocolError(frame.slice(0, n));
  }
});

test('empty, short and unidentified frames are protocol errors', () => {
  for (const frame of [new Uint8Array(0), new Uint8Array(3), new Uint8Array(64), new TextEncoder().encode('GET / HTTP/1.1\r\n\r\n')]) {
    assert.equal(decodeOrProtocolError(frame), null);
  }
});

test('an oversized frame is refused before it is read', () => {
  assert.throws(
    () => decodeMessage(new Uint8Array(MAX_FRAME_BYTES + 1)),
    (e: unknown) => e instanceof WrtError && e.code === 'WRT_PROTOCOL' && /exceeds/.test(e.message),
  );
});

test('bit flips and byte mutations of valid frames never crash the decoder', () => {
  let seed = 12345;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  let errors = 0;
  for (let round = 0; round < 3000; round++) {
    const frame = encodeMessage(SAMPLES[rand(SAMPLES.length)]!).slice();
    const flips = 1 + rand(4);
    for (let f = 0; f < flips; f++) {
      const at = rand(frame.byteLength);
      frame[at] = rand(2) ? frame[at]! ^ (1 << rand(8)) : rand(256);
    }
    if (decodeOrProtocolError(frame) === null) errors++;
  }
  assert.ok(errors > 0, 'mutations produced no protocol errors at all');
});

test('random frames never crash the decoder', () => {
  for (let round = 0; round < 3000; round++) {
    const frame = Uint8Array.from({ length: 8 + (round % 200) }, () => Math.floor(Math.random() * 256));
    if (round % 2) frame.set([0x57, 0x52, 0x54, 0x31], 4); // with the right identifier
    decodeOrProtocolError(frame);
  }
});

test('job graph bytes round-trip, and malformed graph bytes are a clear error', () => {
  assert.deepEqual(decodeJobGraph(encodeJobGraph(graph)), graph);
  assert.throws(
    () => decodeJobGraph(new Uint8Array(40)),
    (e: unknown) => e instanceof WrtError && e.code === 'WRT_BAD_JOB_GRAPH',
  );
});

test('planBatchJob finds the stages and names what is wrong with other shapes', () => {
  const plan = planBatchJob(graph);
  assert.equal(plan.map.operator, 'tokenize');
  assert.equal(plan.reduce.parallelism, 4);
  const noReduce = { ...graph, vertices: graph.vertices.filter((v) => v.kind !== 'Reduce') };
  assert.throws(
    () => planBatchJob(noReduce),
    (e: unknown) => e instanceof WrtError && e.code === 'WRT_BAD_JOB_GRAPH' && /unknown vertex/.test(e.message),
  );
  const twoReduces = { ...graph, vertices: [...graph.vertices, { ...graph.vertices[2]!, id: 'merge2' }] };
  assert.throws(
    () => planBatchJob(twoReduces),
    (e: unknown) => e instanceof WrtError && e.code === 'WRT_BAD_JOB_GRAPH' && /exactly one Reduce vertex, found 2/.test(e.message),
  );
});

test('a large message and a relayed chunk leave as frames of their own without a copy, and decode unchanged', () => {
  const data = Uint8Array.from({ length: 300_000 }, (_, i) => i & 0xff);
  const chunk: Message = {
    type: 'ObjectChunk',
    requestId: 7,
    objectId: 'o-1',
    offset: 0,
    totalBytes: 300_000,
    data,
    failure: null,
    requester: 'd-1',
  };
  const encoded = encodeMessage(chunk);
  const frame = withFramePrefix(encoded);
  assert.ok(frame, 'a large encoded message has room for its prefix');
  assert.equal(frame.buffer, encoded.buffer, 'the frame is a view of the encoded bytes, not a copy');
  const [received] = decodeFrame(frame);
  assert.deepEqual(received, chunk);
  // The head passes the received chunk on: the same bytes go out again, again uncopied.
  const sent: Uint8Array[] = [];
  sendMessage({ send: (b: Uint8Array) => sent.push(b) } as unknown as Connection, received);
  assert.equal(sent[0]!.buffer, frame.buffer);
  assert.deepEqual(decodeFrame(withFramePrefix(sent[0]!)!), [chunk]);
  // Small messages and bytes the codec did not make are framed by copying.
  assert.equal(withFramePrefix(encodeMessage(SAMPLES[0]!)), null);
  assert.equal(withFramePrefix(new Uint8Array(new ArrayBuffer(400_000), 8, 300_000)), null);
});

test('strings round-trip: empty, ASCII ids, non-ASCII names, long text', () => {
  for (const objectId of ['', 'o-1', 'x'.repeat(64), 'y'.repeat(65), 'é-ø', '名前', 'a🙂b', `${'z'.repeat(63)}é`]) {
    const m: Message = { type: 'ReleaseObjects', objectIds: [objectId, 'o-2'] };
    assert.deepEqual(decodeMessage(encodeMessage(m)), m, JSON.stringify(objectId));
  }
});
