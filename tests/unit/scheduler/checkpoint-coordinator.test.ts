// Checkpoint timeout (Flink's execution.checkpointing.timeout): a checkpoint whose acknowledgements
// do not all come in time expires — recorded as failed, naming the subtasks that did not answer —
// and the job restarts from its latest completed checkpoint (no tolerable failures, Flink's
// default); an expired savepoint fails alone and the job goes on. Before, one lost
// acknowledgement stopped every later checkpoint of the job.
import test from 'ava';
import assert from 'node:assert/strict';
import { StreamEnvironment } from '../../../sdk/datastream.js';
import { planStreamJob } from '../../../runtime/stream/execution-graph.js';
import {
  CheckpointCoordinator,
  DEFAULT_CHECKPOINT_TIMEOUT_MS,
  type CoordinatedJob,
} from '../../../runtime/scheduler/checkpoint-coordinator.js';
import type { FailureRecord } from '../../../runtime/errors.js';

const BID = [
  { name: 'auction', type: 'I64' as const },
  { name: 'dateTime', type: 'Timestamp' as const },
];

function coordinator(timeoutMs: number | undefined) {
  const env = new StreamEnvironment('expiry');
  env.source('bids', { format: 'nexmark', columns: BID, parallelism: 2 }).sinkTo('out', { format: 'csv', parallelism: 2 });
  const plan = planStreamJob(env.build(), {}, 2);
  const triggered: number[] = [];
  const expired: FailureRecord[] = [];
  const job: CoordinatedJob = {
    jobId: 'j-1',
    plan,
    checkpointIntervalMs: 100,
    checkpointTimeoutMs: timeoutMs,
    attempt: () => 1,
    terminal: () => false,
    finishedState: () => undefined,
    allFinished: () => false,
    trigger: (id) => triggered.push(id),
    commit: () => {},
    stopped: () => {},
    log: () => {},
    expired: (f) => expired.push(f),
  };
  return { c: new CheckpointCoordinator(job, undefined), triggered, expired };
}

test('a checkpoint without every acknowledgement expires at its timeout and restarts the job; one that completes does not', async () => {
  const { c, triggered, expired } = coordinator(1000);
  c.deployed(0);
  c.maybeTrigger(100);
  assert.deepEqual(triggered, [1]);
  c.acknowledge(1, 'bids#0', new Uint8Array([1]));
  c.acknowledge(1, 'bids#1', new Uint8Array([2]));
  c.acknowledge(1, 'out#0', new Uint8Array([3]));
  c.maybeTrigger(1099);
  assert.equal(expired.length, 0, 'not before its timeout');
  assert.deepEqual(triggered, [1], 'no second checkpoint while one is in flight');

  c.maybeTrigger(1100);
  assert.equal(expired.length, 1);
  assert.equal(expired[0]!.code, 'WRT_TIMEOUT');
  assert.equal(expired[0]!.retryable, true, 'the job restarts from its latest checkpoint');
  assert.match(expired[0]!.message, /checkpoint 1 expired after 1000 ms \(timeout 1000 ms\) without the acknowledgement of out#1$/);
  assert.equal(c.history[0]!.status, 'failed');
  assert.match(c.history[0]!.failure, /without the acknowledgement of out#1/);
  assert.deepEqual(c.counts, { completed: 0, failed: 1 });

  // The job restarted: the next checkpoint is triggered, and a late acknowledgement of 1 is ignored.
  c.restart();
  c.deployed(1100);
  c.maybeTrigger(1200);
  assert.deepEqual(triggered, [1, 2]);
  c.acknowledge(1, 'out#1', new Uint8Array([4]));
  for (const key of ['bids#0', 'bids#1', 'out#0', 'out#1']) c.acknowledge(2, key, new Uint8Array([9]));
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(c.latest?.id, 2);
  c.maybeTrigger(5000);
  assert.equal(expired.length, 1, 'a completed checkpoint does not expire');
});

test('an expired savepoint fails its request alone; the job goes on and checkpoints again', async () => {
  const { c, triggered, expired } = coordinator(500);
  c.deployed(0);
  const answers: (FailureRecord | null)[] = [];
  c.requestSavepoint({ dir: '', stop: true, done: (err) => answers.push(err) });
  c.maybeTrigger(10);
  assert.deepEqual(triggered, [1]);
  c.maybeTrigger(510);
  assert.equal(expired.length, 0, 'no restart for a savepoint');
  assert.equal(answers.length, 1);
  assert.equal(answers[0]?.code, 'WRT_TIMEOUT');
  assert.match(answers[0].message, /savepoint 1 expired .* bids#0, bids#1, out#0, out#1$/);
  assert.deepEqual(triggered, [1, 2], 'the next checkpoint is due at once (the interval has passed)');
});

test("the timeout defaults to Flink's 10 minutes", () => {
  const { c, expired } = coordinator(undefined);
  c.deployed(0);
  c.maybeTrigger(100);
  c.maybeTrigger(100 + DEFAULT_CHECKPOINT_TIMEOUT_MS - 1);
  assert.equal(expired.length, 0);
  c.maybeTrigger(100 + DEFAULT_CHECKPOINT_TIMEOUT_MS);
  assert.equal(expired.length, 1);
  assert.equal(DEFAULT_CHECKPOINT_TIMEOUT_MS, 600_000);
});
