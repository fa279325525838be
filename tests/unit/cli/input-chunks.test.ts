import test from 'ava';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { planChunks, readChunk, resolveInputs } from '../../../runtime/cli/input-chunks.js';
import { countTokens, formatCounts } from '../../helpers/reference-wordcount.js';
import { WrtError } from '../../../runtime/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'wrt-chunks-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

function randomText(n: number, seed: number): string {
  const words = ['Ωμέγα', 'straße', 'İzmir', 'naïve', '漢字', 'hello', 'ΣΑΣ', 'x1', '😀', 'é', 'a'];
  const seps = [' ', ', ', '\n', '—', '. ', '\u3000', '\t'];
  let s = '';
  while (s.length < n) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    s += words[seed % words.length]! + seps[(seed >> 8) % seps.length]!;
  }
  return s;
}

test('chunks never cut a token or a UTF-8 sequence: per-chunk counts add up to the whole', async () => {
  const big = join(dir, 'big.txt');
  const text = randomText(300_000, 1);
  writeFileSync(big, text);
  mkdirSync(join(dir, 'small'));
  for (let i = 0; i < 20; i++) writeFileSync(join(dir, 'small', `f${i}.txt`), randomText(500 + i * 37, i) + (i % 2 ? '' : 'tail'));
  const files = await resolveInputs([big, join(dir, 'small')]);
  assert.equal(files.length, 21);
  const plan = await planChunks(files, 4096);
  assert.ok(plan.chunks.length > 50, `only ${plan.chunks.length} chunks`);
  const perChunk = new Map<string, number>();
  for (let i = 0; i < plan.chunks.length; i++) countTokens(await readChunk(plan, i), perChunk);
  const whole = new Map<string, number>();
  countTokens(new TextEncoder().encode(text), whole);
  for (let i = 0; i < 20; i++) countTokens(new TextEncoder().encode(randomText(500 + i * 37, i) + (i % 2 ? '' : 'tail')), whole);
  assert.equal(formatCounts(perChunk), formatCounts(whole));
});

test('globs, directories and missing paths', async () => {
  assert.equal((await resolveInputs([join(dir, 'small', 'f1*.txt')])).length, 11);
  await assert.rejects(resolveInputs([join(dir, 'nope.txt')]), (e: unknown) => e instanceof WrtError && e.code === 'WRT_INPUT_NOT_FOUND');
  await assert.rejects(resolveInputs([join(dir, '*.none')]), (e: unknown) => e instanceof WrtError && e.code === 'WRT_INPUT_NOT_FOUND');
});
