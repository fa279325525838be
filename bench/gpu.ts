/**
 * `npm run bench:gpu -- [--json] [--browser] [--max-size N] [--elements N] [--sort-elements N]
 *   [--peak-gflops G] [--peak-gbs B]`
 *
 * wrt's GPU kernels (gpu/), each timed three ways in one run, beside the same operation in wasm
 * on one CPU core (kernels/numeric.ts):
 * - **kernel-only**: GPU time of the kernel's compute passes from timestamp queries (gpu/timing.ts;
 *   Dawn's timestamp quantization is off in Node), inputs and outputs already on the device;
 * - **resident**: wall clock of the same call, device arrays in and out (`GpuArray`, `resident`);
 * - **end to end**: wall clock with host arrays in and out, as a task sees them.
 * Each is the median of several runs after a warm-up. Rates: matmul GFLOP/s (2·n³ flops);
 * reduce, scan and sort GB/s of the memory traffic the operation needs at the least (reduce reads
 * n words; scan reads and writes n words; a sort reads and writes its keys once — what a perfect
 * one-pass kernel would move), and sort also in G keys/s. Host ↔ device copies are timed on their
 * own (staging buffers and `writeBuffer` uploads, read-backs). `--peak-gflops` (the device's f32
 * peak) and `--peak-gbs` (its memory bandwidth) add % of peak.
 *
 * `--browser` runs the same measurements a second time in a headless Chromium page
 * (`navigator.gpu`; bench/gpu-page.ts) and prints both: the table gains a browser column per timing,
 * the JSON a `browser` object beside `node`. Chromium's timestamps stay quantized (100 µs) unless it
 * runs with WebGPU developer features, which the bench turns on. Software adapters (SwiftShader)
 * get smaller default sizes. Not a test: the machine is shared and timings drift; compare within
 * one run.
 */
import { readFileSync } from 'node:fs';
import process from 'node:process';
import { nodeGpu } from '../runtime/platform/node/gpu.js';
import { GpuContext, describeAdapter } from '../gpu/node.js';
import { instantiateCpu, measureGpu, type GpuBenchSizes } from './gpu-measure.js';
import { formatTable, percentOfPeak, type GpuRow, type Peaks } from './gpu-report.js';

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
const sizes: GpuBenchSizes = { maxSize: num('--max-size'), elements: num('--elements'), sortElements: num('--sort-elements') };
const peaks: Peaks = { flops: num('--peak-gflops') ?? null, bandwidth: num('--peak-gbs') ?? null };

const found = await nodeGpu();
if (!found.gpu) {
  console.error(`bench:gpu needs a WebGPU adapter: ${found.reason}`);
  process.exit(2);
}
const ctx = await GpuContext.create(found.gpu);
const writeBufferCtx = await GpuContext.create(found.gpu, { upload: 'write-buffer' }).catch(() => null);
const device = describeAdapter(ctx.adapter);
const features = ctx.adapter.features;
const say = (line: string) => {
  if (!json) process.stderr.write(`${line}\n`);
};
say(`bench:gpu in Node on ${device}; features: ${ctx.adapter.features.join(', ') || 'none'}`);
let node: GpuRow[];
try {
  const cpu = await instantiateCpu(readFileSync(new URL('../../kernels/build/numeric.wasm', import.meta.url)));
  node = await measureGpu(ctx, writeBufferCtx, cpu, sizes, (r) => say(`  ${r.metric}: ${JSON.stringify(r)}`));
} finally {
  ctx.destroy();
  writeBufferCtx?.destroy();
}
// Loaded only when asked for: it brings in playwright-core, which the GPU machine's bundle never runs.
const browser = args.includes('--browser') ? await (await import('./gpu-browser.js')).runInBrowser(sizes, say) : null;

if (json) {
  const describe = (rows: GpuRow[]) =>
    Object.fromEntries(
      rows.map((r) => [
        r.metric,
        {
          unit: r.unit,
          kernelOnly: r.kernelOnly,
          resident: r.resident,
          endToEnd: r.endToEnd,
          cpu: r.cpu,
          percentOfPeak: percentOfPeak(r, peaks),
        },
      ]),
    );
  const out: Record<string, unknown> = { device, features, peaks, node: describe(node) };
  if (browser) out.browser = { device: browser.device, kernels: describe(browser.rows) };
  console.log(JSON.stringify(out));
} else console.log(formatTable(node, peaks, browser?.rows));
