// The head's task queue: first in first out through compaction, removal, filtering and moving a
// ready task to the front, over enough ids that the array is compacted many times.
import test from 'ava';
import assert from 'node:assert/strict';
import { TaskQueue } from '../../../runtime/scheduler/task-queue.js';

test('push and shift keep order across compactions; remove, retain and moveToFront keep the rest in order', () => {
  const q = new TaskQueue();
  for (let i = 0; i < 10_000; i++) q.push(`t${i}`);
  for (let i = 0; i < 6_000; i++) assert.equal(q.shift(), `t${i}`);
  assert.equal(q.length, 4_000);
  assert.equal(q.peek(), 't6000');
  assert.ok(q.remove('t6001'));
  assert.ok(!q.remove('t0'), 'a consumed id is not in the queue');
  assert.equal(
    q.moveToFront((id) => id === 't9000'),
    't9000',
  );
  assert.equal(
    q.moveToFront(() => false),
    null,
  );
  q.retain((id) => Number(id.slice(1)) % 1000 === 0);
  const rest: string[] = [];
  for (let id = q.shift(); id !== undefined; id = q.shift()) rest.push(id);
  assert.deepEqual(rest, ['t9000', 't6000', 't7000', 't8000']);
  assert.equal(q.length, 0);
  assert.equal(q.peek(), undefined);
});
