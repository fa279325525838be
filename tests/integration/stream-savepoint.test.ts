// Savepoints, stop and cancel on a head and two node processes (`wrt savepoint`, `wrt stop`,
// `wrt cancel`, `wrt submit --from-savepoint`). Nexmark q5 runs with checkpoints; a savepoint is
// taken while it runs, then the job is stopped with a second one into a directory of our choice.
// The stopped job's output plus the output of a new job started from that savepoint equal DuckDB's
// q5 over the same events: nothing lost, nothing twice across the stop.
import test from 'ava';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, TestCluster, clusterFixture, runWrt, startWrt } from '../helpers/wrt-process.js';
import { diffResults, readCsvParts, referenceResults } from '../helpers/nexmark-oracle.js';
import { generateNexmark } from '../../runtime/cli/nexmark.js';

const PIPELINE = join(ROOT, 'samples/nexmark/build/pipeline.wasm');
// The source is held to 250 000 events a second (its eventsPerSecond), so the job runs at least 4 s
// however fast the machine: still running for the savepoint, the stop and the cancel.
const EVENTS = 1_000_000;
const EVENTS_PER_SECOND = 250_000;
const SEED = 5;
const f = clusterFixture('wrt-savepoint-');

const q5 = (out: string, extra: string[]): string[] => [
  'submit',
  PIPELINE,
  '--address',
  f.cluster!.address,
  '--arg',
  'query=q5',
  '--arg',
  `events=${EVENTS}`,
  '--arg',
  `seed=${SEED}`,
  '--arg',
  `eventsPerSecond=${EVENTS_PER_SECOND}`,
  '--output',
  out,
  '--json',
  ...extra,
];

test.serial(
  'savepoint while running, stop with a savepoint, resume from it: both outputs together equal the undisturbed result',
  async () => {
    const defaultSaves = join(f.work, 'savepoints');
    f.cluster = await TestCluster.start(
      [
        { name: 'alpha', cpus: 1 },
        { name: 'beta', cpus: 1 },
      ],
      ['--checkpoint-dir', join(f.work, 'checkpoints'), '--savepoint-dir', defaultSaves],
    );
    const address = f.cluster.address;
    const first = join(f.work, 'first');
    const submit = startWrt(q5(first, ['--parallelism', '2', '--checkpoint-interval-ms', '300']));
    const job = (await submit.waitFor(/stream job (j-\d+) accepted/))[1]!;
    await f.cluster.head.waitFor(new RegExp(`job ${job}: checkpoint 1 completed`));

    // A savepoint leaves the job running; it goes under the head's --savepoint-dir.
    const sp = await runWrt(['savepoint', job, '--address', address]);
    assert.equal(sp.code, 0, sp.stderr);
    const spPath = sp.stdout.trim();
    assert.ok(spPath.startsWith(join(defaultSaves, `savepoint-${job}-`)), spPath);
    const meta = JSON.parse(readFileSync(join(spPath, '_metadata'), 'utf8')) as { kind: string; subtasks: string[] };
    assert.equal(meta.kind, 'savepoint');
    assert.equal(meta.subtasks.length, 10, 'every subtask of the 5 vertices at parallelism 2');

    // Stop: a savepoint into the directory asked for (under the head's --savepoint-dir), then the job ends with its output up to it.
    const chosen = join(defaultSaves, 'chosen');
    const stop = await runWrt(['stop', job, chosen, '--address', address]);
    assert.equal(stop.code, 0, stop.stderr);
    const stopPath = stop.stdout.trim();
    assert.ok(stopPath.startsWith(join(chosen, `savepoint-${job}-`)), stopPath);
    assert.equal(await submit.exited, 0, submit.stderr);
    const stopped = JSON.parse(submit.stdout) as { state: string; message: string };
    assert.equal(stopped.state, 'Stopped');
    assert.match(stopped.message, new RegExp(`stopped with savepoint \\d+ at ${stopPath}`));
    const firstFiles = readdirSync(first);
    assert.ok(!firstFiles.includes('_SUCCESS'), 'a stopped job is not a finished one');
    assert.deepEqual(firstFiles.filter((n) => n.startsWith('part-')).sort(), ['part-00000.csv', 'part-00001.csv']);
    await f.cluster.head.waitFor(new RegExp(`job ${job}: checkpoints removed`));
    assert.ok(existsSync(stopPath) && existsSync(spPath), 'savepoints outlive the job');

    // A savepoint does not fit another parallelism: refused up front, nothing written.
    const rescaled = join(f.work, 'rescaled');
    const bad = await runWrt(q5(rescaled, ['--parallelism', '3', '--from-savepoint', stopPath]));
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /WRT_BAD_CHECKPOINT: vertex "\w+" ran at parallelism 2 in savepoint .* submit with --parallelism 2/);
    assert.equal(existsSync(rescaled), false);
    const missing = await runWrt(q5(rescaled, ['--from-savepoint', join(defaultSaves, 'no-such-savepoint')]));
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /WRT_BAD_CHECKPOINT: ".*no-such-savepoint" is not a readable savepoint: it has no _metadata file/);

    // Resume into a new output directory: its sinks write new part files, header first.
    const second = join(f.work, 'second');
    const resumed = await runWrt(q5(second, ['--parallelism', '2', '--checkpoint-interval-ms', '300', '--from-savepoint', stopPath]));
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(f.cluster.head.stderr, new RegExp(`accepted from savepoint ${stopPath}`));
    const secondFiles = readdirSync(second);
    assert.ok(secondFiles.includes('_SUCCESS'));

    await generateNexmark({ events: EVENTS, seed: SEED, output: join(f.work, 'events'), overwrite: false, progress: false });
    const reference = (await referenceResults(join(f.work, 'events'), ['q5'])).get('q5')!;
    const before = await readCsvParts(first, firstFiles);
    const after = await readCsvParts(second, secondFiles);
    assert.ok(before.rows.length > 0 && after.rows.length > 0, 'the stop split the output: some before, the rest after');
    const diff = diffResults(reference, { columns: after.columns, rows: [...before.rows, ...after.rows] });
    assert.equal(diff, null, diff ?? '');
  },
);

test.serial(
  'cancel ends a running job: its submitter exits 1 and keeps no output; a second cancel or an unknown job is refused',
  async () => {
    const address = f.cluster!.address;
    const out = join(f.work, 'cancelled');
    const submit = startWrt(q5(out, ['--parallelism', '2']));
    const job = (await submit.waitFor(/stream job (j-\d+) accepted/))[1]!;
    await f.cluster!.head.waitFor(new RegExp(`job ${job}: attempt 1`));
    const cancel = await runWrt(['cancel', job, '--address', address]);
    assert.equal(cancel.code, 0, cancel.stderr);
    assert.equal(await submit.exited, 1);
    assert.match(submit.stderr, new RegExp(`job ${job} cancelled: job ${job} was cancelled \\(wrt cancel\\)`));
    assert.equal(existsSync(out), false, 'no part files are left behind');

    const again = await runWrt(['cancel', job, '--address', address]);
    assert.equal(again.code, 2);
    assert.match(again.stderr, new RegExp(`WRT_INVALID_ARGUMENT: job ${job} is cancelled, not running`));
    const unknown = await runWrt(['savepoint', 'j-999', '--address', address]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /no job j-999 on this head/);
  },
);
