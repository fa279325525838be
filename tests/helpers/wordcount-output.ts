// Shared checks of a word-count output directory.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { countTokens, formatCounts } from './reference-wordcount.js';

/** The reference word count of `files` (each decoded on its own, as wrt does). */
export function referenceCounts(files: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const f of files) countTokens(readFileSync(f), counts);
  return counts;
}

/** Reads a finished output directory: every part, in part order. */
export function readParts(dir: string): { names: string[]; bytes: Buffer } {
  assert.ok(existsSync(join(dir, '_SUCCESS')), `no _SUCCESS in ${dir}`);
  const names = readdirSync(dir)
    .filter((f) => /^part-\d{5}\.tsv$/.test(f))
    .sort();
  assert.deepEqual(
    readdirSync(dir).filter((f) => f.startsWith('.')),
    [],
    'temporary files left behind',
  );
  return { names, bytes: Buffer.concat(names.map((n) => readFileSync(join(dir, n)))) };
}

/** Asserts that `dir` holds exactly the reference counts, each part sorted as specified. */
export function assertWordcount(dir: string, files: string[]): void {
  const { names } = readParts(dir);
  assert.ok(names.length > 0);
  const got = new Map<string, number>();
  for (const n of names) {
    const text = readFileSync(join(dir, n), 'utf8');
    const part = new Map<string, number>();
    for (const line of text.split('\n')) {
      if (!line) continue;
      const [k, v] = line.split('\t');
      assert.ok(!got.has(k!), `token ${k} appears in two parts`);
      got.set(k!, Number(v));
      part.set(k!, Number(v));
    }
    assert.equal(text, formatCounts(part), `${n} is not sorted by count desc, token asc`);
  }
  assert.equal(formatCounts(got), formatCounts(referenceCounts(files)));
}
