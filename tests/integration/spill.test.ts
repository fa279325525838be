// Spilling in a real node process: its arena (8 MiB) is far smaller than the objects its tasks
// make (10 × 2 MiB, all still referenced by the driver), so the node spills to its --spill-dir
// and restores on each get; every object comes back intact, and the files go with the refs.
import test from 'ava';
import assert from 'node:assert/strict';
import { until } from '../helpers/until.js';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, TestCluster, clusterFixture } from '../helpers/wrt-process.js';
import { init, view } from '../../sdk/node.js';
import { xorshift32 } from '../../samples/gpu/xorshift.js';

const f = clusterFixture('wrt-spill-it-');
const spillDir = join(f.work, 'spill');

test.serial('a node whose arena is full spills referenced objects to disk and restores them intact', async () => {
  const cluster = (f.cluster = await TestCluster.start([
    { name: 'small', cpus: 2, args: ['--no-gpu', '--store-mb', '8', '--spill-dir', spillDir] },
  ]));
  const rt = (f.rt = await init({ address: cluster.address }));
  const mod = await rt.load(`${ROOT}samples/gpu/build/gpu-sort.wasm`);
  const keys = mod.remote('keys');
  const count = 512 * 1024; // 2 MiB of u32 keys per object
  const refs = Array.from({ length: 10 }, (_, i) => keys.call(count, i + 1));
  await rt.wait(refs, { numReturns: refs.length, timeoutMs: 120_000 });
  assert.ok(existsSync(spillDir) && readdirSync(spillDir).length > 0, 'nothing was spilled');
  for (let i = 0; i < refs.length; i++) {
    const bytes: Uint8Array = await rt.get(refs[i]!);
    const got = view(bytes, Uint32Array);
    assert.deepEqual(got, xorshift32(count, i + 1), `object ${i}`);
  }
  // Dropping the refs frees the objects, spilled or not: the spill directory empties.
  for (const r of refs) r.release();
  await until(() => readdirSync(spillDir).length === 0, 'the spill directory is empty');
});
