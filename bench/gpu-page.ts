// Bundled by scripts/build-browser.mjs as dist/browser/gpu-bench.js: the measurements of
// bench:gpu (bench/gpu-measure.ts) in a page, on navigator.gpu, for `bench:gpu --browser`.
import { requestGpu } from '../gpu/browser.js';
import { GpuContext, describeAdapter } from '../gpu/index.js';
import { instantiateCpu, measureGpu, type GpuBenchSizes } from './gpu-measure.js';
import type { GpuRow } from './gpu-report.js';

async function runGpuBench(sizes: GpuBenchSizes): Promise<{ device: string; rows: GpuRow[] }> {
  const ctx = await requestGpu();
  const writeBufferCtx = await GpuContext.create(navigator.gpu, { upload: 'write-buffer' }).catch(() => null);
  try {
    const cpu = await instantiateCpu(await (await fetch('/numeric.wasm')).arrayBuffer());
    const rows = await measureGpu(ctx, writeBufferCtx, cpu, sizes, (r) => console.log(`${r.metric}: ${JSON.stringify(r)}`));
    return { device: describeAdapter(ctx.adapter), rows };
  } finally {
    ctx.destroy();
    writeBufferCtx?.destroy();
  }
}

(globalThis as { runGpuBench?: typeof runGpuBench }).runGpuBench = runGpuBench;
