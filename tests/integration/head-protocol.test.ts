// Garbage on the wire: a real head closes the offending connection with a protocol error and
// keeps serving everyone else.
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

test.serial('a node may not submit jobs, a client may not send node messages', async () => {
  const ws = new WebSocket(cluster.address);
  await once(ws, 'open');
  const reply = once(ws, 'message');
  ws.send(
    encodeFrame([
      encodeMessage({
        type: 'Heartbeat',
        runningTasks: 0,
        storeUsedBytes: 0,
        tasksFinished: 0,
        storeSpilledBytes: 0,
        storeRestoredBytes: 0,
        storeOnDiskBytes: 0,
      }),
    ]),
  );
  const [data] = (await reply) as [Buffer];
  const [m] = decodeFrame(new Uint8Array(data));
  assert.equal(m?.type, 'ErrorMessage');
  assert.equal(m?.type === 'ErrorMessage' && m.failure.code, 'WRT_PROTOCOL');
  ws.close();
});
