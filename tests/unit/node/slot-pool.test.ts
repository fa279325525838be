// Cancellation in the slot pool: a call cancelled before it reaches its thread is never sent, and
// a stale cancel handle cannot stop a later call on the same slot. (A cancelled queued task once
// ran on the fresh thread and its result settled the next task's ObjectRef.)
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { SlotPool, type CallControl, type OperatorCall } from '../../../runtime/node/slot-pool.js';
import { nodePlatform } from '../../../runtime/platform/node/platform.js';
import { WrtError } from '../../../runtime/errors.js';
import { FIXTURES } from '../../helpers/wrt-process.js';

test('a call cancelled while it waits for a slot never runs, and old cancel handles are inert', async () => {
  const arena = new WebAssembly.Memory({ initial: 1, maximum: 4, shared: true });
  new Float64Array(arena.buffer, 0, 2).set([2, 2]);
  const module = await WebAssembly.compile(readFileSync(`${FIXTURES}tasks.core.wasm`));
  const call = (operator: string, deadlineMs = 60_000): OperatorCall => ({
    moduleKey: 'tasks',
    module,
    operator,
    partitions: 0,
    inputs:
      operator === 'add'
        ? [
            { offset: 0, length: 8 },
            { offset: 8, length: 8 },
          ]
        : [],
    outputCapBytes: 1 << 20,
    maxMemoryBytes: 64 << 20,
    deadlineMs,
  });
  const pool = new SlotPool(nodePlatform, arena, 1);
  try {
    let running!: (ctl: CallControl) => void;
    const started = new Promise<CallControl>((r) => (running = r));
    const spinning = pool.call(call('spin'), (ctl) => running(ctl));
    const queued = pool.call(call('add'), (ctl) => ctl.cancel(new WrtError('WRT_TASK_CANCELLED', 'cancelled while queued')));
    // The spin call has reached its thread (its control is handed out when it is sent).
    const first = await started;
    first.cancel(new WrtError('WRT_TASK_CANCELLED', 'cancelled while running'));
    await assert.rejects(spinning, /cancelled while running/);
    await assert.rejects(queued, /cancelled while queued/);
    // The next call on the slot spins until its deadline: it must not receive add's 4.
    const next = pool.call(call('spin', 400));
    first.cancel(new WrtError('WRT_TASK_CANCELLED', 'a stale cancel'));
    await assert.rejects(next, (e: unknown) => e instanceof WrtError && e.code === 'WRT_DEADLINE');
    // And the slot still works.
    const sum = new Float64Array((await pool.call(call('add'))).slice().buffer);
    assert.equal(sum[0], 4);
  } finally {
    await pool.close();
  }
});
