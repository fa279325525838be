// The head's task record: counts by state follow every transition, retries count once per extra
// attempt, filters by state and name, and the oldest tasks go first once the history is full while
// the counters keep counting.
import test from 'ava';
import assert from 'node:assert/strict';
import { TaskEventLog } from '../../../runtime/scheduler/task-events.js';

test('a task through queued, running, retried, failed and finished: counts and counters follow', () => {
  const log = new TaskEventLog();
  log.submitted('t-1', 'add', 100);
  log.submitted('t-2', 'flaky', 101);
  assert.deepEqual(log.counts(), { queued: 2, running: 0, finished: 0, failed: 0 });
  log.running('t-1', 'n-1');
  log.running('t-2', 'n-1');
  log.requeued('t-2');
  log.running('t-2', 'n-2');
  assert.deepEqual(log.counts(), { queued: 0, running: 2, finished: 0, failed: 0 });
  log.ended('t-1', null, 200);
  log.ended('t-2', 'WRT_OPERATOR_ERROR', 300);
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
});

test('past the limit the oldest task records go; counts shrink with them, counters do not', () => {
  const log = new TaskEventLog(3);
  for (let i = 0; i < 5; i++) {
    log.submitted(`t-${i}`, 'add');
    log.running(`t-${i}`, 'n-1');
    log.ended(`t-${i}`, null);
  }
  assert.deepEqual(
    [...log.list()].map((e) => e.taskId),
    ['t-2', 't-3', 't-4'],
  );
  assert.equal(log.counts().finished, 3);
  assert.equal(log.counters.finished, 5);
  log.ended('t-0', null);
  assert.equal(log.counters.finished, 6, 'an end of a dropped record still counts');
  assert.equal(log.counts().finished, 3);
});
