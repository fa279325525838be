// The task, GPU and stream samples run with one command and print sensible results.
import test from 'ava';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, TestCluster, killAll, runWrt } from '../helpers/wrt-process.js';

let cluster: TestCluster;
test.before(async () => {
  cluster = await TestCluster.start([{ name: 'worker', cpus: 2 }]);
});
test.after.always(async () => {
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

test.serial('Monte Carlo π with many tasks', async () => {
  const m = /π ≈ ([\d.]+) .* from 32 tasks/.exec(await runSample('tasks/pi.js', '32'));
  assert.ok(m, 'no estimate printed');
  assert.ok(Math.abs(Number(m[1]) - Math.PI) < 0.01);
});

test.serial('Monte Carlo π as a batch pipeline: its counts are those of xorshift64* computed here', async () => {
  const work = mkdtempSync(join(tmpdir(), 'wrt-montecarlo-'));
  try {
    const lines = Array.from({ length: 40 }, (_, seed) => [seed, 2000 + seed] as const);
    writeFileSync(join(work, 'seeds.txt'), lines.map(([s, n]) => `${s}x${n}\n`).join(''));
    const r = await runWrt([
      'submit',
      `${ROOT}samples/montecarlo/build/pipeline.wasm`,
      ...['--address', cluster.address, '--token-file', cluster.tokenFile, '--input', join(work, 'seeds.txt')],
      ...['--output', join(work, 'out'), '--chunk-mb', '0.0001'],
    ]);
    assert.equal(r.code, 0, r.stderr);
    const got = Object.fromEntries(
      readdirSync(join(work, 'out'))
        .filter((f) => f.endsWith('.tsv'))
        .flatMap((f) =>
          readFileSync(join(work, 'out', f), 'utf8')
            .trim()
            .split('\n'),
        )
        .filter(Boolean)
        .map((l) => l.split('\t')),
    );
    // xorshift64* (Vigna 2016) in BigInt, seeded as the pipeline seeds it.
    const M = (1n << 64n) - 1n;
    let inside = 0;
    for (const [seed, n] of lines) {
      let s = (BigInt(seed) * 0x9e3779b97f4a7c15n + 1n) & M;
      const next = (): number => {
        s ^= s >> 12n;
        s = (s ^ (s << 25n)) & M;
        s ^= s >> 27n;
        return Number(((s * 0x2545f4914f6cdd1dn) & M) >> 11n) / 2 ** 53;
      };
      for (let i = 0; i < n; i++) {
        const x = next();
        const y = next();
        if (x * x + y * y <= 1) inside++;
      }
    }
    assert.deepEqual(got, { inside: String(inside), points: String(lines.reduce((a, [, n]) => a + n, 0)) });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

test.serial('parameter server actor: the loss falls towards zero', async () => {
  const m = /final loss ([\d.]+) after 80 updates/.exec(await runSample('tasks/parameter-server.js'));
  assert.ok(m, 'no final loss printed');
  assert.ok(Number(m[1]) < 1e-3);
});

test.serial("GPU sort: keys made on the CPU, mixed by the module's WGSL and radix-sorted on the GPU", async () => {
  const out = await runSample('gpu/sort.js', '--count', '100000');
  assert.match(out, /^sorted: 100000 keys on the GPU node, key sum (\d+) before and after \(\1\)/m);
  assert.match(out, /\[1, 2, 3, 4\] × 3 = \[3, 6, 9, 12\]/);
});

test.serial("README's DataStream example: orders per user and second on an embedded cluster equal a direct count", async () => {
  const p = spawn(process.execPath, [`${ROOT}dist/samples/streams/orders-per-second.js`], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  p.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const [code] = (await once(p, 'exit')) as [number];
  assert.equal(code, 0, out);
  const [status, ...lines] = out.trim().split('\n');
  assert.match(status!, /^job j-\d+ Finished$/);
  const rows = lines.filter((l) => l !== 'user,n,amount,window_start,window_end').sort();
  // The sample's input: 10 000 orders, user-(i mod 5), amount i mod 100, 3 ms apart.
  const expected = new Map<string, { n: number; amount: number }>();
  for (let i = 0; i < 10_000; i++) {
    const at = 1_700_000_000_000 + i * 3;
    const start = at - (at % 1000);
    const key = `user-${i % 5},${start}`;
    const e = expected.get(key) ?? { n: 0, amount: 0 };
    e.n++;
    e.amount += i % 100;
    expected.set(key, e);
  }
  const want = [...expected]
    .map(([k, e]) => {
      const [user, start] = k.split(',');
      const iso = (ms: number) => new Date(ms).toISOString();
      return `${user},${e.n},${e.amount},${iso(Number(start))},${iso(Number(start) + 1000)}`;
    })
    .sort();
  assert.deepEqual(rows, want);
});
