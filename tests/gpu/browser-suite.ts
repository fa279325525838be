// Bundled by scripts/build-browser.mjs as dist/browser/gpu-suite.js: runs the kernel suite in a
// page on navigator.gpu and reports each case's outcome to the test driving the browser.
import { requestGpu } from '../../gpu/browser.js';
import { kernelCases } from './kernel-suite.js';

export interface CaseOutcome {
  name: string;
  ok: boolean;
  message: string;
  ms: number;
}

async function runGpuSuite(): Promise<{ adapter: unknown; outcomes: CaseOutcome[] }> {
  const ctx = await requestGpu();
  const outcomes: CaseOutcome[] = [];
  try {
    for (const c of kernelCases) {
      const started = performance.now();
      try {
        await c.run(ctx);
        outcomes.push({ name: c.name, ok: true, message: '', ms: performance.now() - started });
      } catch (err) {
        outcomes.push({ name: c.name, ok: false, message: (err as Error).message, ms: performance.now() - started });
      }
    }
    return { adapter: ctx.adapter, outcomes };
  } finally {
    ctx.destroy();
  }
}

(globalThis as { runGpuSuite?: typeof runGpuSuite }).runGpuSuite = runGpuSuite;
