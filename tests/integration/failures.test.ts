// Bad input and misbehaving operators: a clear message, a non-zero exit, no _SUCCESS, and a
// cluster that still runs the next job.
import test from 'ava';
import assert from 'node:assert/strict';
import { until } from '../helpers/until.js';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CORPUS, FIXTURES, WORDCOUNT, TestCluster, killAll, runWrt, startWrt } from '../helpers/wrt-process.js';

const work = mkdtempSync(join(tmpdir(), 'wrt-fail-'));
const input = join(CORPUS, 'spam-1', '000*.txt');
let cluster: TestCluster;

test.before(async () => {
  cluster = await TestCluster.start([
    { name: 'one', cpus: 1 },
    { name: 'two', cpus: 1 },
  ]);
});
test.after.always(async () => {
  await cluster?.stop();
  await killAll();
  rmSync(work, { recursive: true, force: true });
});

let n = 0;
/** `wrt submit PIPELINE` to the test cluster over the test input, into `out`. */
const submitArgs = (pipeline: string, out: string, extra: string[] = []): string[] => [
  'submit',
  pipeline,
  '--address',
  cluster.address,
  '--input',
  input,
  '--output',
  out,
  ...extra,
];

async function expectFailure(pipeline: string, extra: string[], code: number, message: RegExp): Promise<void> {
  const out = join(work, `out-${n++}`);
  const r = await runWrt(submitArgs(pipeline, out, extra));
  assert.equal(r.code, code, `exit code; stderr: ${r.stderr}`);
  assert.match(r.stderr, message);
  assert.ok(!existsSync(join(out, '_SUCCESS')), '_SUCCESS written for a failed job');
  if (existsSync(out)) assert.deepEqual(readdirSync(out), [], 'files left in the output directory');
}

async function expectClusterUsable(): Promise<void> {
  const out = join(work, `ok-${n++}`);
  const r = await runWrt(submitArgs(WORDCOUNT, out));
  assert.equal(r.code, 0, r.stderr);
  assert.ok(existsSync(join(out, '_SUCCESS')));
}

test.serial('a missing input path', async () => {
  const r = await runWrt([
    'submit',
    WORDCOUNT,
    '--address',
    cluster.address,
    '--input',
    join(work, 'missing.txt'),
    '--output',
    join(work, 'o'),
  ]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /WRT_INPUT_NOT_FOUND: input .*missing\.txt does not exist/);
  assert.ok(!existsSync(join(work, 'o')));
});

test.serial('a file that is not wasm', async () => {
  await expectFailure(join(FIXTURES, 'not-wasm.wasm'), [], 2, /WRT_NOT_WASM: .*not-wasm\.wasm is not a WebAssembly module or component/);
});

test.serial('a missing pipeline file', async () => {
  await expectFailure(join(work, 'nope.wasm'), [], 2, /WRT_INPUT_NOT_FOUND: pipeline .*nope\.wasm does not exist/);
});

test.serial('a component lacking the pipeline exports', async () => {
  await expectFailure(
    join(FIXTURES, 'no-pipeline.wasm'),
    [],
    2,
    /WRT_MISSING_EXPORT: .*lacks the "graph" export of world pipeline and the "configure" export of world stream-pipeline/,
  );
});

test.serial('an operator that traps names the operator and the trap', async () => {
  await expectFailure(
    join(FIXTURES, 'trap.wasm'),
    [],
    1,
    /WRT_OPERATOR_TRAP: job j-\d+ failed: subtask map-\d+ on node (one|two): operator "tokenize" trapped: unreachable/,
  );
  await expectClusterUsable();
});

test.serial('an operator that returns an error result', async () => {
  await expectFailure(
    join(FIXTURES, 'error.wasm'),
    [],
    1,
    /WRT_OPERATOR_ERROR: job j-\d+ failed: subtask map-\d+ on node \w+: operator "tokenize" failed: refusing chunk of \d+ bytes/,
  );
});

test.serial('an operator that exceeds its memory cap', async () => {
  await expectFailure(
    join(FIXTURES, 'oom.wasm'),
    ['--operator-memory-mb', '16'],
    1,
    /WRT_MEMORY_CAP: .*operator "tokenize" exceeded its memory cap of 16777216 bytes/,
  );
  await expectClusterUsable();
});

test.serial('an operator that exceeds its deadline', async () => {
  await expectFailure(
    join(FIXTURES, 'spin.wasm'),
    ['--deadline-ms', '500'],
    1,
    /WRT_DEADLINE: .*operator "tokenize" ran past its deadline of 500 ms/,
  );
  await expectClusterUsable();
});

test.serial('wrt cancel stops the running subtasks of a batch job on their nodes (their slots are free at once)', async () => {
  const out = join(work, `cancel-${n++}`);
  // Map operators that never return, with a deadline far beyond the test.
  const submit = startWrt(submitArgs(join(FIXTURES, 'spin.wasm'), out, ['--deadline-ms', '600000']));
  const running = async (): Promise<number> => (await cluster.status()).nodes.reduce((a, node) => a + node.running, 0);
  // The job is the one running now (this file's tests run one after another).
  const started = await cluster.statusWhen(
    (s) => s.jobs.some((j) => j.state === 'Running') && s.nodes.some((node) => node.running > 0),
    'the job to run',
  );
  const job = started.jobs.find((j) => j.state === 'Running')!.id;
  const cancel = await runWrt(['cancel', job, '--address', cluster.address]);
  assert.equal(cancel.code, 0, cancel.stderr);
  assert.equal(await submit.exited, 1);
  assert.match(submit.stderr, new RegExp(`job ${job} cancelled`));
  // Without the stop, the slot would stay busy until the 600 s deadline.
  await until(async () => (await running()) === 0, 'the cancelled subtasks stop (they must not run to the 600 s deadline)');
  await expectClusterUsable();
});
