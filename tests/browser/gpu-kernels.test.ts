// The GPU kernel suite of tests/gpu/kernel-suite.ts, run in headless Chromium on navigator.gpu
// (SwiftShader on CPU-only machines): the same cases and references as the Node run.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { launchChromium } from '../helpers/chromium.js';
import { kernelCases } from '../gpu/kernel-suite.js';
import type { CaseOutcome } from '../gpu/browser-suite.js';

const bundle = new URL('../../browser/gpu-suite.js', import.meta.url);

describe('GPU kernels in headless Chromium (navigator.gpu)', () => {
  let server: Server;
  let close: (() => Promise<void>) | null = null;
  let result: { adapter: { architecture: string }; outcomes: CaseOutcome[] };

  before(async () => {
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

  after(async () => {
    await close?.();
    server?.close();
  });

  test('the page has a WebGPU adapter', () => {
    assert.ok(result.adapter.architecture !== undefined);
  });

  for (const [i, c] of kernelCases.entries()) {
    test(c.name, () => {
      const outcome = result.outcomes[i]!;
      assert.equal(outcome.name, c.name);
      assert.ok(outcome.ok, outcome.message);
    });
  }
});
