#!/usr/bin/env node
// Regenerates runtime/protocol/generated/ from runtime/protocol/*.fbs with flatc (Debian's
// flatbuffers-compiler 2.0.8), then gives the generated imports explicit `.js` extensions so the
// output runs as Node ESM (flatc writes extension-less imports).
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync, rmSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const target = join(root, 'runtime/protocol/generated');
const tmp = target + '.tmp';
rmSync(tmp, { recursive: true, force: true });
try {
  execFileSync('flatc', ['--ts', '--gen-all', '-o', tmp, join(root, 'runtime/protocol/wire.fbs')], { stdio: 'inherit' });
} catch (err) {
  console.error('gen:protocol: flatc failed. Install it with `apt-get install flatbuffers-compiler`.');
  process.exit(1);
}
const walk = (dir) => readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? walk(join(dir, f)) : [join(dir, f)]));
for (const file of walk(tmp)) {
  const text = readFileSync(file, 'utf8').replace(/from '(\.{1,2}\/[^']+?)(?<!\.js)'/g, "from '$1.js'");
  writeFileSync(file, '/* eslint-disable */\n' + text);
}
rmSync(target, { recursive: true, force: true });
renameSync(tmp, target);
console.log('runtime/protocol/generated: regenerated');
