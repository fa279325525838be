#!/usr/bin/env node
// Bundles the node agent for the browser (esbuild) from the same sources the Node node runs:
//   dist/browser/node-agent.js   the page's module script (runtime/launch/browser/node-main.ts)
//   dist/browser/node-worker.js  the tab's node agent, in a dedicated worker (runtime/launch/browser/node-worker.ts)
//   dist/browser/slot-entry.js   the slot Web Worker (runtime/platform/browser/slot-entry.ts)
//   dist/browser/sdk.js          the SDK for browser drivers (sdk/browser.ts)
//   dist/browser/gpu.js          wrt/gpu for pages that load it without a bundler (gpu/browser.ts)
//   dist/browser/gpu-suite.js    the GPU kernel suite for tests/browser/gpu-kernels.test.ts
//   dist/browser/gpu-bench.js    bench:gpu's measurements in a page (bench/gpu-page.ts), for --browser
//   dist/browser/dashboard.js    the dashboard at /ui (runtime/launch/browser/dashboard-main.ts), with dashboard.css
import { build } from 'esbuild';

const root = new URL('..', import.meta.url).pathname;
const started = Date.now();
await build({
  absWorkingDir: root,
  entryPoints: {
    'node-agent': 'runtime/launch/browser/node-main.ts',
    'node-worker': 'runtime/launch/browser/node-worker.ts',
    'slot-entry': 'runtime/platform/browser/slot-entry.ts',
    sdk: 'sdk/browser.ts',
    gpu: 'gpu/browser.ts',
    'gpu-suite': 'tests/gpu/browser-suite.ts',
    'gpu-bench': 'bench/gpu-page.ts',
    dashboard: 'runtime/launch/browser/dashboard-main.ts',
  },
  outdir: 'dist/browser',
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  sourcemap: true,
  logLevel: 'warning',
});
console.log(`build-browser: dist/browser in ${Date.now() - started} ms`);
