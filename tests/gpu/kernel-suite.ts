/**
 * The GPU kernel conformance suite: every kernel against a plain TypeScript reference on seeded
 * random inputs of several sizes (empty, smaller than a workgroup, not a multiple of it, several
 * blocks). Results are compared exactly where WGSL requires exact results and within the spec's
 * bounds elsewhere (accuracy.ts says which and cites them). Platform-neutral: tests/unit/gpu runs it in Node (Dawn) and tests/browser runs the same
 * cases in headless Chromium (navigator.gpu).
 */
import { compute, histogram, map, matmul, radixSort, reduce, scan, type NumericArray } from '../../gpu/index.js';
import { WrtError } from '../../runtime/errors.js';
import { rng, type KernelCase } from './kernel-case.js';
import { pathCases } from './kernel-paths.js';
import { expectExact, expectSqrt, expectSums, expectWithin, gamma } from './accuracy.js';

export { rng, type KernelCase } from './kernel-case.js';

/** Sizes that straddle the workgroup (256), the scan block (1024) and several blocks. */
export const SIZES = [0, 1, 7, 255, 256, 257, 1023, 1025, 4099, 70_001];

function fail(message: string): never {
  throw new Error(message);
}

async function expectCode(p: Promise<unknown>, code: string, what: string): Promise<WrtError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof WrtError && err.code === code) return err;
    fail(`${what}: expected ${code}, got ${(err as Error)?.message}`);
  }
  fail(`${what}: expected ${code}, but it succeeded`);
}

const randomF32 = (n: number, r: () => number, lo = 0, hi = 1) => Float32Array.from({ length: n }, () => lo + (hi - lo) * r());
const randomU32 = (n: number, r: () => number, bound = 2 ** 32) => Uint32Array.from({ length: n }, () => Math.floor(r() * bound));
const randomI32 = (n: number, r: () => number) => Int32Array.from({ length: n }, () => Math.floor(r() * 2 ** 32) | 0);

function referenceScan(x: NumericArray, combine: (a: number, b: number) => number, identity: number, exclusive: boolean): number[] {
  const out: number[] = [];
  let run = identity;
  for (const v of x) {
    if (exclusive) out.push(run);
    run = combine(run, v);
    if (!exclusive) out.push(run);
  }
  return out;
}

const u32Add = (a: number, b: number) => (a + b) >>> 0;
const i32Add = (a: number, b: number) => (a + b) | 0;

const kernelOwnCases: KernelCase[] = [
  {
    name: 'map: f32, u32 and i32 expressions, typed outputs, a preamble, arena views',
    async run(ctx) {
      for (const n of SIZES) {
        const r = rng(n + 1);
        const f = randomF32(n, r, -100, 100);
        expectExact(
          await map(ctx, f, 'x * 2.0 + 1.0'),
          f.map((x) => Math.fround(x * 2 + 1)),
          `f32 map n=${n}`,
        );
        const u = randomU32(n, r);
        expectExact(
          await map(ctx, u, 'x * 3u + i'),
          Uint32Array.from(u, (x, i) => (Math.imul(x, 3) + i) >>> 0),
          `u32 map n=${n}`,
        );
        const s = randomI32(n, r);
        expectExact(
          await map(ctx, s, 'x / 3'),
          Int32Array.from(s, (x) => Math.trunc(x / 3)),
          `i32 map n=${n}`,
        );
        const asFloat = await map(
          ctx,
          Uint32Array.from(u, (x) => x & 0xffff),
          'f32(x) * 0.5',
          { output: 'f32' },
        );
        expectExact(
          asFloat,
          Float32Array.from(u, (x) => (x & 0xffff) * 0.5),
          `u32→f32 map n=${n}`,
        );
      }
      const x = randomF32(1000, rng(9));
      const withHelper = await map(ctx, x, 'clamp01(x * 4.0 - 1.0)', {
        preamble: 'fn clamp01(v: f32) -> f32 { return clamp(v, 0.0, 1.0); }',
      });
      expectExact(
        withHelper,
        x.map((v) => Math.min(1, Math.max(0, Math.fround(v * 4 - 1)))),
        'map with a preamble',
      );
      // Input and output in shared memory, as object-store objects are.
      const arena = new WebAssembly.Memory({ initial: 1, maximum: 4, shared: true });
      const input = new Float32Array(arena.buffer, 64, 3000);
      input.set(randomF32(3000, rng(3)));
      const output = new Float32Array(arena.buffer, 64 + 3000 * 4, 3000);
      await map(ctx, input, 'sqrt(x)', { into: output });
      expectSqrt(output, input, 'map between shared-memory views');
    },
  },
  {
    name: 'map: a WGSL expression that does not compile fails with WRT_GPU_ERROR',
    async run(ctx) {
      const err = await expectCode(map(ctx, new Float32Array(4), 'x +* 2.0'), 'WRT_GPU_ERROR', 'bad expression');
      if (!/did not compile/.test(err.message)) fail(`message should say the WGSL did not compile: ${err.message}`);
      await expectCode(map(ctx, new Float32Array(4), ''), 'WRT_INVALID_ARGUMENT', 'empty expression');
    },
  },
  {
    name: 'reduce: sum, min, max of f32, u32 and i32 (integer sums wrap)',
    async run(ctx) {
      for (const n of SIZES) {
        const r = rng(100 + n);
        const f = randomF32(n, r, -1, 1);
        const exact = f.reduce((s, v) => s + v, 0);
        const magnitude = f.reduce((s, v) => s + Math.abs(v), 0);
        const bound = gamma(Math.max(0, n - 1)) * magnitude;
        expectWithin([await reduce(ctx, f, 'sum')], [exact], () => bound, `f32 sum n=${n}`, 'Higham § 4.2: γ(n−1)·Σ|x|');
        expectExact([await reduce(ctx, f, 'min')], [n ? Math.min(...f) : Infinity], `f32 min n=${n}`);
        expectExact([await reduce(ctx, f, 'max')], [n ? Math.max(...f) : -Infinity], `f32 max n=${n}`);
        const u = randomU32(n, r);
        expectExact([await reduce(ctx, u, 'sum')], [u.reduce(u32Add, 0)], `u32 sum n=${n}`);
        expectExact([await reduce(ctx, u, 'min')], [n ? Math.min(...u) : 0xffffffff], `u32 min n=${n}`);
        const s = randomI32(n, r);
        expectExact([await reduce(ctx, s, 'sum')], [s.reduce(i32Add, 0)], `i32 sum n=${n}`);
        expectExact([await reduce(ctx, s, 'max')], [n ? Math.max(...s) : -(2 ** 31)], `i32 max n=${n}`);
      }
    },
  },
  {
    name: 'scan: inclusive and exclusive sums, min and max',
    async run(ctx) {
      for (const n of SIZES) {
        const r = rng(200 + n);
        const u = randomU32(n, r);
        for (const exclusive of [false, true]) {
          expectExact(
            await scan(ctx, u, { exclusive }),
            referenceScan(u, u32Add, 0, exclusive),
            `u32 sum scan n=${n} exclusive=${exclusive}`,
          );
        }
        const f = randomF32(n, r);
        expectSums(await scan(ctx, f), f, false, `f32 sum scan n=${n}`);
        expectSums(await scan(ctx, f, { exclusive: true }), f, true, `f32 exclusive sum scan n=${n}`);
        expectExact(await scan(ctx, f, { op: 'max' }), referenceScan(f, Math.max, -Infinity, false), `f32 max scan n=${n}`);
        expectExact(
          await scan(ctx, f, { op: 'min', exclusive: true }),
          referenceScan(f, Math.min, Infinity, true),
          `f32 exclusive min scan n=${n}`,
        );
        const s = randomI32(n, r);
        expectExact(await scan(ctx, s, { exclusive: true }), referenceScan(s, i32Add, 0, true), `i32 exclusive sum scan n=${n}`);
      }
      // More than 1024 blocks: the block sums themselves need a multi-block scan.
      const big = randomU32(1_100_000, rng(5), 1000);
      expectExact(await scan(ctx, big), referenceScan(big, u32Add, 0, false), 'u32 scan of 1.1M elements');
    },
  },
  {
    name: 'radixSort: u32 keys, stable with values, fewer key bits',
    async run(ctx) {
      for (const n of SIZES) {
        const r = rng(300 + n);
        const keys = randomU32(n, r);
        const sorted = await radixSort(ctx, keys);
        expectExact(sorted.keys, Uint32Array.from(keys).sort(), `sort n=${n}`);
        const dup = randomU32(n, r, 97);
        const index = Uint32Array.from({ length: n }, (_, i) => i);
        const pairs = await radixSort(ctx, dup, index);
        const order = [...index].sort((a, b) => dup[a]! - dup[b]! || a - b);
        expectExact(
          pairs.keys,
          order.map((i) => dup[i]!),
          `keys of a stable sort n=${n}`,
        );
        expectExact(pairs.values!, order, `values of a stable sort n=${n}`);
        const short = randomU32(n, r, 65536);
        expectExact((await radixSort(ctx, short, undefined, { keyBits: 16 })).keys, Uint32Array.from(short).sort(), `16-bit sort n=${n}`);
      }
      await expectCode(radixSort(ctx, new Uint32Array(3), new Uint32Array(2)), 'WRT_INVALID_ARGUMENT', 'mismatched values');
    },
  },
  {
    name: 'histogram: u32 and f32 values into equal-width bins, out-of-range and NaN not counted',
    async run(ctx) {
      for (const n of SIZES) {
        const r = rng(400 + n);
        const u = randomU32(n, r, 1000);
        for (const bins of [1, 7, 256, 1000]) {
          const ref = new Array<number>(bins).fill(0);
          const width = Math.ceil(800 / bins);
          for (const v of u) if (v >= 100 && v <= 899) ref[Math.floor((v - 100) / width)]!++;
          expectExact(await histogram(ctx, u, { bins, min: 100, max: 899 }), ref, `u32 histogram n=${n} bins=${bins}`);
        }
        const f = randomF32(n, r, -1.5, 1.5);
        if (n > 3) {
          f[0] = 1;
          f[1] = -1;
          f[2] = NaN;
        }
        for (const bins of [10, 1000]) {
          const scale = Math.fround(bins / 2);
          const ref = new Array<number>(bins).fill(0);
          for (const v of f) if (v >= -1 && v <= 1) ref[Math.min(Math.floor(Math.fround(Math.fround(v + 1) * scale)), bins - 1)]!++;
          expectExact(await histogram(ctx, f, { bins, min: -1, max: 1 }), ref, `f32 histogram n=${n} bins=${bins}`);
        }
      }
      await expectCode(histogram(ctx, new Uint32Array(4), { bins: 0, min: 0, max: 9 }), 'WRT_INVALID_ARGUMENT', 'zero bins');
    },
  },
  {
    name: 'matmul: f32, shapes that are and are not multiples of the 64×64 tile',
    async run(ctx) {
      for (const [m, n, k] of [
        [1, 1, 1],
        [3, 5, 7],
        [64, 64, 64],
        [65, 33, 130],
        [128, 70, 17],
        [200, 1, 300],
        [0, 4, 4],
        [4, 4, 0],
      ] as const) {
        const r = rng(m * 10007 + n * 101 + k);
        const a = randomF32(m * k, r, -1, 1);
        const b = randomF32(k * n, r, -1, 1);
        const ref = new Float64Array(m * n);
        const bound = new Float64Array(m * n);
        for (let i = 0; i < m; i++)
          for (let j = 0; j < n; j++)
            for (let p = 0; p < k; p++) {
              ref[i * n + j]! += a[i * k + p]! * b[p * n + j]!;
              bound[i * n + j]! += Math.abs(a[i * k + p]! * b[p * n + j]!);
            }
        const c = await matmul(ctx, a, b, { m, n, k });
        expectWithin(c, ref, (i) => gamma(k) * bound[i]!, `matmul ${m}×${k} · ${k}×${n}`, 'Higham § 3.5: γ(k)·|A||B|');
      }
      await expectCode(
        matmul(ctx, new Float32Array(5), new Float32Array(4), { m: 2, n: 2, k: 2 }),
        'WRT_INVALID_ARGUMENT',
        'mismatched shapes',
      );
      if (ctx.has('shader-f16')) {
        const a = randomF32(96 * 80, rng(7), -1, 1);
        const b = randomF32(80 * 50, rng(8), -1, 1);
        const c32 = await matmul(ctx, a, b, { m: 96, n: 50, k: 80 });
        const c16 = await matmul(ctx, a, b, { m: 96, n: 50, k: 80, precision: 'f16' });
        const magnitude = (i: number) => {
          let s = 0;
          for (let p = 0; p < 80; p++) s += Math.abs(a[Math.floor(i / 50) * 80 + p]! * b[p * 50 + (i % 50)]!);
          return s;
        };
        // binary16 (u = 2^-11) rounds a, b and their product: ≤ 3·2^-11 of |a·b| each, beside both sums' γ(80).
        expectWithin(c16, c32, (i) => (3 * 2 ** -11 + 2 * gamma(80)) * magnitude(i), 'f16 matmul against f32', 'binary16 rounding');
      } else {
        await expectCode(
          matmul(ctx, new Float32Array(4), new Float32Array(4), { m: 2, n: 2, k: 2, precision: 'f16' }),
          'WRT_GPU_UNSUPPORTED',
          'f16 without shader-f16',
        );
      }
    },
  },
  {
    name: 'compute: a caller-supplied WGSL kernel with inputs, output and uniforms',
    async run(ctx) {
      const source = /* wgsl */ `
        @group(0) @binding(0) var<storage, read> x: array<f32>;
        @group(0) @binding(1) var<storage, read> y: array<f32>;
        @group(0) @binding(2) var<storage, read_write> out: array<f32>;
        @group(0) @binding(3) var<uniform> p: vec4u;
        @compute @workgroup_size(64) fn main(@builtin(global_invocation_id) g: vec3u) {
          if (g.x < p.x) { out[g.x] = f32(p.y) * x[g.x] + y[g.x]; }
        }`;
      for (const n of [0, 1, 63, 64, 65, 5000]) {
        const r = rng(500 + n);
        const x = randomF32(n, r);
        const y = randomF32(n, r);
        const out = await compute(ctx, {
          source,
          inputs: [x, y],
          outputBytes: n * 4,
          workgroups: Math.ceil(n / 64),
          uniforms: [n, 3, 0, 0],
        });
        const got = new Float32Array(out.buffer, out.byteOffset, n);
        // Two operations the compiler may fuse: within γ(2)·(|3x| + |y|) of the exact value.
        expectWithin(
          got,
          Array.from(x, (v, i) => 3 * v + y[i]!),
          (i) => gamma(2) * (3 * Math.abs(x[i]!) + Math.abs(y[i]!)),
          `saxpy n=${n}`,
          'WGSL § 15.7.4.1: + and * correctly rounded, fusion allowed',
        );
      }
      await expectCode(
        compute(ctx, { source, inputs: [new Float32Array(4)], outputBytes: 16, workgroups: 1, uniforms: [4, 1, 0, 0] }),
        'WRT_GPU_ERROR',
        'too few inputs',
      );
    },
  },
  {
    name: 'buffer pool: repeated calls reuse buffers instead of growing',
    async run(ctx) {
      const x = randomF32(10_000, rng(1));
      await reduce(ctx, x);
      const held = ctx.pool.pooledBytes;
      for (let i = 0; i < 5; i++) await reduce(ctx, x);
      if (ctx.pool.pooledBytes !== held) fail(`pool grew from ${held} to ${ctx.pool.pooledBytes} bytes over identical calls`);
      if (ctx.pool.inUse !== 0) fail(`${ctx.pool.inUse} buffers were not released`);
    },
  },
];

/** Every case: the kernels' own, then the paths a device chooses between (kernel-paths.ts). */
export const kernelCases: KernelCase[] = [...kernelOwnCases, ...pathCases];
