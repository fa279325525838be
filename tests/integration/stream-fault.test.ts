// Exactly-once across a node failure: Nexmark q5 runs on a head and three single-slot node
// processes with a checkpoint every 400 ms; once two checkpoints have completed, a node running one
// of the job's slots is SIGKILLed. The head restarts the job from its latest checkpoint on the
// nodes left, and the committed output — the part files after the job finishes — equals DuckDB's
// result over the same events: nothing lost, nothing twice.
import test from 'ava';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, TestCluster, killAll, startWrt } from '../helpers/wrt-process.js';
import { diffResults, readCsvParts, referenceResults } from '../helpers/nexmark-oracle.js';
import { generateNexmark } from '../../runtime/cli/nexmark.js';

const PIPELINE = join(ROOT, 'samples/nexmark/build/pipeline.wasm');
const EVENTS = 1_000_000;
const SEED = 2;
const work = mkdtempSync(join(tmpdir(), 'wrt-stream-fault-'));
let cluster: TestCluster | null = null;
test.after.always(async () => {
  await cluster?.stop();
  await killAll();
  rmSync(work, { recursive: true, force: true });
});

test.serial(
  'q5 with checkpoints: a node SIGKILLed mid-run; the job restarts from its checkpoint and commits exactly the undisturbed result',
  async () => {
    const checkpoints = join(work, 'checkpoints');
    cluster = await TestCluster.start(
      [
        { name: 'alpha', cpus: 1 },
        { name: 'beta', cpus: 1 },
        { name: 'gamma', cpus: 1 },
      ],
      ['--checkpoint-dir', checkpoints],
    );
    const out = join(work, 'q5');
    const submit = startWrt([
      'submit',
      PIPELINE,
      '--address',
      cluster.address,
      '--arg',
      'query=q5',
      '--arg',
      `events=${EVENTS}`,
      '--arg',
      `seed=${SEED}`,
      // At most 400 000 events a second: at least 2.5 s, so the job still runs when the node dies.
      '--arg',
      'eventsPerSecond=400000',
      '--parallelism',
      '2',
      '--checkpoint-interval-ms',
      '400',
      '--output',
      out,
      '--json',
    ]);
    const placed = await cluster.head.waitFor(/job (j-\d+): attempt 1: \d+ subtasks; slot 0 on (\w+), slot 1 on (\w+)/);
    const job = placed[1]!;
    await cluster.head.waitFor(new RegExp(`job ${job}: checkpoint 2 completed`));
    assert.ok(existsSync(join(checkpoints, job)), 'checkpoints are written under --checkpoint-dir');
    assert.ok(
      readdirSync(join(checkpoints, job)).some((f) => /^chk-\d+$/.test(f)),
      'a completed checkpoint is a chk-N directory',
    );
    const victim = placed[2]!;
    assert.equal(await cluster.nodes.get(victim)!.kill('SIGKILL'), null);
    const restarted = await cluster.head.waitFor(
      new RegExp(`job ${job}: attempt 2 from checkpoint (\\d+): .*slot 0 on (\\w+), slot 1 on (\\w+)`),
    );
    assert.ok(Number(restarted[1]) >= 2);
    assert.ok(!restarted.slice(2).includes(victim), 'the restarted slots avoid the dead node');

    assert.equal(await submit.exited, 0, submit.stderr);
    const summary = JSON.parse(submit.stdout) as { kind: string; partitions: number };
    assert.equal(summary.kind, 'stream');
    assert.match(cluster.head.stderr, new RegExp(`job ${job} finished`));
    const files = readdirSync(out);
    assert.ok(files.includes('_SUCCESS'));

    await generateNexmark({ events: EVENTS, seed: SEED, output: join(work, 'events'), overwrite: false, progress: false });
    const reference = (await referenceResults(join(work, 'events'), ['q5'])).get('q5')!;
    const diff = diffResults(reference, await readCsvParts(out, files));
    assert.equal(diff, null, diff ?? '');
    // A finished job's checkpoints are removed (after any write still in flight).
    await cluster.head.waitFor(new RegExp(`job ${job}: checkpoints removed`));
    assert.equal(existsSync(join(checkpoints, job)), false);
  },
);
