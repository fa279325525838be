// Large objects between real processes: a driver put larger than a WebSocket frame (64 MiB) is
// held by the driver (ADR 0010) and pulled from it by the node whose task reads it; a task's
// 60 MiB result pulled node → node (once, for two tasks that want it at the same time) into a
// node whose arena has less free space than the object, so it spills; and node → driver. Every byte checked;
// both arenas return to empty once the refs are dropped.
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
    { name: 'holder', cpus: 1, resources: { holder: 4 }, args: ['--no-gpu'] },
    // 100 MiB arena: two 24 MiB results plus the 70 MiB object do not fit without spilling.
    { name: 'reader', cpus: 2, resources: { reader: 4 }, args: ['--no-gpu', '--store-mb', '100', '--spill-dir', join(f.work, 'spill')] },
  ]));
  const rt = (f.rt = await init({ address: cluster.address }));
  const mod = await rt.load(`${ROOT}tests/fixtures/build/tasks.wasm`);
  const onReader = { resources: { reader: 1 } };

  // Two 24 MiB results held by the driver fill the reader's arena first.
  const fills = [0, 1].map(() => mod.remote('fill', onReader).call(24 * MiB));
  await rt.wait(fills, { numReturns: 2, timeoutMs: 60_000 });

  // The put stays with the driver, ready at once; a task on the holder pulls it from the driver
  // (through the head, across frames) and sums it.
  const big = pattern(70 * MiB);
  const ref = rt.put(big);
  assert.equal((await rt.wait([ref], { timeoutMs: 0 })).ready.length, 1, 'a held put is ready at once');
  const onHolder = { resources: { holder: 1 } };
  const heldSum = mod.remote('checksum', onHolder).call(ref);
  assert.equal(view(await rt.get(heldSum), Float64Array)[0], byteSum(big));

  // A 60 MiB result on the holder; two tasks on the reader read it at once: one pull, shared; the
  // reader spills a fill to fit it.
  const made = mod.remote('fill', onHolder).call(60 * MiB);
  await rt.wait([made], { timeoutMs: 60_000 });
  await waitForStatus((n) => n.holder!.storeUsedBytes >= 60 * MiB);
  const sums = [0, 1].map(() => mod.remote('checksum', onReader).call(made));
  const expected = byteSum(new Uint8Array(60 * MiB).map((_, i) => i % 251));
  for (const s of sums) assert.equal(view(await rt.get(s), Float64Array)[0], expected);

  // Node → driver, the driver's own put, and the spilled fills come back intact.
  assert.deepEqual(await rt.get(ref), big);
  for (const f of [...fills, made]) {
    const bytes: Uint8Array = await rt.get(f);
    assert.equal(bytes.byteLength, f === made ? 60 * MiB : 24 * MiB);
    for (let i = 0; i < bytes.byteLength; i += 4099) assert.equal(bytes[i], i % 251, `fill byte ${i}`);
  }

  // The reader made room by spilling, and read the fills back (its heartbeat says so).
  await waitForStatus((n) => n.reader!.spill.spilledBytes >= 24 * MiB && n.reader!.spill.restoredBytes >= 24 * MiB);

  for (const r of [ref, heldSum, made, ...fills, ...sums]) r.release();
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
