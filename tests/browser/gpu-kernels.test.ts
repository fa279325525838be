// The GPU kernel suite of tests/gpu/kernel-suite.ts, run in headless Chromium on navigator.gpu
// (SwiftShader on CPU-only machines): the same cases and references as the Node run.
import test from 'ava';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { launchChromium } from '../helpers/chromium.js';
import { kernelCases } from '../gpu/kernel-suite.js';
import type { CaseOutcome } from '../gpu/browser-suite.js';

const bundle = new URL('../../browser/gpu-suite.js', import.meta.url);

// Titles are prefixed: the same case names also run in Node (tests/unit/gpu/kernels.test.ts).
const SUITE = 'GPU kernels in headless Chromium (navigator.gpu)';
let server: Server;
let close: (() => Promise<void>) | null = null;
let result: { adapter: { architecture: string }; outcomes: CaseOutcome[] };

test.before(async () => {
  // localhost is a secure context, which navigator.gpu requires.
  server = createServer((req, res) => {
    if (req.url === '/gpu-suite.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      res.end(readFileSync(bundle));
    } else {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!doctype html><script type="module" src="/gpu-suite.js"></script>');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const chromium = await launchChromium({ webgpu: true });
  close = chromium.close;
  const page = await chromium.browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
  await page.waitForFunction(() => 'runGpuSuite' in globalThis, undefined, { timeout: 30_000 });
  result = await page.evaluate(() => (globalThis as unknown as { runGpuSuite: () => Promise<never> }).runGpuSuite());
  assert.deepEqual(errors, []);
});

test.after.always(async () => {
  await close?.();
  server?.close();
});

test.serial(`${SUITE}: the page has a WebGPU adapter`, () => {
  assert.ok(result.adapter.architecture !== undefined);
});

for (const [i, c] of kernelCases.entries()) {
  test.serial(`${SUITE}: ${c.name}`, () => {
    const outcome = result.outcomes[i]!;
    assert.equal(outcome.name, c.name);
    assert.ok(outcome.ok, outcome.message);
  });
}
