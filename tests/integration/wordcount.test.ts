// `wrt submit` end to end: real processes, the real component, real text.
import test from 'ava';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CORPUS, WORDCOUNT, TestCluster, killAll, runWrt } from '../helpers/wrt-process.js';
import { assertWordcount, readParts } from '../helpers/wordcount-output.js';

const work = mkdtempSync(join(tmpdir(), 'wrt-wc-'));
test.after.always(async () => {
  await killAll();
  rmSync(work, { recursive: true, force: true });
});

const files = (dir: string): string[] =>
  readdirSync(join(CORPUS, dir))
    .filter((f) => f.endsWith('.txt'))
    .sort()
    .map((f) => join(CORPUS, dir, f));

test.serial('embedded cluster: head and two node processes count words exactly, then stop', async () => {
  const out = join(work, 'embedded');
  const r = await runWrt([
    'submit',
    WORDCOUNT,
    '--input',
    join(CORPUS, 'easy-ham-2'),
    join(CORPUS, 'spam-2', '*.txt'),
    '--output',
    out,
    '--chunk-mb',
    '0.5',
    '--json',
  ]);
  assert.equal(r.code, 0, r.stderr);
  const summary = JSON.parse(r.stdout) as {
    tokens: number;
    distinctTokens: number;
    bytesRead: number;
    nodes: string[];
    mbPerSecond: number;
  };
  assert.deepEqual(summary.nodes, ['local-1', 'local-2']);
  assert.ok(summary.tokens > 100_000 && summary.distinctTokens > 10_000 && summary.mbPerSecond > 0);
  // A directory input includes the .json twins; the glob takes only .txt.
  const inputs = [
    ...readdirSync(join(CORPUS, 'easy-ham-2'))
      .sort()
      .map((f) => join(CORPUS, 'easy-ham-2', f)),
    ...files('spam-2'),
  ];
  assertWordcount(out, inputs);
});

test.serial('submitting to a running cluster; the summary line; a second job on the same cluster; overwrite rules', async () => {
  const cluster = await TestCluster.start([
    { name: 'alpha', cpus: 1 },
    { name: 'beta', cpus: 1 },
  ]);
  try {
    const out = join(work, 'running');
    const input = join(CORPUS, 'hard-ham-1', '*.txt');
    const r = await runWrt(['submit', WORDCOUNT, '--address', cluster.address, '--input', input, '--output', out, '--chunk-mb', '0.25']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stderr,
      /finished: \d+ bytes read, \d+ tokens, \d+ distinct tokens, [\d.]+ s, [\d.]+ MB\/s on 2 node\(s\) \(alpha, beta\)/,
    );
    assertWordcount(out, files('hard-ham-1'));
    const first = readParts(out).bytes;

    const again = await runWrt(['submit', WORDCOUNT, '--address', cluster.address, '--input', input, '--output', out]);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /WRT_OUTPUT_EXISTS.*--overwrite/);

    const over = await runWrt([
      'submit',
      WORDCOUNT,
      '--address',
      cluster.address,
      '--input',
      input,
      '--output',
      out,
      '--overwrite',
      '--chunk-mb',
      '1',
    ]);
    assert.equal(over.code, 0, over.stderr);
    assert.ok(readParts(out).bytes.equals(first), 'a different chunking changed the output');

    const status = await cluster.status();
    assert.equal(status.jobs.filter((j) => j.state === 'Finished').length, 2);
    assert.deepEqual(await cluster.stop(), [0, 0, 0], 'SIGTERM must shut head and nodes down cleanly');
  } finally {
    await cluster.stop();
  }
});
