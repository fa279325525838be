// Messages sent in one turn leave in frames of about FLUSH_BYTES, in order; large ones alone.
import test from 'ava';
import assert from 'node:assert/strict';
import { BATCH_BYTES, FLUSH_BYTES, connectionOverWebSocket, type WebSocketLike } from '../../../runtime/platform/websocket-connection.js';
import { splitFrame } from '../../../runtime/protocol/frame.js';

/** A socket that records what is sent (isolates the connection's framing from any network). */
function recordingSocket(): WebSocketLike & { frames: Uint8Array[] } {
  const frames: Uint8Array[] = [];
  return {
    frames,
    binaryType: 'arraybuffer',
    readyState: 1,
    bufferedAmount: 0,
    send: (data) => void frames.push(data.slice()),
    close: () => {},
    addEventListener: () => {},
  };
}

test('a burst leaves in frames of at most FLUSH_BYTES, the first before the turn ends; order holds', async () => {
  const ws = recordingSocket();
  const conn = connectionOverWebSocket(ws, 'test');
  const messages = Array.from({ length: 100 }, (_, i) => new Uint8Array(1000).fill(i));
  for (const m of messages) conn.send(m);
  // Frames that filled up left during the burst; the rest leave at the end of the turn.
  const during = ws.frames.length;
  assert.ok(during >= Math.floor((100 * 1004) / FLUSH_BYTES) - 1, `${during} frames during the burst`);
  await new Promise((r) => setImmediate(r));
  assert.ok(ws.frames.length > during);
  for (const f of ws.frames) assert.ok(f.byteLength <= FLUSH_BYTES + 1004, `a frame of ${f.byteLength} bytes`);
  const received = ws.frames.flatMap((f) => splitFrame(f, 'frame'));
  assert.deepEqual(
    received.map((m) => m[0]),
    messages.map((_, i) => i),
  );
});

test('a message larger than what may gather goes in a frame of its own, after what was gathered before it', async () => {
  const ws = recordingSocket();
  const conn = connectionOverWebSocket(ws, 'test');
  conn.send(new Uint8Array(10).fill(1));
  conn.send(new Uint8Array(BATCH_BYTES).fill(2));
  assert.equal(ws.frames.length, 1);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(
    ws.frames.flatMap((f) => splitFrame(f, 'frame')).map((m) => [m.byteLength, m[0]]),
    [
      [10, 1],
      [BATCH_BYTES, 2],
    ],
  );
});
