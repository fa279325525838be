#!/usr/bin/env node
// Runs the compiled test suites (dist/tests/<suite>) with Node's test runner, one file at a time:
// integration and browser tests start real processes and share the machine's two cores.
// Usage: node scripts/run-tests.mjs [unit|integration|browser ...]   (default: all three)
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const suites = process.argv.slice(2).length ? process.argv.slice(2) : ['unit', 'integration', 'browser'];
const dirs = suites.map((s) => `dist/tests/${s}`).filter((d) => existsSync(d));
if (dirs.length === 0) {
  console.error('run-tests: no compiled tests; run `npm run build` first');
  process.exit(2);
}
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=1', '--test-reporter=spec', ...dirs], { stdio: 'inherit' });
process.exit(r.status ?? 1);
