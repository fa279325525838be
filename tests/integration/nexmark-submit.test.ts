// `wrt submit samples/nexmark/build/pipeline.wasm --arg query=qN …` as real processes: a head and
// two node processes run every query as a stream job — slots on both nodes, channels between them
// through the head with credit-based flow control — and the part files equal DuckDB's reference
// results. Also the embedded cluster, and bad arguments.
import test from 'ava';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, TestCluster, killAll, runWrt } from '../helpers/wrt-process.js';
import {
  NEXMARK_QUERIES,
  diffResults,
  readCsvParts,
  referenceResults,
  type NexmarkQuery,
  type QueryResult,
} from '../helpers/nexmark-oracle.js';
import { generateNexmark } from '../../runtime/cli/nexmark.js';

const PIPELINE = join(ROOT, 'samples/nexmark/build/pipeline.wasm');
const EVENTS = 50_000;
const SEED = 5;
const work = mkdtempSync(join(tmpdir(), 'wrt-nexmark-submit-'));
let cluster: TestCluster | null = null;
let reference: Map<NexmarkQuery, QueryResult>;

test.before(async () => {
  await generateNexmark({ events: EVENTS, seed: SEED, output: join(work, 'events'), overwrite: false, progress: false });
  reference = await referenceResults(join(work, 'events'), NEXMARK_QUERIES);
  cluster = await TestCluster.start([
    { name: 'alpha', cpus: 2 },
    { name: 'beta', cpus: 2 },
  ]);
});
test.after.always(async () => {
  await cluster?.stop();
  await killAll();
  rmSync(work, { recursive: true, force: true });
});

const queryArgs = (q: string, events = EVENTS): string[] => ['--arg', `query=${q}`, '--arg', `events=${events}`, '--arg', `seed=${SEED}`];

for (const q of NEXMARK_QUERIES) {
  test.serial(`${q}: wrt submit on two node processes at parallelism 3 equals DuckDB`, async () => {
    const out = join(work, q);
    const r = await runWrt([
      'submit',
      PIPELINE,
      '--address',
      cluster!.address,
      ...queryArgs(q),
      '--parallelism',
      '3',
      '--output',
      out,
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(r.stdout) as { kind: string; subtasks: number; partitions: number; nodes: string[] };
    assert.equal(s.kind, 'stream');
    // Three slots spread over both nodes: the channels between them cross the head.
    assert.deepEqual(s.nodes, ['alpha', 'beta']);
    const files = readdirSync(out);
    assert.ok(files.includes('_SUCCESS'), `no _SUCCESS in ${files.join(', ')}`);
    assert.ok(!files.some((f) => f.endsWith('.tmp')), `temporary files left: ${files.join(', ')}`);
    assert.equal(files.filter((f) => f.endsWith('.csv')).length, s.partitions);
    const diff = diffResults(reference.get(q)!, await readCsvParts(out, files));
    assert.equal(diff, null, `${q}: ${diff}`);
  });
}

test.serial('the embedded cluster runs q5 and stops; the summary line names the job and its nodes', async () => {
  const out = join(work, 'embedded-q5');
  const r = await runWrt(['submit', PIPELINE, ...queryArgs('q5'), '--nodes', '2', '--cpus', '1', '--output', out]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stderr,
    /stream job j-1 finished: \d+ subtasks, 2 part\(s\), \d+ bytes written, [\d.]+ s on 2 node\(s\) \(local-1, local-2\)/,
  );
  assert.equal(diffResults(reference.get('q5')!, await readCsvParts(out, readdirSync(out))), null);
});

test.serial('bad arguments exit 2 with a message that says what to pass, and write nothing', async () => {
  const out = join(work, 'bad');
  const missing = await runWrt(['submit', PIPELINE, '--address', cluster!.address, '--arg', 'query=q1', '--output', out]);
  assert.equal(missing.code, 2, missing.stderr);
  assert.match(missing.stderr, /WRT_INVALID_ARGUMENT.*pass --arg events=VALUE/);
  const unknown = await runWrt(['submit', PIPELINE, '--address', cluster!.address, ...queryArgs('q6'), '--output', out]);
  assert.equal(unknown.code, 2, unknown.stderr);
  assert.match(unknown.stderr, /unknown query "q6"/);
  const input = await runWrt(['submit', PIPELINE, '--address', cluster!.address, ...queryArgs('q1'), '--input', PIPELINE, '--output', out]);
  assert.equal(input.code, 2, input.stderr);
  assert.match(input.stderr, /stream pipeline reads its sources.*drop --input/);
  const tooWide = await runWrt([
    'submit',
    PIPELINE,
    '--address',
    cluster!.address,
    ...queryArgs('q1'),
    '--parallelism',
    '200',
    '--output',
    out,
  ]);
  assert.equal(tooWide.code, 2, tooWide.stderr);
  assert.match(tooWide.stderr, /WRT_BAD_JOB_GRAPH.*parallelism 200, over the job's 128 key groups/);
  assert.equal(existsSync(out) && readdirSync(out).length > 0, false);
});
