/**
 * `npm run bench:gpu -- [--json] [--max-size N] [--elements N] [--sort-elements N] [--peak-gflops G]`
 *
 * wrt's GPU kernels (gpu/) beside the same operations in wasm on one CPU core
 * (kernels/numeric.ts), in one run: matmul GFLOP/s for square sizes 256 … 4096 (2·n³ flops),
 * and GB/s for reduce (f32 sum), scan (u32 inclusive sum) and radix sort (u32 keys), counting the
 * input bytes once. GPU times are end to end — host arrays in, host arrays out, as a task sees
 * them — the median of several runs after a warm-up. Software adapters (SwiftShader) get smaller
 * default sizes. With --peak-gflops (the device's f32 peak) matmul is also given as % of peak.
 * Not a test: the machine is shared and timings drift; compare within one run.
 */
import { readFileSync } from 'node:fs';
import process from 'node:process';
import { requestGpu, matmul, reduce, scan, radixSort, describeAdapter, type GpuContext } from '../gpu/node.js';
import { xorshift32 } from '../samples/gpu/xorshift.js';

const args = process.argv.slice(2);
const json = args.includes('--json');
const num = (name: string): number | undefined => {
  const at = args.indexOf(name);
  if (at < 0) return undefined;
  const v = Number(args[at + 1]);
  if (!(v > 0)) {
    console.error(`${name} needs a positive number`);
    process.exit(2);
  }
  return v;
};

interface Cpu {
  memory: WebAssembly.Memory;
  alloc(bytes: number): number;
  free(ptr: number): void;
  matmul_f32(a: number, b: number, c: number, m: number, n: number, k: number): void;
  reduce_sum_f32(p: number, n: number): number;
  scan_sum_u32(src: number, dst: number, n: number): void;
  radix_sort_u32(keys: number, tmp: number, n: number): void;
}

function loadCpu(): Cpu {
  const bytes = readFileSync(new URL('../../kernels/build/numeric.wasm', import.meta.url));
  return new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports as unknown as Cpu;
}

/** Median seconds of `runs` calls after one warm-up; fewer runs when one call is slow. */
async function seconds(fn: () => unknown, runs = 5): Promise<number> {
  const first = performance.now();
  await fn();
  const warm = (performance.now() - first) / 1000;
  const n = warm > 2 ? 1 : warm > 0.5 ? 3 : runs;
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn();
    times.push((performance.now() - t) / 1000);
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
}

/** Copies `data` into the CPU module's memory; returns its offset. */
function place(cpu: Cpu, data: ArrayBufferView): number {
  const p = cpu.alloc(data.byteLength);
  new Uint8Array(cpu.memory.buffer, p, data.byteLength).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  return p;
}

/** Three significant digits. */
const fmt = (v: number): string => (v === 0 ? '0' : v.toPrecision(3));

interface Row {
  metric: string;
  unit: string;
  gpu: number;
  cpu: number | null;
}

async function run(ctx: GpuContext): Promise<Row[]> {
  const cpu = loadCpu();
  const soft = ctx.adapter.software;
  const maxSize = num('--max-size') ?? (soft ? 1024 : 4096);
  const cpuMaxSize = soft ? 1024 : 2048;
  const elements = num('--elements') ?? (soft ? 1 << 22 : 1 << 24);
  const sortElements = num('--sort-elements') ?? (soft ? 1 << 20 : 1 << 22);
  const rows: Row[] = [];
  const log = (r: Row): void => {
    rows.push(r);
    if (!json) process.stderr.write(`  ${r.metric}: GPU ${fmt(r.gpu)} ${r.unit}, CPU ${r.cpu === null ? '—' : fmt(r.cpu)}\n`);
  };

  for (let size = 256; size <= maxSize; size *= 2) {
    const a = Float32Array.from(xorshift32(size * size, 1), (x) => x / 2 ** 32 - 0.5);
    const b = Float32Array.from(xorshift32(size * size, 2), (x) => x / 2 ** 32 - 0.5);
    const flops = 2 * size ** 3;
    const out = new Float32Array(size * size);
    const g = await seconds(() => matmul(ctx, a, b, { m: size, n: size, k: size, into: out }));
    let c: number | null = null;
    if (size <= cpuMaxSize) {
      const pa = place(cpu, a);
      const pb = place(cpu, b);
      const pc = cpu.alloc(size * size * 4);
      c = flops / (await seconds(() => cpu.matmul_f32(pa, pb, pc, size, size, size), 3)) / 1e9;
      for (const p of [pa, pb, pc]) cpu.free(p);
    }
    log({ metric: `matmul_${size}`, unit: 'GFLOP/s', gpu: flops / g / 1e9, cpu: c });
  }

  const f = Float32Array.from(xorshift32(elements, 3), (x) => x / 2 ** 32);
  const pf = place(cpu, f);
  const gb = (bytes: number, s: number) => bytes / s / 1e9;
  log({
    metric: `reduce_sum_f32_${elements}`,
    unit: 'GB/s',
    gpu: gb(f.byteLength, await seconds(() => reduce(ctx, f))),
    cpu: gb(f.byteLength, await seconds(() => cpu.reduce_sum_f32(pf, elements))),
  });
  cpu.free(pf);

  const u = xorshift32(elements, 4);
  const pu = place(cpu, u);
  const pd = cpu.alloc(u.byteLength);
  const scanned = new Uint32Array(elements);
  log({
    metric: `scan_sum_u32_${elements}`,
    unit: 'GB/s',
    gpu: gb(u.byteLength, await seconds(() => scan(ctx, u, { into: scanned }))),
    cpu: gb(u.byteLength, await seconds(() => cpu.scan_sum_u32(pu, pd, elements))),
  });
  cpu.free(pu);
  cpu.free(pd);

  const keys = xorshift32(sortElements, 5);
  const sorted = new Uint32Array(sortElements);
  const gpuSort = await seconds(() => radixSort(ctx, keys, undefined, { into: sorted }), 3);
  const pk = cpu.alloc(keys.byteLength);
  const pt = cpu.alloc(keys.byteLength);
  const cpuSort = await seconds(() => {
    new Uint32Array(cpu.memory.buffer, pk, sortElements).set(keys);
    cpu.radix_sort_u32(pk, pt, sortElements);
  }, 3);
  log({ metric: `sort_u32_${sortElements}`, unit: 'GB/s', gpu: gb(keys.byteLength, gpuSort), cpu: gb(keys.byteLength, cpuSort) });
  log({ metric: `sort_u32_${sortElements}_keys`, unit: 'Gkeys/s', gpu: sortElements / gpuSort / 1e9, cpu: sortElements / cpuSort / 1e9 });
  return rows;
}

const ctx = await requestGpu();
const device = describeAdapter(ctx.adapter);
if (!json) process.stderr.write(`bench:gpu on ${device}\n`);
try {
  const rows = await run(ctx);
  const peak = num('--peak-gflops');
  if (json) {
    const out: Record<string, unknown> = { device };
    for (const r of rows) out[r.metric] = { gpu: r.gpu, cpu: r.cpu, unit: r.unit };
    console.log(JSON.stringify(out));
  } else {
    console.log(`| metric | unit | GPU | wasm CPU (1 core) | GPU / CPU |${peak ? ' % of peak |' : ''}`);
    console.log(`|---|---|---|---|---|${peak ? '---|' : ''}`);
    for (const r of rows) {
      const ratio = r.cpu ? fmt(r.gpu / r.cpu) : '—';
      const pct = peak && r.unit === 'GFLOP/s' ? ` ${((100 * r.gpu) / peak).toFixed(1)}% |` : peak ? ' |' : '';
      console.log(`| ${r.metric} | ${r.unit} | ${fmt(r.gpu)} | ${r.cpu === null ? '—' : fmt(r.cpu)} | ${ratio} |${pct}`);
    }
  }
} finally {
  ctx.destroy();
}
