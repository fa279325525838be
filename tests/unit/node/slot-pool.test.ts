// The slot pool: calls reach a thread in batches and run in order; a deadline or a cancel inside a
// batch stops only its own call (the thread is replaced and the rest of the batch runs on the new
// one). A call cancelled before it reaches its thread is never sent, and a stale cancel handle
// cannot stop a later call on the same slot. (A cancelled queued task once ran on the fresh thread
// and its result settled the next task's ObjectRef.)
import test from 'ava';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { SlotPool, type CallControl, type OperatorCall } from '../../../runtime/node/slot-pool.js';
import { nodePlatform } from '../../../runtime/platform/node/platform.js';
import { WrtError } from '../../../runtime/errors.js';
import { FIXTURES } from '../../helpers/wrt-process.js';

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
const sumOf = (bytes: Uint8Array): number => new Float64Array(bytes.slice().buffer)[0]!;

test.serial('a call cancelled while it waits for a slot never runs, and old cancel handles are inert', async () => {
  const pool = new SlotPool(nodePlatform, arena, 1);
  try {
    let running!: (ctl: CallControl) => void;
    const started = new Promise<CallControl>((r) => (running = r));
    const spinning = pool.call(call('spin'), (ctl) => running(ctl));
    const queued = pool.call(call('add'), (ctl) => ctl.cancel(new WrtError('WRT_TASK_CANCELLED', 'cancelled while queued')));
    // The spin call's control is handed out at once; cancelling stops it wherever it is.
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

test.serial('a batch runs in order; a deadline inside it fails that call alone', async () => {
  const pool = new SlotPool(nodePlatform, arena, 1);
  try {
    // One turn's calls reach the thread together.
    const results = await Promise.allSettled([call('add'), call('spin', 300), call('add'), call('add')].map((c) => pool.call(c)));
    assert.deepEqual(
      results.map((r) => (r.status === 'fulfilled' ? sumOf(r.value) : (r.reason as WrtError).code)),
      [4, 'WRT_DEADLINE', 4, 4],
    );
  } finally {
    await pool.close();
  }
});

test.serial('cancelling a call that waits inside a sent batch leaves the calls around it', async () => {
  const pool = new SlotPool(nodePlatform, arena, 1);
  try {
    const controls: CallControl[] = [];
    const spinning = pool.call(call('spin', 500), (ctl) => controls.push(ctl));
    const doomed = pool.call(call('add'), (ctl) => controls.push(ctl));
    const after = pool.call(call('add'));
    // Let the batch leave for the thread, then cancel the call queued behind the spin there.
    await new Promise((r) => setImmediate(r));
    controls[1]!.cancel(new WrtError('WRT_TASK_CANCELLED', 'cancelled inside its batch'));
    const [s, d, a] = await Promise.allSettled([spinning, doomed, after]);
    assert.equal(s.status === 'rejected' && (s.reason as WrtError).code, 'WRT_DEADLINE');
    assert.match(d.status === 'rejected' ? String(d.reason) : 'fulfilled', /cancelled inside its batch/);
    assert.equal(a.status === 'fulfilled' && sumOf(a.value), 4);
  } finally {
    await pool.close();
  }
});
