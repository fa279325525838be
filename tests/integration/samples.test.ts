// The task and GPU samples run with one command and print sensible results.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { ROOT, TestCluster, killAll } from '../helpers/wrt-process.js';

let cluster: TestCluster;
test.before(async () => {
  cluster = await TestCluster.start([{ name: 'worker', cpus: 2 }]);
});
test.after(async () => {
  await cluster?.stop();
  await killAll();
});

async function runSample(script: string, ...args: string[]): Promise<string> {
  const p = spawn(process.execPath, [`${ROOT}dist/samples/${script}`, '--address', cluster.address, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  p.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const [code] = (await once(p, 'exit')) as [number];
  assert.equal(code, 0, out);
  return out;
}

test('Monte Carlo π with many tasks', async () => {
  const m = /π ≈ ([\d.]+) .* from 32 tasks/.exec(await runSample('tasks/pi.js', '32'));
  assert.ok(m, 'no estimate printed');
  assert.ok(Math.abs(Number(m[1]) - Math.PI) < 0.01);
});

test('parameter server actor: the loss falls towards zero', async () => {
  const m = /final loss ([\d.]+) after 80 updates/.exec(await runSample('tasks/parameter-server.js'));
  assert.ok(m, 'no final loss printed');
  assert.ok(Number(m[1]) < 1e-3);
});

test("GPU sort: keys made on the CPU, mixed by the module's WGSL and radix-sorted on the GPU", async () => {
  const out = await runSample('gpu/sort.js', '--count', '100000');
  assert.match(out, /^sorted: 100000 keys on the GPU node, key sum (\d+) before and after \(\1\)/m);
  assert.match(out, /\[1, 2, 3, 4\] × 3 = \[3, 6, 9, 12\]/);
});
