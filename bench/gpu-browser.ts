/**
 * `bench:gpu --browser`: serves dist/browser/gpu-bench.js (bench/gpu-page.ts) and the CPU
 * baseline's wasm on loopback, opens it in headless Chromium with WebGPU (and its developer
 * features, so timestamps are not quantized) and runs the same measurements there.
 */
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { launchChromium } from '../tests/helpers/chromium.js';
import type { GpuBenchSizes } from './gpu-measure.js';
import type { GpuRow } from './gpu-report.js';

const BUNDLE = new URL('../browser/gpu-bench.js', import.meta.url);
const CPU_WASM = new URL('../../kernels/build/numeric.wasm', import.meta.url);

/** The page's rows and adapter; `say` hears the page's progress lines. */
export async function runInBrowser(sizes: GpuBenchSizes, say: (line: string) => void): Promise<{ device: string; rows: GpuRow[] }> {
  const server = createServer((req, res) => {
    if (req.url === '/gpu-bench.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      res.end(readFileSync(BUNDLE));
    } else if (req.url === '/numeric.wasm') {
      res.writeHead(200, { 'content-type': 'application/wasm' });
      res.end(readFileSync(CPU_WASM));
    } else {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!doctype html><script type="module" src="/gpu-bench.js"></script>');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const chromium = await launchChromium({ webgpu: true, args: ['--enable-webgpu-developer-features'] });
  try {
    const page = await chromium.browser.newPage();
    page.on('console', (m) => say(`  (browser) ${m.text()}`));
    // localhost is a secure context, which navigator.gpu requires.
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    await page.waitForFunction(() => 'runGpuBench' in globalThis, undefined, { timeout: 30_000 });
    const result = await page.evaluate(
      (s) => (globalThis as unknown as { runGpuBench: (s: GpuBenchSizes) => Promise<{ device: string; rows: GpuRow[] }> }).runGpuBench(s),
      sizes,
    );
    say(`bench:gpu in Chromium on ${result.device}`);
    return result;
  } finally {
    await chromium.close();
    server.close();
  }
}
