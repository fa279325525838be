// GPU tasks in a cluster of real processes: one node offers its WebGPU adapter (SwiftShader on
// CPU-only machines), one starts with --no-gpu. GPU stages are placed on the GPU node, their
// ObjectRef inputs are pulled there from the CPU node, and what cannot run anywhere fails clearly.
import test from 'ava';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { ROOT, TestCluster, killAll } from '../helpers/wrt-process.js';
import { init, view, TaskError, type Runtime, type WasmModule } from '../../sdk/node.js';
import { xorshift32 } from '../../samples/gpu/xorshift.js';

const GPU_SORT = fileURLToPath(new URL('samples/gpu/build/gpu-sort.wasm', `file://${ROOT}`));
let cluster: TestCluster;
let rt: Runtime;
let mod: WasmModule;

test.before(async () => {
  cluster = await TestCluster.start([
    { name: 'cpu-node', cpus: 2, args: ['--no-gpu'] },
    { name: 'gpu-node', cpus: 1 },
  ]);
  rt = await init({ address: cluster.address });
  mod = await rt.load(GPU_SORT);
});
test.after.always(async () => {
  await rt?.shutdown();
  await cluster?.stop();
  await killAll();
});

test.serial('only the node with an adapter offers gpus, and the head shows which adapter', async () => {
  const s = await cluster.status();
  const byName = new Map(s.nodes.map((n) => [n.name, n]));
  assert.equal(byName.get('cpu-node')!.gpus, 0);
  assert.match(byName.get('cpu-node')!.gpuAdapter, /disabled/);
  assert.equal(byName.get('gpu-node')!.gpus, 1);
  assert.ok(byName.get('gpu-node')!.gpuAdapter.length > 0);
});

test.serial('a job of CPU and GPU stages: GPU stages run on the GPU node with inputs made on the CPU node', async () => {
  const before = await cluster.status();
  const finished = (s: typeof before, name: string) => s.nodes.find((n) => n.name === name)!.tasksFinished;
  const count = 150_000;
  // The CPU node has the free slots, so the key generation lands there (an 600 KB object in its store).
  const keys = mod.remote('keys', { cpus: 2 }).call(count, 7);
  const mixed = mod.kernel('mix', { kind: 'map', type: 'u32' }).call(keys);
  const sorted = rt.gpu.sort(mixed);
  const [got] = await rt.get([sorted]);
  const expected = xorshift32(count, 7)
    .map((x) => Math.imul((x ^ (x >>> 16)) >>> 0, 0x45d9f3b) >>> 0)
    .sort();
  assert.deepEqual(view(got!, Uint32Array), expected);
  const report = view(await rt.get(mod.remote('verify').call(sorted)), Float64Array);
  assert.deepEqual([...report.slice(0, 2)], [count, 1]);
  // The two GPU tasks ran on the GPU node, the 2-slot key task on the CPU node.
  const after = await cluster.statusWhen(
    (s) => finished(s, 'gpu-node') >= finished(before, 'gpu-node') + 2 && finished(s, 'cpu-node') > finished(before, 'cpu-node'),
    'the stages to be counted on both nodes',
  );
  assert.ok(finished(after, 'gpu-node') - finished(before, 'gpu-node') >= 2);
});

test.serial('built-in kernels through the cluster: matmul, reduce, scan, histogram, map, and a module-carried compute shader', async () => {
  const a = Float32Array.from({ length: 6 }, (_, i) => i + 1); // 2×3
  const b = Float32Array.from({ length: 12 }, (_, i) => i - 4); // 3×4
  const c = view(await rt.get(rt.gpu.matmul(a, b, { m: 2, n: 4, k: 3 })), Float32Array);
  const expected: number[] = [];
  for (let i = 0; i < 2; i++) for (let j = 0; j < 4; j++) expected.push([0, 1, 2].reduce((s, p) => s + a[i * 3 + p]! * b[p * 4 + j]!, 0));
  assert.deepEqual([...c], expected);
  const data = rt.put(Uint32Array.from({ length: 1000 }, (_, i) => i));
  assert.deepEqual([...view(await rt.get(rt.gpu.reduce(data, { type: 'u32' })), Uint32Array)], [499500]);
  assert.equal(view(await rt.get(rt.gpu.scan(data, { type: 'u32', exclusive: true })), Uint32Array)[10], 45);
  assert.deepEqual([...view(await rt.get(rt.gpu.histogram(data, { bins: 4, min: 0, max: 999 })), Uint32Array)], [250, 250, 250, 250]);
  assert.deepEqual([...view(await rt.get(rt.gpu.map(new Float32Array([1, 4, 9]), 'sqrt(x)')), Float32Array)], [1, 2, 3]);
  const scaled = mod.kernel('scale', { kind: 'compute', uniforms: [5] }).call(new Float32Array([1, 2, 3]));
  assert.deepEqual([...view(await rt.get(scaled), Float32Array)], [5, 10, 15]);
});

test.serial('bad GPU work fails with typed errors: a WGSL error, and more GPUs than any node has', async () => {
  await assert.rejects(
    rt.get(rt.gpu.map(new Float32Array(4), 'x +* 1.0')),
    (e: unknown) => e instanceof TaskError && e.code === 'WRT_GPU_ERROR',
  );
  await assert.rejects(
    rt.get(rt.gpu.withOptions({ gpus: 2 }).sort(new Uint32Array(4))),
    (e: unknown) => e instanceof TaskError && e.code === 'WRT_INFEASIBLE' && /gpus/.test(e.message),
  );
});
