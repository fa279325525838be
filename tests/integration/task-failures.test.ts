// Node failures under the task API: lineage reconstruction, task retries, actor restarts, and
// the object store returning to empty once refs are dropped. Real processes, SIGKILL.
import test from 'ava';
import assert from 'node:assert/strict';
import { until } from '../helpers/until.js';
import { FIXTURES, TestCluster, killAll } from '../helpers/wrt-process.js';
import { init, asNumber, TaskError } from '../../sdk/node.js';

const TASKS = `${FIXTURES}tasks.wasm`;
const HEAD_ARGS = ['--heartbeat-interval-ms', '200', '--heartbeat-timeout-ms', '2000'];

test.after.always(killAll);

async function storeUsed(cluster: TestCluster, name: string): Promise<number> {
  return (await cluster.status()).nodes.find((n) => n.name === name)?.storeUsedBytes ?? -1;
}

test.serial('an object lost with its SIGKILLed node is rebuilt from lineage', async () => {
  const cluster = await TestCluster.start([{ name: 'holder', cpus: 1 }], HEAD_ARGS);
  const rt = await init({ address: cluster.address });
  try {
    const mod = await rt.load(TASKS);
    const big = mod.remote('fill').call(400_000); // too big to travel inline: stays on "holder"
    const first = await rt.get(big);
    await cluster.addNode('spare', 1);
    await cluster.nodes.get('holder')!.kill('SIGKILL');
    await cluster.head.waitFor(/"holder" lost/);
    const sum = asNumber(await rt.get(mod.remote('checksum').call(big)));
    let expected = 0;
    for (let i = 0; i < 400_000; i++) expected += i % 251;
    assert.equal(sum, expected);
    assert.ok((await rt.get(big)).every((b, i) => b === first[i]));
    await cluster.head.waitFor(/rebuilding o-\S+ by running fill/);
    // A put object has no lineage: losing it is an error, not a hang.
  } finally {
    await rt.shutdown();
    await cluster.stop();
  }
});

test.serial(
  'a task running on a node that dies is retried elsewhere; an actor restarts and callers in flight see the failure',
  async () => {
    const cluster = await TestCluster.start([{ name: 'doomed', cpus: 1 }], HEAD_ARGS);
    const rt = await init({ address: cluster.address });
    try {
      const mod = await rt.load(TASKS);
      const counter = await mod.actor('counter', { maxRestarts: 1 }).create(1);
      assert.equal(asNumber(await rt.get(counter.call('increment', 1))), 2);
      const inFlight = counter.call('spin'); // never returns on its own
      const spinning = mod.remote('spin', { deadlineMs: 3000, maxRetries: 1 }).call();
      await cluster.addNode('rescuer', 1);
      await cluster.nodes.get('doomed')!.kill('SIGKILL');
      await assert.rejects(rt.get(inFlight), (e: unknown) => e instanceof TaskError && e.code === 'WRT_ACTOR_DIED');
      assert.equal(asNumber(await rt.get(counter.call('increment', 5))), 6, 'restarted on the other node from its constructor');
      // The spinning task was retried on the rescuer (where its deadline then stops it).
      await assert.rejects(rt.get(spinning), (e: unknown) => e instanceof TaskError && e.code === 'WRT_DEADLINE');
      await cluster.head.waitFor(/task spin \(t-\S+\) failed \(WRT_NODE_LOST\); retry 1/);
    } finally {
      await rt.shutdown();
      await cluster.stop();
    }
  },
);

test.serial('objects are freed when their refs are dropped: arena usage returns to its start', async () => {
  const cluster = await TestCluster.start([{ name: 'store', cpus: 1 }], HEAD_ARGS);
  const rt = await init({ address: cluster.address });
  try {
    const mod = await rt.load(TASKS);
    await until(async () => (await storeUsed(cluster, 'store')) === 0, 'an empty store');
    const refs = [1, 2, 3, 4].map(() => mod.remote('fill').call(1_000_000));
    // A put over 1 MiB stays with the driver (ADR 0010); the task that reads it pulls a copy.
    const put = rt.put(new Uint8Array(2_000_000).fill(1));
    const sum = mod.remote('checksum').call(put);
    await rt.get([...refs, put, sum]);
    await until(async () => (await storeUsed(cluster, 'store')) >= 4_000_000, 'the results to be stored');
    for (const r of [...refs, put, sum]) r.release();
    await until(async () => (await storeUsed(cluster, 'store')) === 0, 'the store to be empty again');
    await assert.rejects(rt.get(put), (e: unknown) => e instanceof Error && /released/.test(e.message));
  } finally {
    await rt.shutdown();
    await cluster.stop();
  }
});
