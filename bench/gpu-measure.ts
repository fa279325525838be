/**
 * The measurements of bench:gpu, platform-neutral: bench/gpu.ts runs them in Node and, with
 * `--browser`, bench/gpu-page.ts runs the same in a Chromium page. See bench/gpu.ts for what each
 * timing means.
 */
import { GpuArray, guaranteesForwardProgress, matmul, radixSort, reduce, scan, type GpuContext } from '../gpu/index.js';
import { xorshift32 } from '../samples/gpu/xorshift.js';
import type { GpuRow, Timing } from './gpu-report.js';

/** The wasm CPU kernels' exports (kernels/numeric.ts). */
export interface Cpu {
  memory: WebAssembly.Memory;
  alloc(bytes: number): number;
  free(ptr: number): void;
  matmul_f32(a: number, b: number, c: number, m: number, n: number, k: number): void;
  reduce_sum_f32(p: number, n: number): number;
  scan_sum_u32(src: number, dst: number, n: number): void;
  radix_sort_u32(keys: number, tmp: number, n: number): void;
}

/** The CPU baseline: kernels/numeric.ts compiled to wasm (`bytes`), one instance on this thread (async: pages may not compile large modules synchronously). */
export async function instantiateCpu(bytes: BufferSource): Promise<Cpu> {
  const { instance } = await WebAssembly.instantiate(bytes);
  return instance.exports as unknown as Cpu;
}

const median = (xs: number[]): number => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Median seconds of `fn` after one warm-up; fewer runs when one call is slow. */
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
  return median(times);
}

/** Median GPU seconds of `fn`'s compute passes (null without timestamp queries). */
async function kernelSeconds(ctx: GpuContext, fn: () => Promise<unknown>, runs = 5): Promise<number | null> {
  await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    if (!ctx.startTiming()) return null;
    await fn();
    const ns = await ctx.stopTiming();
    if (ns === null) return null;
    times.push(ns / 1e9);
  }
  return median(times);
}

/** Copies `data` into the CPU module's memory; returns its offset. */
function place(cpu: Cpu, data: ArrayBufferView): number {
  const p = cpu.alloc(data.byteLength);
  new Uint8Array(cpu.memory.buffer, p, data.byteLength).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  return p;
}

/** The three GPU timings of one kernel, as rates: `work` units (flops, bytes or keys) per second. */
async function timeKernel(
  ctx: GpuContext,
  work: number,
  resident: () => Promise<unknown>,
  endToEnd: () => Promise<unknown>,
  runs = 5,
): Promise<Timing> {
  const k = await kernelSeconds(ctx, resident, runs);
  return {
    kernelOnly: k === null ? null : work / k,
    resident: work / (await seconds(resident, runs)),
    endToEnd: work / (await seconds(endToEnd, runs)),
  };
}

/** Sizes of one run; unset ones get defaults by adapter (smaller on software adapters). */
export interface GpuBenchSizes {
  /** Largest square matmul (256, 512, … up to it). @default 4096, 512 on software */
  maxSize?: number;
  /** Elements of reduce, scan and the copies. @default 2^26, 2^22 on software */
  elements?: number;
  /** Keys of the sort. @default 2^26, 2^20 on software */
  sortElements?: number;
}

/**
 * Every measurement of bench:gpu on `ctx` (and the `writeBuffer` upload on `writeBufferCtx`),
 * beside `cpu`; `log` hears each row as it is made. Runs the same in Node and in a page.
 */
export async function measureGpu(
  ctx: GpuContext,
  writeBufferCtx: GpuContext | null,
  cpu: Cpu,
  sizes: GpuBenchSizes,
  log: (row: GpuRow) => void,
): Promise<GpuRow[]> {
  const soft = ctx.adapter.software;
  const maxSize = sizes.maxSize ?? (soft ? 512 : 4096);
  const cpuMaxSize = soft ? 512 : 2048;
  const elements = sizes.elements ?? (soft ? 1 << 22 : 1 << 26);
  const sortElements = sizes.sortElements ?? (soft ? 1 << 20 : 1 << 26);
  const rows: GpuRow[] = [];
  const record = (r: GpuRow): void => {
    rows.push(r);
    log(r);
  };
  const G = 1e9;

  for (let size = 256; size <= maxSize; size *= 2) {
    const a = Float32Array.from(xorshift32(size * size, 1), (x) => x / 2 ** 32 - 0.5);
    const b = Float32Array.from(xorshift32(size * size, 2), (x) => x / 2 ** 32 - 0.5);
    const shape = { m: size, n: size, k: size };
    const flops = 2 * size ** 3;
    const [da, db] = [GpuArray.from(ctx, a), GpuArray.from(ctx, b)];
    const out = new Float32Array(size * size);
    const t = await timeKernel(
      ctx,
      flops / G,
      async () => (await matmul(ctx, da, db, { ...shape, resident: true })).release(),
      () => matmul(ctx, a, b, { ...shape, into: out }),
      size >= 2048 ? 3 : 5,
    );
    da.release();
    db.release();
    let c: number | null = null;
    if (size <= cpuMaxSize) {
      const pa = place(cpu, a);
      const pb = place(cpu, b);
      const pc = cpu.alloc(size * size * 4);
      c = flops / G / (await seconds(() => cpu.matmul_f32(pa, pb, pc, size, size, size), 3));
      for (const p of [pa, pb, pc]) cpu.free(p);
    }
    record({ metric: `matmul_f32_${size}`, unit: 'GFLOP/s', peak: 'flops', ...t, cpu: c });
  }

  const f = Float32Array.from(xorshift32(elements, 3), (x) => x / 2 ** 32);
  const df = GpuArray.from(ctx, f);
  const pf = place(cpu, f);
  record({
    metric: `reduce_sum_f32_${elements}`,
    unit: 'GB/s',
    peak: 'bandwidth',
    ...(await timeKernel(
      ctx,
      f.byteLength / G,
      () => reduce(ctx, df),
      () => reduce(ctx, f),
    )),
    cpu: f.byteLength / G / (await seconds(() => cpu.reduce_sum_f32(pf, elements))),
  });
  cpu.free(pf);
  df.release();

  const u = xorshift32(elements, 4);
  const du = GpuArray.from(ctx, u);
  const pu = place(cpu, u);
  const pd = cpu.alloc(u.byteLength);
  const scanned = new Uint32Array(elements);
  record({
    metric: `scan_sum_u32_${elements}`,
    unit: 'GB/s',
    peak: 'bandwidth',
    ...(await timeKernel(
      ctx,
      (2 * u.byteLength) / G,
      async () => (await scan(ctx, du, { resident: true })).release(),
      () => scan(ctx, u, { into: scanned }),
    )),
    cpu: (2 * u.byteLength) / G / (await seconds(() => cpu.scan_sum_u32(pu, pd, elements))),
  });
  // The strategy `auto` did not pick, for comparison on this device.
  const otherScan = guaranteesForwardProgress(ctx.adapter) ? 'multi-pass' : 'single-pass';
  record({
    metric: `scan_sum_u32_${elements}_${otherScan.replace('-', '_')}`,
    unit: 'GB/s',
    peak: 'bandwidth',
    ...(await timeKernel(
      ctx,
      (2 * u.byteLength) / G,
      async () => (await scan(ctx, du, { resident: true, strategy: otherScan })).release(),
      () => scan(ctx, u, { into: scanned, strategy: otherScan }),
    )),
    cpu: null,
  });
  cpu.free(pu);
  cpu.free(pd);

  // Host ↔ device copies of the same 4·elements bytes.
  const h2d = async (c: GpuContext) => {
    const s = await seconds(async () => {
      GpuArray.from(c, u).release();
      await c.device.queue.onSubmittedWorkDone();
    });
    return u.byteLength / G / s;
  };
  const staged = await h2d(ctx);
  record({
    metric: `host_to_device_staging_${u.byteLength}B`,
    unit: 'GB/s',
    peak: null,
    kernelOnly: null,
    resident: null,
    endToEnd: staged,
    cpu: null,
  });
  if (writeBufferCtx) {
    const wb = await h2d(writeBufferCtx);
    record({
      metric: `host_to_device_writeBuffer_${u.byteLength}B`,
      unit: 'GB/s',
      peak: null,
      kernelOnly: null,
      resident: null,
      endToEnd: wb,
      cpu: null,
    });
  }
  const d2h = u.byteLength / G / (await seconds(() => du.read(scanned)));
  record({
    metric: `device_to_host_${u.byteLength}B`,
    unit: 'GB/s',
    peak: null,
    kernelOnly: null,
    resident: null,
    endToEnd: d2h,
    cpu: null,
  });
  du.release();

  const keys = xorshift32(sortElements, 5);
  const dk = GpuArray.from(ctx, keys);
  const sorted = new Uint32Array(sortElements);
  const sortResident = async () => (await radixSort(ctx, dk, undefined, { resident: true })).keys.release();
  const sortHost = () => radixSort(ctx, keys, undefined, { into: sorted });
  const pk = cpu.alloc(keys.byteLength);
  const pt = cpu.alloc(keys.byteLength);
  const cpuSort = await seconds(() => {
    new Uint32Array(cpu.memory.buffer, pk, sortElements).set(keys);
    cpu.radix_sort_u32(pk, pt, sortElements);
  }, 3);
  const t = await timeKernel(ctx, sortElements / G, sortResident, sortHost, 3);
  record({ metric: `sort_u32_${sortElements}_keys`, unit: 'Gkeys/s', peak: null, ...t, cpu: sortElements / G / cpuSort });
  const otherSort = guaranteesForwardProgress(ctx.adapter) ? 'classic' : 'onesweep';
  record({
    metric: `sort_u32_${sortElements}_keys_${otherSort}`,
    unit: 'Gkeys/s',
    peak: null,
    ...(await timeKernel(
      ctx,
      sortElements / G,
      async () => (await radixSort(ctx, dk, undefined, { resident: true, strategy: otherSort })).keys.release(),
      () => radixSort(ctx, keys, undefined, { into: sorted, strategy: otherSort }),
      3,
    )),
    cpu: null,
  });
  const bytes = (r: number | null) => (r === null ? null : r * 8);
  record({
    metric: `sort_u32_${sortElements}`,
    unit: 'GB/s',
    peak: 'bandwidth',
    kernelOnly: bytes(t.kernelOnly),
    resident: bytes(t.resident),
    endToEnd: bytes(t.endToEnd),
    cpu: (sortElements * 8) / G / cpuSort,
  });
  dk.release();
  return rows;
}
