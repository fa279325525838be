#!/usr/bin/env node
// Runs first in `npm test`: stops at once, with one message, when a system package the tests need
// is missing (instead of failing every browser, GPU and NATS test one by one).
import { missingPackages } from './system-packages.mjs';

const missing = missingPackages();
if (missing.length > 0) {
  const lines = missing.map((p) => `  - ${p.pkg}: ${p.why}`).join('\n');
  console.error(
    `npm test: missing system package(s):\n${lines}\n` +
      `Install them with \`npm run setup\` (runs apt-get install ${missing.map((p) => p.pkg).join(' ')}), then run npm test again.\n` +
      'WRT_CHROMIUM and WRT_NATS_SERVER may name binaries installed elsewhere.',
  );
  process.exit(2);
}
