#!/usr/bin/env node
// The wrt command: runs the compiled CLI (dist/), built by `npm run build`.
import { existsSync } from 'node:fs';

const main = new URL('../dist/runtime/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write('wrt: the package is not built yet; run `npm run build` (npm install does it for you)\n');
  process.exit(2);
}
await import(main.href);
