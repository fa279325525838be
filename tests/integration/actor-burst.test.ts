// A burst of actor creations on one node (each actor is a slot thread of its own): the node starts
// their threads a few at a time (runtime/node/actor-hosting.ts), so its loop keeps sending
// heartbeats and the head never declares it lost. Before, such bursts (300 creations once, 400
// every time, on this 2-core machine) kept the node's loop busy past the 5 s heartbeat timeout.
import test from 'ava';
import assert from 'node:assert/strict';
import { FIXTURES, TestCluster, killAll } from '../helpers/wrt-process.js';
import { init, asNumber, type Runtime } from '../../sdk/node.js';

let cluster: TestCluster;
let rt: Runtime;

test.before(async () => {
  cluster = await TestCluster.start([{ name: 'host', cpus: 2, args: ['--no-gpu'] }]);
  rt = await init({ address: cluster.address });
});
test.after.always(async () => {
  await rt?.shutdown();
  await cluster?.stop();
  await killAll();
});

test.serial('300 actors created at once on one node all come up, answer, and the node is never lost', async () => {
  const mod = await rt.load(`${FIXTURES}tasks.wasm`);
  // A hundredth of a slot each, so the head sends all 300 creations to the one node together.
  const counter = mod.actor('counter').options({ cpus: 0.01 });
  const actors = await Promise.all(Array.from({ length: 300 }, (_, i) => counter.create(i)));
  const totals = await rt.get(actors.map((a) => a.call('total')));
  assert.deepEqual(
    totals.map((t) => asNumber(t)),
    actors.map((_, i) => i),
  );
  assert.doesNotMatch(cluster.head.stdout + cluster.head.stderr, /lost/);
  const node = (await cluster.status()).nodes.find((n) => n.name === 'host')!;
  assert.equal(node.alive, true);
});
