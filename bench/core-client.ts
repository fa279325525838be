/**
 * One client process of bench:core's `multi_client_tasks_async` (Ray's runs its clients as
 * processes of their own too): `node dist/bench/core-client.js ADDRESS`, the credential in
 * `$WRT_TOKEN` or the head's token file. Connects, loads tasks.wasm, prints `ready`, waits for a
 * line `go SECONDS WARMUP` on stdin, submits batches of 500 no-op tasks untimed for WARMUP
 * seconds and then for SECONDS, and prints `{"ops":N,"seconds":S}` of the timed part.
 */
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import process from 'node:process';
import { init } from '../sdk/node.js';

const TASKS = fileURLToPath(new URL('../../tests/fixtures/build/tasks.wasm', import.meta.url));
const address = process.argv[2];
if (!address) {
  process.stderr.write('usage: node dist/bench/core-client.js ADDRESS\n');
  process.exit(2);
}
const rt = await init({ address });
try {
  const noop = (await rt.load(TASKS)).remote('noop');
  const batch = async (): Promise<void> => {
    const refs = Array.from({ length: 500 }, () => noop.call());
    await rt.get(refs);
    refs.forEach((r) => r.release());
  };
  await batch();
  process.stdout.write('ready\n');
  const line = await new Promise<string>((resolve) => createInterface({ input: process.stdin }).once('line', resolve));
  const [, seconds, warmup] = line.split(' ').map(Number) as [number, number, number];
  const warm = performance.now();
  while (performance.now() - warm < (warmup || 0) * 1000) await batch();
  let ops = 0;
  const start = performance.now();
  while (performance.now() - start < seconds * 1000) {
    await batch();
    ops += 500;
  }
  process.stdout.write(JSON.stringify({ ops, seconds: (performance.now() - start) / 1000 }) + '\n');
} finally {
  await rt.shutdown();
}
process.exit(0);
