/**
 * Monte Carlo estimate of π with many wrt tasks: `npm run sample:pi -- [--address URL] [TASKS]`.
 * Without --address it starts an embedded cluster. Each task draws 1,000,000 points in the unit
 * square and counts those inside the quarter circle.
 */
import { fileURLToPath } from 'node:url';
import process from 'node:process';
import { init, asNumber } from '../../sdk/node.js';

const args = process.argv.slice(2);
const at = args.indexOf('--address');
const address = at >= 0 ? args[at + 1] : undefined;
const tasks = Number(args.find((a, i) => /^\d+$/.test(a) && args[i - 1] !== '--address')) || 64;
const PER_TASK = 1_000_000;

const rt = await init({ address });
try {
  const mod = await rt.load(fileURLToPath(new URL('../../../samples/tasks/build/tasks.wasm', import.meta.url)));
  const sample = mod.remote('sample');
  const started = performance.now();
  const refs = Array.from({ length: tasks }, (_, seed) => sample.call(seed, PER_TASK));
  const inside = (await rt.get(refs)).map(asNumber).reduce((a, b) => a + b, 0);
  const pi = (4 * inside) / (tasks * PER_TASK);
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `π ≈ ${pi.toFixed(6)} (error ${Math.abs(pi - Math.PI).toExponential(2)}) from ${tasks} tasks × ${PER_TASK} points in ${seconds.toFixed(2)} s`,
  );
} finally {
  await rt.shutdown();
}
