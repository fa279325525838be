/**
 * Sorting on the GPU node of a cluster: `npm run sample:gpu -- [--address URL] [--count N]`.
 * Without --address it starts an embedded cluster of two nodes of which only one offers its GPU.
 *
 * The job: a CPU task makes N random u32 keys; a GPU task scatters them with a hash the module
 * carries as WGSL (`mix`); a GPU task radix-sorts them with wrt's kernel library; a CPU task
 * checks the order and that the sum of the keys is unchanged. The GPU tasks ask for `gpus: 1`,
 * so the scheduler places them on the node with the adapter; the ObjectRefs between the stages
 * are resolved where the tasks run, never through this driver.
 */
import { fileURLToPath } from 'node:url';
import process from 'node:process';
import { init, view } from '../../sdk/node.js';

const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
};
const address = option('--address');
const count = Number(option('--count') ?? 1_000_000);
if (!Number.isInteger(count) || count < 0) {
  console.error('--count must be a non-negative integer');
  process.exit(2);
}

const rt = await init(address ? { address } : { nodes: 2, gpuNodes: 1 });
try {
  const mod = await rt.load(fileURLToPath(new URL('../../../samples/gpu/build/gpu-sort.wasm', import.meta.url)));
  const started = performance.now();
  const keys = mod.remote('keys').call(count, 42);
  const mixed = mod.kernel('mix', { kind: 'map', type: 'u32' }).call(keys);
  const sorted = rt.gpu.sort(mixed);
  const verify = mod.remote('verify');
  const [before, after] = (await rt.get([verify.call(mixed), verify.call(sorted)])).map((b) => view(b, Float64Array));
  const seconds = (performance.now() - started) / 1000;
  const ok = after![1] === 1 && before![2] === after![2] && after![0] === count;
  console.log(
    `${ok ? 'sorted' : 'NOT SORTED'}: ${after![0]} keys on the GPU node, key sum ${after![2]} before and after (${before![2]}), in ${seconds.toFixed(2)} s`,
  );
  const scaled = mod.kernel('scale', { kind: 'compute', uniforms: [3] }).call(new Float32Array([1, 2, 3, 4]));
  console.log(`module-carried compute shader: [1, 2, 3, 4] × 3 = [${[...view(await rt.get(scaled), Float32Array)].join(', ')}]`);
  if (!ok) process.exitCode = 1;
} finally {
  await rt.shutdown();
}
