/**
 * An actor-based parameter server: `npm run sample:parameter-server -- [--address URL]`.
 * One actor holds the weights (its wasm memory is the state); workers are tasks that compute a
 * gradient from the weights they pulled; the server applies each gradient in arrival order.
 * The loss ½‖w − target‖² shrinks towards 0.
 */
import { fileURLToPath } from 'node:url';
import process from 'node:process';
import { init, view } from '../../sdk/node.js';

const args = process.argv.slice(2);
const at = args.indexOf('--address');
const address = at >= 0 ? args[at + 1] : undefined;
const DIM = 1000;
const WORKERS = 4;
const ROUNDS = 20;

const rt = await init({ address });
try {
  const mod = await rt.load(fileURLToPath(new URL('../../../samples/tasks/build/tasks.wasm', import.meta.url)));
  const server = await mod.actor('server', { name: 'parameter-server' }).create(DIM);
  const gradient = mod.remote('gradient');
  const loss = (w: Float32Array): number => w.reduce((s, x, i) => s + 0.5 * (x - i / DIM) ** 2, 0);
  for (let round = 0; round < ROUNDS; round++) {
    const weights = server.call('pull');
    // Each worker's gradient goes straight from its node to the server: the driver never sees it.
    const pushes = Array.from({ length: WORKERS }, () => server.call('push', gradient.call(weights)));
    await rt.get(pushes);
    if (round % 5 === 4 || round === 0)
      console.log(`round ${round + 1}: loss ${loss(view(await rt.get(server.call('pull')), Float32Array)).toFixed(6)}`);
  }
  const final = view(await rt.get(server.call('pull')), Float32Array);
  console.log(`final loss ${loss(final).toFixed(8)} after ${ROUNDS * WORKERS} updates`);
} finally {
  await rt.shutdown();
}
