/**
 * Cases of the GPU kernel suite for the paths a device chooses between: the single-pass and
 * multi-pass scans, kernels with and without subgroup operations, staged and `writeBuffer`
 * uploads (chunked past 16 MiB), and arrays kept on the device between kernels. Run with
 * kernel-suite.ts's cases in Node, in headless Chromium and on the GPU machine.
 */
import type { GpuContext } from '../../gpu/index.js';
import { GpuArray, map, matmul, radixSort, reduce, scan, TRANSFER_CHUNK_BYTES } from '../../gpu/index.js';
import { expectExact, expectSums, expectWithin, gamma } from './accuracy.js';
import { rng, type KernelCase } from './kernel-case.js';

const randomU32 = (n: number, r: () => number, bound = 2 ** 32) => Uint32Array.from({ length: n }, () => Math.floor(r() * bound));
const randomF32 = (n: number, r: () => number) => Float32Array.from({ length: n }, () => r() * 2 - 1);

function runningU32(x: Uint32Array, exclusive: boolean): number[] {
  const out: number[] = [];
  let s = 0;
  for (const v of x) {
    if (exclusive) out.push(s);
    s = (s + v) >>> 0;
    if (!exclusive) out.push(s);
  }
  return out;
}

/** Runs `body` with the context's subgroup use set to `on`, restoring it after. */
async function withSubgroups(ctx: GpuContext, on: boolean, body: () => Promise<void>): Promise<void> {
  const was = ctx.useSubgroups;
  ctx.useSubgroups = on && ctx.has('subgroups');
  try {
    await body();
  } finally {
    ctx.useSubgroups = was;
  }
}

export const pathCases: KernelCase[] = [
  {
    name: 'scan: the single-pass scan (decoupled look-back, fallback on silent predecessors) on every size and op',
    async run(ctx) {
      for (const n of [1, 5, 4095, 4096, 4097, 70_001, 1_100_003]) {
        const r = rng(600 + n);
        const u = randomU32(n, r, 1000);
        for (const exclusive of [false, true])
          expectExact(
            await scan(ctx, u, { exclusive, strategy: 'single-pass' }),
            runningU32(u, exclusive),
            `single-pass u32 n=${n} exclusive=${exclusive}`,
          );
        const f = randomF32(Math.min(n, 70_001), r);
        expectSums(await scan(ctx, f, { strategy: 'single-pass' }), f, false, `single-pass f32 sum n=${f.length}`);
        const maxRef: number[] = [];
        let m = -Infinity;
        for (const v of f) maxRef.push((m = Math.max(m, v)));
        expectExact(await scan(ctx, f, { op: 'max', strategy: 'single-pass' }), maxRef, `single-pass f32 max n=${f.length}`);
        expectExact(await scan(ctx, u, { strategy: 'multi-pass' }), runningU32(u, false), `multi-pass u32 n=${n}`);
        // One poll, then fold the predecessor's input: the fallback path wherever a predecessor lags.
        expectExact(await scan(ctx, u, { strategy: 'single-pass', spinLimit: 1 }), runningU32(u, false), `fallback u32 n=${n}`);
      }
    },
  },
  {
    name: 'radixSort: the one-sweep sort (8-bit passes, look-back with fallback) is stable, with values, fewer key bits',
    async run(ctx) {
      for (const n of [1, 7, 2047, 2048, 2049, 70_001]) {
        const r = rng(800 + n);
        const keys = randomU32(n, r);
        expectExact(
          (await radixSort(ctx, keys, undefined, { strategy: 'onesweep' })).keys,
          Uint32Array.from(keys).sort(),
          `one-sweep n=${n}`,
        );
        const dup = randomU32(n, r, 300);
        const index = Uint32Array.from({ length: n }, (_, i) => i);
        const order = [...index].sort((a, b) => dup[a]! - dup[b]! || a - b);
        for (const spinLimit of [64, 1]) {
          const pairs = await radixSort(ctx, dup, index, { strategy: 'onesweep', spinLimit });
          expectExact(
            pairs.keys,
            order.map((i) => dup[i]!),
            `one-sweep stable keys n=${n} spins=${spinLimit}`,
          );
          expectExact(pairs.values!, order, `one-sweep stable values n=${n} spins=${spinLimit}`);
        }
        const wide = randomU32(n, r);
        const low20 = Uint32Array.from(wide, (x) => x & 0xfffff);
        const order20 = [...index].sort((a, b) => low20[a]! - low20[b]! || a - b);
        const sorted20 = await radixSort(ctx, wide, index, { strategy: 'onesweep', keyBits: 20 });
        expectExact(sorted20.values!, order20, `one-sweep on the low 20 bits n=${n}`);
      }
      const many = randomU32(300_007, rng(9));
      expectExact(
        (await radixSort(ctx, many, undefined, { strategy: 'onesweep' })).keys,
        Uint32Array.from(many).sort(),
        'one-sweep n=300007',
      );
    },
  },
  {
    name: 'portable paths: reduce gives the same results with and without subgroup operations',
    async run(ctx) {
      for (const on of [true, false]) {
        await withSubgroups(ctx, on, async () => {
          for (const n of [1, 3, 1023, 1025, 262_147, 1_048_577]) {
            const r = rng(700 + n);
            const u = randomU32(n, r);
            expectExact([await reduce(ctx, u, 'sum')], [u.reduce((a, v) => (a + v) >>> 0, 0)], `u32 sum n=${n} subgroups=${on}`);
            expectExact([await reduce(ctx, u, 'max')], [u.reduce((a, v) => Math.max(a, v), 0)], `u32 max n=${n} subgroups=${on}`);
            const f = randomF32(n, r);
            const bound = gamma(n - 1) * f.reduce((a, v) => a + Math.abs(v), 0);
            const exact = f.reduce((a, v) => a + v, 0);
            expectWithin([await reduce(ctx, f, 'sum')], [exact], () => bound, `f32 sum n=${n} subgroups=${on}`, 'Higham § 4.2');
            expectExact([await reduce(ctx, f, 'min')], [f.reduce((a, v) => Math.min(a, v), Infinity)], `f32 min n=${n} subgroups=${on}`);
          }
        });
      }
    },
  },
  {
    name: 'matmul: 128×128 tiles, vector and scalar variants, several tiles each way',
    async run(ctx) {
      for (const [m, n, k] of [
        [260, 132, 36],
        [129, 256, 64],
        [131, 130, 9],
        [1, 516, 8],
      ] as const) {
        const r = rng(m * 7 + n * 3 + k);
        const a = randomF32(m * k, r);
        const b = randomF32(k * n, r);
        const ref = new Float64Array(m * n);
        const mag = new Float64Array(m * n);
        for (let i = 0; i < m; i++)
          for (let p = 0; p < k; p++) {
            const x = a[i * k + p]!;
            for (let j = 0; j < n; j++) {
              ref[i * n + j]! += x * b[p * n + j]!;
              mag[i * n + j]! += Math.abs(x * b[p * n + j]!);
            }
          }
        expectWithin(await matmul(ctx, a, b, { m, n, k }), ref, (i) => gamma(k) * mag[i]!, `matmul ${m}×${k}·${k}×${n}`, 'Higham § 3.5');
      }
    },
  },
  {
    name: 'uploads: staged in chunks past 16 MiB, from shared memory, read back unchanged',
    async run(ctx) {
      const n = TRANSFER_CHUNK_BYTES / 4 + 1001;
      // Shared memory as the object-store arena is (a SharedArrayBuffer also in pages that are not cross-origin isolated).
      const memory = new WebAssembly.Memory({ initial: Math.ceil((n * 4 + 8) / 65536), maximum: 512, shared: true });
      const shared = new Uint32Array(memory.buffer, 8, n);
      shared.set(randomU32(n, rng(11)));
      const onDevice = GpuArray.from(ctx, shared);
      try {
        expectExact(await onDevice.read(), shared, 'a 16 MiB + 4004 B upload from a SharedArrayBuffer, read back');
        expectExact([await reduce(ctx, onDevice, 'sum')], [shared.reduce((a, v) => (a + v) >>> 0, 0)], 'reduce of the staged array');
      } finally {
        onDevice.release();
      }
    },
  },
  {
    name: 'streamed: map, reduce and single-pass scan of host arrays past 16 MiB go chunk by chunk (upload, kernel and read-back overlapping)',
    async run(ctx) {
      const n = TRANSFER_CHUNK_BYTES / 4 + 70_001;
      const u = randomU32(n, rng(13));
      const before = { ...ctx.traffic };
      const doubled = (await map(ctx, u, 'x * 2u + i')) as Uint32Array;
      for (let i = 0; i < n; i++) if (doubled[i] !== (u[i]! * 2 + i) >>> 0) fail(`streamed map: element ${i} is ${doubled[i]}`);
      if (ctx.traffic.uploads - before.uploads !== 1 || ctx.traffic.reads - before.reads !== 1)
        fail(`streamed map moved ${ctx.traffic.uploads - before.uploads} uploads, ${ctx.traffic.reads - before.reads} read-backs`);
      for (const op of ['sum', 'min', 'max'] as const) {
        const expected =
          op === 'sum' ? u.reduce((a, v) => (a + v) >>> 0, 0) : u.reduce((a, v) => Math[op](a, v), op === 'min' ? 2 ** 32 : 0);
        expectExact([await reduce(ctx, u, op)], [expected], `streamed u32 ${op}`);
      }
      // The single-pass scan streams too, its look-back running on across chunks.
      const small = randomU32(n, rng(15), 1000);
      for (const exclusive of [false, true]) {
        const scans = { ...ctx.traffic };
        expectExact(
          await scan(ctx, small, { exclusive, strategy: 'single-pass' }),
          runningU32(small, exclusive),
          `streamed scan exclusive=${exclusive}`,
        );
        if (ctx.traffic.uploads - scans.uploads !== 1 || ctx.traffic.reads - scans.reads !== 1)
          fail('the streamed scan moved more than one upload and one read-back');
      }
      const f = randomF32(n, rng(14));
      const bound = gamma(n - 1) * f.reduce((a, v) => a + Math.abs(v), 0);
      expectWithin([await reduce(ctx, f, 'sum')], [f.reduce((a, v) => a + v, 0)], () => bound, 'streamed f32 sum', 'Higham § 4.2');
    },
  },
  {
    name: 'resident arrays: sort(map(x)) on the device uploads once and reads back once',
    async run(ctx) {
      const n = 50_001;
      const x = randomU32(n, rng(12), 1 << 20);
      const before = { ...ctx.traffic };
      const mapped = await map(ctx, x, 'x * 7u + 3u', { resident: true });
      const sorted = await radixSort(ctx, mapped, undefined, { resident: true, keyBits: 24 });
      const keys = (await sorted.keys.read()) as Uint32Array;
      mapped.release();
      sorted.keys.release();
      expectExact(keys, Uint32Array.from(x, (v) => v * 7 + 3).sort(), 'sort(map(x))');
      if (ctx.traffic.uploads - before.uploads !== 1) fail(`${ctx.traffic.uploads - before.uploads} uploads, expected 1`);
      if (ctx.traffic.reads - before.reads !== 1) fail(`${ctx.traffic.reads - before.reads} read-backs, expected 1`);
      const prefix = await scan(ctx, GpuArray.from(ctx, x), { resident: true, strategy: 'single-pass' });
      expectExact(await prefix.read(), runningU32(x, false), 'a resident scan');
      prefix.release();
      const released = GpuArray.from(ctx, x);
      released.release();
      let refused = false;
      await released.read().catch(() => (refused = true));
      if (!refused) fail('reading a released GpuArray should fail');
    },
  },
];

function fail(message: string): never {
  throw new Error(message);
}
