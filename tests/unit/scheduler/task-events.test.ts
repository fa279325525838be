// The head's task record: counts by state follow every transition, retries count once per extra
// attempt, filters by state and name, and the oldest tasks go first once the history is full while
// the counters keep counting.
import test from 'ava';
import assert from 'node:assert/strict';
import { TaskEventLog } from '../../../runtime/scheduler/task-events.js';

test('a task through queued, running, retried, failed and finished: counts and counters follow', () => {
  const log = new TaskEventLog();
  const t1 = log.submitted('t-1', 'add', 100);
  const t2 = log.submitted('t-2', 'flaky', 101);
  assert.deepEqual(log.counts(), { queued: 2, running: 0, finished: 0, failed: 0 });
  log.running(t1, 'n-1');
  log.running(t2, 'n-1');
  log.requeued(t2);
  log.running(t2, 'n-2');
  assert.deepEqual(log.counts(), { queued: 0, running: 2, finished: 0, failed: 0 });
  log.ended(t1, null, 200);
  log.ended(t2, 'WRT_OPERATOR_ERROR', 300);
  assert.deepEqual(log.counts(), { queued: 0, running: 0, finished: 1, failed: 1 });
  assert.deepEqual(log.counters, { submitted: 2, finished: 1, failed: 1, retried: 1 });
  const [failed] = [...log.list({ state: 'failed' })];
  assert.deepEqual(failed, {
    taskId: 't-2',
    name: 'flaky',
    state: 'failed',
    nodeId: 'n-2',
    attempts: 2,
    submittedAt: 101,
    endedAt: 300,
    errorCode: 'WRT_OPERATOR_ERROR',
  });
  assert.deepEqual(
    [...log.list({ name: 'add' })].map((e) => e.taskId),
    ['t-1'],
  );
  assert.deepEqual([...log.list({ state: 'no-such-state' })], []);
  assert.equal([...log.list({ state: 'finished' })][0]!.endedAt, 200);
  assert.equal([...log.list({ state: 'finished' })][0]!.nodeId, 'n-1');
});

test('past the limit the oldest task records go; counts shrink with them, counters do not', () => {
  const log = new TaskEventLog(3);
  const events: number[] = [];
  for (let i = 0; i < 5; i++) {
    const e = log.submitted(`t-${i}`, 'add');
    log.running(e, 'n-1');
    log.ended(e, null);
    events.push(e);
  }
  assert.deepEqual(
    [...log.list()].map((e) => e.taskId),
    ['t-2', 't-3', 't-4'],
  );
  assert.equal(log.counts().finished, 3);
  assert.equal(log.counters.finished, 5);
  log.requeued(events[0]!);
  log.ended(events[0]!, null);
  assert.equal(log.counters.finished, 6, 'an end of a dropped record still counts');
  assert.deepEqual(log.counts(), { queued: 0, running: 0, finished: 3, failed: 0 }, 'a dropped record moves no count');
});

test('thousands of evictions keep the newest records in order and the counts exact', () => {
  const log = new TaskEventLog(3);
  const running: number[] = [];
  for (let i = 0; i < 20_000; i++) {
    const e = log.submitted(`t-${i}`, 'f');
    if (i % 2 === 0) {
      log.running(e, 'n-1');
      running.push(e);
    }
  }
  assert.deepEqual(
    [...log.list()].map((e) => e.taskId),
    ['t-19997', 't-19998', 't-19999'],
  );
  assert.deepEqual(log.counts(), { queued: 2, running: 1, finished: 0, failed: 0 });
  for (const e of running) log.ended(e, null); // only t-19998's record is kept
  assert.deepEqual(log.counts(), { queued: 2, running: 0, finished: 1, failed: 0 });
  assert.equal(log.counters.finished, 10_000);
});
