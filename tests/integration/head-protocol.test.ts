// Garbage on the wire: a real head closes the offending connection with a protocol error (before
// or after it has authenticated) and keeps serving everyone else.
import test from 'ava';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import WebSocket from 'ws';
import { TestCluster, killAll } from '../helpers/wrt-process.js';
import { decodeFrame, encodeFrame, encodeMessage } from '../../runtime/protocol/codec.js';
import { SAMPLES } from '../helpers/protocol-samples.js';

let cluster: TestCluster;
test.before(async () => {
  cluster = await TestCluster.start([{ name: 'steady', cpus: 1 }]);
});
test.after.always(async () => {
  await cluster?.stop();
  await killAll();
});

async function sendAndAwaitClose(frame: Uint8Array | string): Promise<{ code: number; errors: string[] }> {
  const ws = new WebSocket(cluster.address);
  await once(ws, 'open');
  const errors: string[] = [];
  ws.on('message', (d: Buffer) => {
    for (const m of decodeFrame(new Uint8Array(d))) if (m.type === 'ErrorMessage') errors.push(m.failure.code);
  });
  ws.send(frame);
  const [code] = (await once(ws, 'close')) as [number];
  return { code, errors };
}

test.serial('truncated, corrupted and random frames close only the offending connection', async () => {
  const valid = encodeFrame([encodeMessage(SAMPLES.find((m) => m.type === 'SubmitJob')!)]);
  const frames = [
    valid.slice(0, 20),
    Uint8Array.from(valid, (b, i) => (i > 8 && i % 5 === 0 ? b ^ 0xff : b)),
    crypto.getRandomValues(new Uint8Array(512)),
  ];
  for (const f of frames) {
    const r = await sendAndAwaitClose(f);
    assert.equal(r.code, 1002);
    assert.deepEqual(r.errors, ['WRT_PROTOCOL']);
  }
  const text = await sendAndAwaitClose('hello');
  assert.equal(text.code, 1003);
  const s = await cluster.status();
  assert.deepEqual(
    s.nodes.map((n) => n.name),
    ['steady'],
  );
});

test.serial('an authenticated driver may not send node messages: WRT_FORBIDDEN, and the connection closes', async () => {
  const conn = await cluster.driverPlatform.connect(cluster.address);
  const errors: string[] = [];
  conn.onMessage = (frame) => {
    for (const m of decodeFrame(frame)) if (m.type === 'ErrorMessage') errors.push(m.failure.code);
  };
  const closed = new Promise<string>((resolve) => (conn.onClose = resolve));
  conn.send(encodeMessage(SAMPLES.find((m) => m.type === 'Heartbeat')!));

  assert.match(await closed, /1008/);
  assert.deepEqual(errors, ['WRT_FORBIDDEN']);
  assert.deepEqual(
    (await cluster.status()).nodes.map((n) => n.name),
    ['steady'],
  );
});
