#!/usr/bin/env node
// Bundles the Node slot thread's entry (runtime/platform/node/slot-entry.ts and everything it
// imports) into one file with esbuild: dist/runtime/platform/node/slot-entry.bundle.js. A worker
// thread boots from one file about 3× faster than from the module graph (10 slot threads at once:
// ~230 ms against ~750 ms on this machine), which is what starting an actor costs. The Node
// platform uses the bundle when it is at least as new as the compiled slot-entry.js (a `tsc`-only
// rebuild falls back to the module graph, never to a stale bundle). Written to a temporary name and
// renamed.
import { build } from 'esbuild';
import { renameSync } from 'node:fs';

const root = new URL('..', import.meta.url).pathname;
const out = 'dist/runtime/platform/node/slot-entry.bundle.js';
const started = Date.now();
await build({
  absWorkingDir: root,
  entryPoints: ['runtime/platform/node/slot-entry.ts'],
  outfile: `${out}.tmp`,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['webgpu'],
  // CommonJS dependencies (the NATS client requires "crypto") call require(), which an ES module
  // bundle lacks: give the bundle Node's own.
  banner: { js: "import { createRequire as wrtCreateRequire } from 'node:module'; const require = wrtCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
renameSync(`${root}${out}.tmp`, `${root}${out}`);
console.log(`build-slot: ${out} in ${Date.now() - started} ms`);
