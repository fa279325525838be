#!/usr/bin/env node
// Runs the compiled test suites (dist/tests/<suite>/**/*.test.js) on ava, suite by suite, and closes
// with one plain line `N passed, N failed` for CI (ava's own closing lines change with the outcome).
//
//   unit         test files two at a time (the machine has two cores); tests that share a worker
//                pool, a port or a clock are declared test.serial in their file.
//   integration  one file at a time, every test serial: they start real head and node processes.
//   browser      one file at a time, serial: each drives a headless Chromium.
//   security     one file at a time, serial: attacks on real head, node and driver processes
//                (and a headless Chromium), each followed by a job the cluster must still run.
//
// `--timeout` is ava's inactivity timeout: with serial tests it bounds each test (tests that need
// longer call t.timeout()). Usage: node scripts/run-tests.mjs [unit|integration|browser ...]
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const SUITES = {
  unit: { concurrency: 2, timeout: '1m' },
  integration: { concurrency: 1, timeout: '3m' },
  browser: { concurrency: 1, timeout: '3m' },
  security: { concurrency: 1, timeout: '3m' },
};
const asked = process.argv.slice(2);
for (const s of asked) {
  if (!(s in SUITES)) {
    console.error(`run-tests: unknown suite "${s}"; the suites are ${Object.keys(SUITES).join(', ')}`);
    process.exit(2);
  }
}
const suites = (asked.length ? asked : Object.keys(SUITES)).filter((s) => existsSync(`dist/tests/${s}`));
if (suites.length === 0) {
  console.error('run-tests: no compiled tests; run `npm run build` first');
  process.exit(2);
}
// ava's package exports do not include its CLI; its package.json names it as the bin.
const avaCli = fileURLToPath(new URL('../node_modules/ava/entrypoints/cli.mjs', import.meta.url));

let passed = 0;
let failed = 0;
let status = 0;
for (const suite of suites) {
  const { concurrency, timeout } = SUITES[suite];
  console.log(`\n== ${suite} tests (ava, ${concurrency} file${concurrency > 1 ? 's' : ''} at a time, ${timeout} per test)\n`);
  const counts = await runAva([`dist/tests/${suite}/**/*.test.js`, '--concurrency', String(concurrency), '--timeout', timeout]);
  passed += counts.passed;
  failed += counts.failed;
  if (counts.code !== 0) status = 1;
}
// A suite that failed without a failed test line (a crashed worker, a timeout) still counts as failed.
if (status !== 0 && failed === 0) failed = 1;
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(status);

/** Runs ava with ARGS, passing its output through, and counts its ✔ and ✘ [fail] lines. */
function runAva(args) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [avaCli, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, FORCE_COLOR: '0' },
    });
    const counts = { passed: 0, failed: 0, code: 1 };
    const count = (chunk, out) => {
      out.write(chunk);
      for (const line of chunk.toString().split('\n')) {
        if (/^\s*✔ (?!\[expected fail\])/.test(line)) counts.passed++;
        else if (/^\s*✘ \[(fail|unexpected pass)\]:/.test(line)) counts.failed++;
      }
    };
    // Lines are counted per chunk: ava writes whole lines.
    child.stdout.on('data', (c) => count(c, process.stdout));
    child.stderr.on('data', (c) => count(c, process.stderr));
    child.on('close', (code) => resolve({ ...counts, code: code ?? 1 }));
  });
}
