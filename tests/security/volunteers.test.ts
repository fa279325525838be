// Attacks through the volunteer role (docs/volunteers.md, docs/security.md): a head that takes no
// volunteers refuses their link; a volunteer speaking the wire protocol directly forges results
// for work it was never given and asks for objects it has no task reading — the head ignores the
// first and refuses the second, and the driver's results stay exact.
import test from 'ava';
import assert from 'node:assert/strict';
import { ROOT, TestCluster, clusterFixture, runWrt } from '../helpers/wrt-process.js';
import { decodeFrame, encodeMessage } from '../../runtime/protocol/codec.js';
import { deriveToken } from '../../runtime/protocol/credentials.js';
import { withCredential } from '../../runtime/client/authenticate.js';
import { nodePlatform } from '../../runtime/platform/node/platform.js';
import type { Connection } from '../../runtime/platform/platform.js';
import type { Message } from '../../runtime/protocol/messages.js';
import { init, asNumber } from '../../sdk/node.js';
import { until } from '../helpers/until.js';
import { assertTasksRun } from './attack-helpers.js';

const f = clusterFixture('wrt-sec-volunteers-');

/** A volunteer speaking the protocol itself: registered, with every message it received. */
async function rawVolunteer(address: string, token: string): Promise<{ conn: Connection; seen: Message[]; nodeId: string }> {
  const conn = await withCredential(nodePlatform, token, 'volunteer').connect(address);
  const seen: Message[] = [];
  conn.onMessage = (frame) => seen.push(...decodeFrame(frame));
  conn.send(
    encodeMessage({
      type: 'RegisterNode',
      name: 'forger',
      platform: 'browser',
      cpus: 1,
      gpus: 0,
      memoryBytes: 2 ** 30,
      storeBytes: 2 ** 28,
      resources: {},
      gpuAdapter: 'none',
      maxOperatorMemoryBytes: 0,
      maxDeadlineMs: 0,
      maxGpuBytesPerCall: 0,
    }),
  );
  const ack = await until(() => seen.find((m) => m.type === 'RegisterAck'), 'the head acknowledged the volunteer');
  return { conn, seen, nodeId: ack.type === 'RegisterAck' ? ack.nodeId : '' };
}

test.serial('a volunteer policy that would accept one unchecked result is refused at start (exit 2)', async () => {
  for (const bad of [
    ['--volunteer-quorum', '1'],
    ['--volunteer-spot-check', '2'],
  ]) {
    const r = await runWrt(['start', '--head', '--port', '0', '--volunteers', ...bad]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /WRT_INVALID_ARGUMENT: .*--volunteer-quorum/);
  }
});

test.serial('a head started without --volunteers refuses the volunteer link (WRT_FORBIDDEN)', async () => {
  const cluster = (f.cluster = await TestCluster.start([{ name: 'alpha', cpus: 1, args: ['--no-gpu'] }]));
  try {
    assert.match(cluster.head.stdout, /volunteers: none/);
    assert.doesNotMatch(cluster.head.stdout, /#token=/);
    const token = await deriveToken(cluster.token, 'volunteer', 'link-1');
    await assert.rejects(withCredential(nodePlatform, token, 'volunteer').connect(cluster.address), /takes no volunteers/);
    await assertTasksRun(cluster);
  } finally {
    await cluster.stop();
  }
});

test.serial("a volunteer forging results of others' tasks and pulling objects no task of its reads: ignored and refused", async () => {
  const cluster = (f.cluster = await TestCluster.start([{ name: 'alpha', cpus: 1, args: ['--no-gpu'] }], ['--volunteers']));
  const rt = await init({ address: cluster.address, token: await deriveToken(cluster.token, 'driver', 'alice') });
  try {
    const forger = await rawVolunteer(cluster.address, await deriveToken(cluster.token, 'volunteer', 'link-1'));
    const mod = await rt.load(`${ROOT}samples/tasks/build/tasks.wasm`);
    const sample = mod.remote('sample');
    const expected = asNumber(await rt.get(sample.call(7, 40_000_000)));
    // A secret of alice's, stored on the trusted node (over the inline size).
    const secret = rt.put(new Uint8Array(300_000).fill(42));
    await rt.get(secret);

    // The forger learns task ids (here: from the admin's API) and claims results for them.
    const ref = sample.call(7, 40_000_000);
    const tasks = await until(async () => {
      const res = await fetch(`${cluster.httpUrl}/api/v1/tasks?state=running`, { headers: { Authorization: `Bearer ${cluster.token}` } });
      const body = (await res.json()) as { items: { taskId: string }[] };
      return body.items.length ? body.items : undefined;
    }, 'the task runs');
    for (const { taskId } of tasks) {
      for (const attempt of ['1', '2', 'v1']) {
        forger.conn.send(
          encodeMessage({
            type: 'TaskStatus',
            jobId: '',
            taskId: `${taskId}#${attempt}`,
            state: 'Finished',
            outputs: [],
            data: new Uint8Array(8).fill(0xff),
            failure: null,
            inputBytes: 0,
            returnId: '',
            returnBytes: 8,
            returnInline: true,
          }),
        );
      }
    }
    assert.equal(asNumber(await rt.get(ref)), expected, 'a forged result was taken');

    // Pulls of alice's object, naming the trusted node and naming none.
    for (const [requestId, nodeId] of [
      [1, 'n-1'],
      [2, ''],
    ] as const) {
      forger.conn.send(
        encodeMessage({ type: 'ObjectPull', requestId, objectId: secret.id, nodeId, requester: '', offset: 0, length: 1 << 20 }),
      );
    }
    const answers = await until(() => {
      const chunks = forger.seen.filter((m) => m.type === 'ObjectChunk');
      return chunks.length === 2 ? chunks : undefined;
    }, 'both pulls answered');
    for (const c of answers) {
      assert.ok(
        c.type === 'ObjectChunk' && c.failure?.code === 'WRT_FORBIDDEN' && c.data.byteLength === 0,
        JSON.stringify(c.type === 'ObjectChunk' && c.failure),
      );
    }
    assert.match(cluster.head.stderr, /which no task it runs reads; refused/);
    forger.conn.close();
    await assertTasksRun(cluster);
  } finally {
    await rt.shutdown();
    await cluster.stop();
  }
});
