#!/usr/bin/env node
// `npm run setup`: installs the system packages the tests need (scripts/system-packages.mjs) with
// apt-get when they are missing, on Debian or Ubuntu; does nothing when all are present.
import { spawnSync } from 'node:child_process';
import { SYSTEM_PACKAGES, missingPackages } from './system-packages.mjs';

const missing = missingPackages(true);
if (missing.length === 0) {
  console.log(`setup: ${SYSTEM_PACKAGES.map((p) => p.pkg).join(', ')} are present`);
  process.exit(0);
}
const names = missing.map((p) => p.pkg);
if (spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status !== 0) {
  console.error(`setup: missing ${names.join(', ')}, and this machine has no apt-get; install them with its package manager`);
  process.exit(2);
}
const root = process.getuid?.() === 0;
const run = (args) => {
  const cmd = root ? args : ['sudo', ...args];
  console.log(`setup: ${cmd.join(' ')}`);
  const r = spawnSync(cmd[0], cmd.slice(1), { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (r.status !== 0) {
    console.error(`setup: \`${cmd.join(' ')}\` failed (exit ${r.status ?? r.signal})`);
    process.exit(1);
  }
};
run(['apt-get', 'update', '-qq']);
run(['apt-get', 'install', '-y', '-qq', '--no-install-recommends', ...names]);
const still = missingPackages(true);
if (still.length) {
  console.error(`setup: still missing after apt-get: ${still.map((p) => p.pkg).join(', ')}`);
  process.exit(1);
}
console.log(`setup: installed ${names.join(', ')}`);
