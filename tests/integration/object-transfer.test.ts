// Large objects between real processes: a driver put larger than a WebSocket frame (64 MiB) that
// a node pulls from the driver; the same object pulled node → node (once, for two tasks that want
// it at the same time) into a node whose arena has less free space than the object, so it spills;
// and node → driver. Every byte checked; both arenas return to empty once the refs are dropped.
import test from 'ava';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ROOT, TestCluster, clusterFixture, type ClusterStatusView } from '../helpers/wrt-process.js';
import { init, view } from '../../sdk/node.js';

const f = clusterFixture('wrt-transfer-it-');

const MiB = 2 ** 20;

function pattern(n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 131 + (i >>> 13)) & 0xff;
  return b;
}

function byteSum(b: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < b.byteLength; i++) s += b[i]!;
  return s;
}

test.serial('objects larger than a frame, a chunk and the free arena move intact, and are freed', async (t) => {
  t.timeout(180_000);
  const cluster = (f.cluster = await TestCluster.start([
    { name: 'holder', cpus: 1, args: ['--no-gpu'] },
    // 100 MiB arena: two 24 MiB results plus the 70 MiB object do not fit without spilling.
    { name: 'reader', cpus: 2, resources: { reader: 4 }, args: ['--no-gpu', '--store-mb', '100', '--spill-dir', join(f.work, 'spill')] },
  ]));
  const rt = (f.rt = await init({ address: cluster.address }));
  const mod = await rt.load(`${ROOT}tests/fixtures/build/tasks.wasm`);
  const onReader = { resources: { reader: 1 } };

  // Two 24 MiB results held by the driver fill the reader's arena first.
  const fills = [0, 1].map(() => mod.remote('fill', onReader).call(24 * MiB));
  await rt.wait(fills, { numReturns: 2, timeoutMs: 60_000 });

  // The put goes to the node with the emptiest store (the holder), which pulls it from the driver.
  const big = pattern(70 * MiB);
  const ref = rt.put(big);
  await rt.wait([ref], { timeoutMs: 60_000 });
  await waitForStatus((n) => n.holder!.storeUsedBytes >= 70 * MiB);

  // Two tasks on the reader read it at once: one pull, shared; the reader spills a fill to fit it.
  const sums = [0, 1].map(() => mod.remote('checksum', onReader).call(ref));
  const expected = byteSum(big);
  for (const s of sums) assert.equal(view(await rt.get(s), Float64Array)[0], expected);

  // Node → driver, and the spilled fill comes back intact.
  assert.deepEqual(await rt.get(ref), big);
  for (const f of fills) {
    const bytes: Uint8Array = await rt.get(f);
    assert.equal(bytes.byteLength, 24 * MiB);
    for (let i = 0; i < bytes.byteLength; i += 4099) assert.equal(bytes[i], i % 251, `fill byte ${i}`);
  }

  // The reader made room by spilling, and read the fills back (its heartbeat says so).
  await waitForStatus((n) => n.reader!.spill.spilledBytes >= 24 * MiB && n.reader!.spill.restoredBytes >= 24 * MiB);

  for (const r of [ref, ...fills, ...sums]) r.release();
  await waitForStatus((n) => n.holder!.storeUsedBytes === 0 && n.reader!.storeUsedBytes === 0);
});

type NodeStatus = ClusterStatusView['nodes'][number];

/**
 * Polls the head's status until `ok` holds for its nodes by name. Store usage and spill counters
 * reach the head with each node's heartbeat (every second), so there is no event to await; the
 * test's timeout bounds the wait.
 */
async function waitForStatus(ok: (nodes: Record<string, NodeStatus>) => boolean): Promise<void> {
  await f.cluster!.statusWhen((s) => ok(Object.fromEntries(s.nodes.map((n) => [n.name, n]))), `${ok}`, { timeoutMs: 120_000 });
}
