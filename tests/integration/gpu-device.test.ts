// A node's GPU device as a job sees it (docs/gpu-tasks.md): a head process, a node agent in this
// test process (so the test can read its device's traffic counters and call `device.destroy()`
// while a kernel runs) on SwiftShader, and a driver.
// - Results kept on the device: sort(map(x)) uploads x once and reads the sorted keys back once.
// - A lost device: the kernel running at the loss fails with WRT_GPU_ERROR naming the kernel and
//   the cause; the node stays in the cluster, requests a new device, and the rest of the job runs
//   on it; a task allowed retries is retried there.
import test from 'ava';
import assert from 'node:assert/strict';
import { TestCluster, killAll } from '../helpers/wrt-process.js';
import { NodeAgent } from '../../runtime/node/node-agent.js';
import { nodePlatform } from '../../runtime/platform/node/platform.js';
import { withCredential } from '../../runtime/client/authenticate.js';
import { init, view, TaskError, type Runtime } from '../../sdk/node.js';
import type { GpuContext } from '../../gpu/context.js';

let cluster: TestCluster;
let agent: NodeAgent;
let rt: Runtime;

test.before(async () => {
  cluster = await TestCluster.start([]);
  agent = new NodeAgent(withCredential(nodePlatform, cluster.token, 'node'), { address: cluster.address, cpus: 1, name: 'gpu-here' });
  await agent.start();
  await cluster.waitForJoined('gpu-here');
  rt = await init({ address: cluster.address });
});

test.after.always(async () => {
  await rt?.shutdown();
  await agent?.stop();
  await cluster?.stop();
  await killAll();
});

/** Makes the next kernel on `ctx` lose the device after recording its work, before submitting it. */
function loseDeviceInNextKernel(ctx: GpuContext): void {
  const submit = ctx.submit.bind(ctx);
  ctx.submit = (...args) => {
    ctx.device.destroy();
    return submit(...args);
  };
}

test.serial(
  'sort(map(x)) on one node uploads x once and reads the result back once; results stay on the device until asked for, and a histogram uses one in place',
  async () => {
    const n = 200_000;
    const x = Uint32Array.from({ length: n }, (_, i) => Math.imul(i, 2654435761) >>> 12);
    const ref = rt.put(x);
    const gpu = agent.gpu!;
    const before = { ...gpu.traffic };
    const kept = agent.deviceObjects.counts.kept;
    const mapped = rt.gpu.map(ref, 'x * 7u + 3u', { type: 'u32' });
    const sorted = rt.gpu.sort(mapped);
    const keys = view((await rt.get([sorted]))[0]!, Uint32Array);
    const expected = Uint32Array.from(x, (v) => (v * 7 + 3) >>> 0);
    assert.deepEqual(keys, Uint32Array.from(expected).sort());
    assert.equal(gpu.traffic.uploads - before.uploads, 1, 'x went to the device once');
    assert.equal(gpu.traffic.reads - before.reads, 1, 'only the sorted keys came back');
    assert.equal(agent.deviceObjects.counts.kept - kept, 2, 'both results were kept on the device');
    // Asked for now, the map result is read back once into the node's store and served from there.
    assert.deepEqual(view(await rt.get(mapped), Uint32Array), expected);
    assert.deepEqual(view(await rt.get(mapped), Uint32Array), expected);
    assert.equal(gpu.traffic.reads - before.reads, 2);
    // A histogram of the map result, now in the node's store, uploads it; one of a result still
    // on the device (a second sort) uploads nothing and reads only its 16 counts back.
    const resorted = rt.gpu.sort(mapped);
    await rt.wait([resorted]);
    const uploads = gpu.traffic.uploads;
    const reads = gpu.traffic.reads;
    const counts = view(await rt.get(rt.gpu.histogram(resorted, { bins: 16, min: 0, max: 2 ** 24 - 1 })), Uint32Array);
    const expectedCounts = new Array<number>(16).fill(0);
    for (const v of expected) expectedCounts[Math.floor(v / 2 ** 20)]!++;
    assert.deepEqual([...counts], expectedCounts);
    assert.equal(gpu.traffic.uploads, uploads, 'the sorted keys were used where they were');
    assert.equal(gpu.traffic.reads - reads, 1);
  },
);

test.serial('a lost device fails the running kernel with WRT_GPU_ERROR; the node re-acquires its GPU and the job goes on', async () => {
  assert.ok(agent.gpu, `the node needs a WebGPU adapter (SwiftShader on CPU-only machines): ${agent.gpuAdapter}`);
  const n = 300_000;
  const data = rt.put(Uint32Array.from({ length: n }, (_, i) => i % 1000));
  const total = Uint32Array.from({ length: n }, (_, i) => i % 1000).reduce((a, v) => a + v, 0);
  assert.deepEqual([...view(await rt.get(rt.gpu.reduce(data, { type: 'u32' })), Uint32Array)], [total]);

  const first = agent.gpu;
  loseDeviceInNextKernel(first);
  const noRetries = rt.gpu.withOptions({ maxRetries: 0 });
  await assert.rejects(rt.get(noRetries.scan(data, { type: 'u32' })), (err: unknown) => {
    assert.ok(err instanceof TaskError, String(err));
    assert.equal(err.code, 'WRT_GPU_ERROR');
    assert.match(err.message, /gpu\.scan failed: the GPU device was lost \(destroyed/);
    return true;
  });

  // The rest of the job, submitted at once: it waits for the new device and runs there.
  const rest = [rt.gpu.reduce(data, { type: 'u32' }), rt.gpu.scan(data, { type: 'u32', exclusive: true }), rt.gpu.sort(data)];
  const [sum, prefix, sorted] = await rt.get(rest);
  assert.deepEqual([...view(sum!, Uint32Array)], [total]);
  assert.equal(view(prefix!, Uint32Array)[1001], (1000 * 999) / 2 + 0);
  const keys = view(sorted!, Uint32Array);
  assert.equal(keys.length, n);
  assert.ok(keys.every((k, i) => i === 0 || keys[i - 1]! <= k));
  assert.ok(agent.gpu && agent.gpu !== first, 'the node holds a new device');
  assert.equal(agent.gpus.losses, 1);
  assert.doesNotMatch(agent.gpuAdapter, /lost/);

  // The node never left, and still offers its GPU.
  const node = (await cluster.status()).nodes.find((x) => x.name === 'gpu-here')!;
  assert.equal(node.gpus, 1);
  assert.equal(node.alive, true);

  // With retries (the default), a kernel that meets a loss is run again on the next device.
  loseDeviceInNextKernel(agent.gpu);
  assert.deepEqual([...view(await rt.get(rt.gpu.reduce(data, { type: 'u32' })), Uint32Array)], [total]);
  assert.equal(agent.gpus.losses, 2);
});
