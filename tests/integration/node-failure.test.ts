// A node SIGKILLed in the middle of a job: the head notices, reruns its subtasks (and the map
// outputs lost with it) elsewhere, and the output is byte-identical to an undisturbed run.
import test from 'ava';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CORPUS, WORDCOUNT, TestCluster, killAll, runWrt, startWrt } from '../helpers/wrt-process.js';
import { assertWordcount, readParts } from '../helpers/wordcount-output.js';

const work = mkdtempSync(join(tmpdir(), 'wrt-kill-'));
test.after.always(async () => {
  await killAll();
  rmSync(work, { recursive: true, force: true });
});

test.serial('SIGKILL of a node mid-job: the job completes with identical output', async () => {
  const input = [join(CORPUS, 'easy-ham-1', '*.txt'), join(CORPUS, 'spam-2', '*.txt')];
  const files = ['easy-ham-1', 'spam-2'].flatMap((d) =>
    readdirSync(join(CORPUS, d))
      .filter((f) => f.endsWith('.txt'))
      .sort()
      .map((f) => join(CORPUS, d, f)),
  );
  const baseline = join(work, 'baseline');
  const undisturbed = await runWrt(['submit', WORDCOUNT, '--input', ...input, '--output', baseline, '--chunk-mb', '0.1']);
  assert.equal(undisturbed.code, 0, undisturbed.stderr);

  const cluster = await TestCluster.start(
    [
      { name: 'survivor', cpus: 1 },
      { name: 'victim', cpus: 1 },
    ],
    ['--heartbeat-interval-ms', '200', '--heartbeat-timeout-ms', '2000'],
  );
  try {
    const out = join(work, 'killed');
    const job = startWrt([
      'submit',
      WORDCOUNT,
      '--address',
      cluster.address,
      '--input',
      ...input,
      '--output',
      out,
      '--chunk-mb',
      '0.1',
      '--json',
    ]);
    // Wait until the victim has finished work of this job (its map outputs live in its store).
    await cluster.statusWhen((s) => (s.nodes.find((n) => n.name === 'victim')?.tasksFinished ?? 0) >= 3, 'the victim to finish 3 subtasks');
    assert.equal(job.child.exitCode, null, 'the job ended before the node could be killed');
    await cluster.nodes.get('victim')!.kill('SIGKILL');
    await cluster.head.waitFor(/node n-\d+ "victim" lost/);
    const code = await job.exited;
    assert.equal(code, 0, job.stderr);
    assertWordcount(out, files);
    assert.ok(readParts(out).bytes.equals(readParts(baseline).bytes), 'output differs from the undisturbed run');
    const s = await cluster.status();
    assert.deepEqual(
      s.nodes.map((n) => n.name),
      ['survivor'],
    );
  } finally {
    await cluster.stop();
  }
});

test.serial('a node that stops heartbeating (SIGSTOP) is declared lost within the heartbeat timeout', async () => {
  const cluster = await TestCluster.start(
    [{ name: 'frozen', cpus: 1 }],
    ['--heartbeat-interval-ms', '200', '--heartbeat-timeout-ms', '1500'],
  );
  try {
    const node = cluster.nodes.get('frozen')!;
    const stoppedAt = Date.now();
    node.child.kill('SIGSTOP');
    const m = await cluster.head.waitFor(/node n-\d+ "frozen" lost \(no heartbeat for (\d+) ms\)/, 10_000);
    const elapsed = Date.now() - stoppedAt;
    assert.ok(Number(m[1]) >= 1500, `declared lost after ${m[1]} ms of silence`);
    assert.ok(elapsed < 1500 + 2000, `took ${elapsed} ms to notice`);
    node.child.kill('SIGCONT');
    // The node finds its connection closed and exits on its own.
    assert.equal(await node.exited, 1);
    assert.match(node.stderr, /lost the head/);
    assert.deepEqual((await cluster.status()).nodes, []);
  } finally {
    await cluster.stop();
  }
});
