// README's DataStream example is samples/streams/orders-per-second.ts with package imports; the
// sample runs in tests/integration/samples.test.ts, so the README shows code that runs.
import test from 'ava';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ROOT } from '../../helpers/wrt-process.js';

test("README's stream example is the sample's code, with wrt/sdk and wrt/stream imports", () => {
  const sample = readFileSync(`${ROOT}samples/streams/orders-per-second.ts`, 'utf8')
    .split('\n')
    .filter((line, i, all) => !all.slice(0, i + 1).every((l) => l.startsWith('//')))
    .join('\n')
    .replace("'../../sdk/node.js'", "'wrt/sdk'")
    .replace("'../../sdk/datastream.js'", "'wrt/stream'")
    .trim();
  const readme = readFileSync(`${ROOT}README.md`, 'utf8');
  const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!.trim());
  assert.ok(blocks.includes(sample), 'README.md has no ```ts block equal to samples/streams/orders-per-second.ts (with package imports)');
});
