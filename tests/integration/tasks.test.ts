// Ray-style tasks, actors and ObjectRefs through the SDK, against real head and node processes.
import test from 'ava';
import assert from 'node:assert/strict';
import { FIXTURES, TestCluster, killAll } from '../helpers/wrt-process.js';
import { init, asNumber, TaskError, WrtError, type Runtime, type WasmModule } from '../../sdk/node.js';

const TASKS = `${FIXTURES}tasks.wasm`;
let cluster: TestCluster;
let rt: Runtime;
let mod: WasmModule;

test.before(async () => {
  cluster = await TestCluster.start([
    // No GPUs here, so tasks asking for one are infeasible (GPU tasks: gpu-tasks.test.ts).
    { name: 'one', cpus: 1, args: ['--no-gpu'] },
    { name: 'two', cpus: 1, resources: { accelerator: 1 }, args: ['--no-gpu'] },
  ]);
  rt = await init({ address: cluster.address });
  mod = await rt.load(TASKS);
});
test.after.always(async () => {
  await rt?.shutdown();
  await cluster?.stop();
  await killAll();
});

test.serial('tasks depend on each other through refs, resolved where they run', async () => {
  const add = mod.remote('add');
  const a = add.call(1, 2);
  const b = add.call(a, 10);
  const c = add.call(a, b);
  assert.equal(asNumber(await rt.get(c)), 16);
  // A result too big to travel inline stays in a node's store; the consumer pulls it there.
  const big = mod.remote('fill').call(500_000);
  let expected = 0;
  for (let i = 0; i < 500_000; i++) expected += i % 251;
  assert.equal(asNumber(await rt.get(mod.remote('checksum').call(big))), expected);
  const bytes = await rt.get(big);
  assert.equal(bytes.byteLength, 500_000);
  assert.equal(bytes[300_000], 300_000 % 251);
});

test.serial('put objects, typed-array arguments and many refs at once', async () => {
  const ref = rt.put(new Float64Array([1.5, 2.5]));
  assert.deepEqual([...new Float64Array((await rt.get(ref)).slice().buffer)], [1.5, 2.5]);
  const echo = mod.remote('echo');
  const refs = Array.from({ length: 200 }, (_, i) => echo.call(`item ${i}`));
  const out = await rt.get(refs);
  assert.deepEqual(
    out.map((b) => new TextDecoder().decode(b)),
    refs.map((_, i) => `item ${i}`),
  );
  const large = rt.put(new Uint8Array(300_000).fill(7));
  assert.equal(asNumber(await rt.get(mod.remote('checksum').call(large))), 2_100_000);
});

test.serial('a put of up to 100 KiB is ready at once, a copy, and reaches the tasks submitted after it', async () => {
  const source = new Uint8Array(100 * 1024).fill(3);
  const small = rt.put(source);
  source.fill(9);
  // Ready before any message could have come back (as a Ray owner's small objects).
  const { ready } = await rt.wait([small], { timeoutMs: 0 });
  assert.deepEqual(ready, [small]);
  assert.equal((await rt.get(small))[0], 3);
  // The head has it for a task submitted next: messages on one connection arrive in order.
  assert.equal(asNumber(await rt.get(mod.remote('checksum').call(small))), 3 * 100 * 1024);
  // One byte more goes to a node's store, ready once the head says so.
  const larger = rt.put(new Uint8Array(100 * 1024 + 1).fill(2));
  assert.equal(asNumber(await rt.get(mod.remote('checksum').call(larger))), 2 * (100 * 1024 + 1));
  for (const r of [small, larger]) r.release();
  assert.throws(
    () => mod.remote('checksum').call(small),
    (e: unknown) => e instanceof WrtError && e.code === 'WRT_OBJECT_LOST',
  );
});

test.serial('errors from user code arrive typed, with the task, the function and the cause; they propagate', async () => {
  const failed = mod.remote('fail').call();
  await assert.rejects(rt.get(failed), (e: unknown) => {
    assert.ok(e instanceof TaskError);
    assert.equal(e.code, 'WRT_OPERATOR_ERROR');
    assert.equal(e.functionName, 'fail');
    assert.match(e.taskId, /^t-/);
    assert.match(String(e.cause), /failure requested by the test/);
    return true;
  });
  await assert.rejects(
    rt.get(mod.remote('trap').call()),
    (e: unknown) => e instanceof TaskError && e.code === 'WRT_OPERATOR_TRAP' && /trapped: unreachable/.test(e.message),
  );
  // A task whose argument failed fails with that failure.
  await assert.rejects(rt.get(mod.remote('echo').call(failed)), (e: unknown) => e instanceof TaskError && e.code === 'WRT_OPERATOR_ERROR');
  assert.throws(
    () => mod.remote('nope'),
    (e: unknown) => e instanceof WrtError && e.code === 'WRT_MISSING_EXPORT',
  );
  assert.throws(
    () => mod.remote('echo', { cpus: -1 }),
    (e: unknown) => e instanceof WrtError && e.code === 'WRT_INVALID_ARGUMENT',
  );
});

test.serial('retries: user errors are retried only with retryExceptions', async () => {
  // Each slot's instance fails its first flaky call; a retry runs on an instance that has failed once.
  const plain = mod.remote('flaky', { maxRetries: 0 });
  const retried = mod.remote('flaky', { retryExceptions: true, maxRetries: 3 });
  const results = await Promise.allSettled([rt.get(plain.call()), rt.get(retried.call()), rt.get(retried.call())]);
  assert.ok(
    results.slice(1).every((r) => r.status === 'fulfilled'),
    JSON.stringify(results),
  );
});

test.serial('tasks that can never run fail naming the missing resource; deadlines stop runaway calls', async () => {
  await assert.rejects(
    rt.get(mod.remote('echo', { resources: { special: 1 } }).call('x')),
    (e: unknown) => e instanceof TaskError && e.code === 'WRT_INFEASIBLE' && /short of special/.test(e.message),
  );
  await assert.rejects(
    rt.get(mod.remote('echo', { gpus: 1 }).call('x')),
    (e: unknown) => e instanceof TaskError && e.code === 'WRT_INFEASIBLE' && /gpus/.test(e.message),
  );
  await assert.rejects(
    rt.get(mod.remote('spin', { deadlineMs: 300, maxRetries: 0 }).call()),
    (e: unknown) => e instanceof TaskError && e.code === 'WRT_DEADLINE',
  );
});

test.serial('wait with a timeout, then cancel a running task and a queued one', async () => {
  const spin = mod.remote('spin', { maxRetries: 0 });
  const quick = mod.remote('add').call(1, 1);
  const slow = spin.call();
  const w = await rt.wait([slow, quick], { numReturns: 2, timeoutMs: 500 });
  assert.deepEqual(w.ready, [quick]);
  assert.deepEqual(w.notReady, [slow]);
  const slow2 = spin.call(); // both slots now spin
  const queued = mod.remote('add').call(2, 2); // waits for a slot
  rt.cancel(queued);
  rt.cancel(slow);
  rt.cancel(slow2);
  for (const r of [slow, slow2, queued])
    await assert.rejects(rt.get(r), (e: unknown) => e instanceof TaskError && e.code === 'WRT_TASK_CANCELLED');
  await assert.rejects(rt.get(spin.call(), { timeoutMs: 100 }), (e: unknown) => e instanceof WrtError && e.code === 'WRT_TIMEOUT');
});

test.serial('actor calls run in submission order on the actor state; named actors are found by name', async () => {
  const counter = await mod.actor('counter', { name: 'tally' }).create(100);
  const refs = [1, 2, 3, 4, 5, 6, 7, 8, 9].map((i) => counter.call('increment', i));
  const values = (await rt.get(refs)).map(asNumber);
  assert.deepEqual(values, [101, 103, 106, 110, 115, 121, 128, 136, 145]);
  assert.equal(asNumber(await rt.get(counter.call('history'))), 123456789);
  const again = await rt.getActor('tally');
  assert.equal(asNumber(await rt.get(again.call('total'))), 145);
  await assert.rejects(rt.getActor('nobody'), (e: unknown) => e instanceof WrtError && e.code === 'WRT_ACTOR_NOT_FOUND');
  // An argument that is a ref waits for its object, and order still holds.
  const slowArg = mod.remote('add').call(0.5, 0.5);
  const r1 = counter.call('increment', slowArg);
  const r2 = counter.call('increment', 2);
  assert.deepEqual((await rt.get([r1, r2])).map(asNumber), [146, 148]);
});

test.serial('an actor whose code traps restarts up to maxRestarts, with fresh state', async () => {
  const counter = await mod.actor('counter', { maxRestarts: 1 }).create(10);
  assert.equal(asNumber(await rt.get(counter.call('increment', 5))), 15);
  await assert.rejects(rt.get(counter.call('trap')), (e: unknown) => e instanceof TaskError && e.code === 'WRT_OPERATOR_TRAP');
  assert.equal(asNumber(await rt.get(counter.call('increment', 1))), 11, 'restarted from the constructor');
  await assert.rejects(rt.get(counter.call('trap')), (e: unknown) => e instanceof TaskError);
  await assert.rejects(rt.get(counter.call('total')), (e: unknown) => e instanceof TaskError && e.code === 'WRT_ACTOR_DIED');
});

test.serial('tasks asking for a custom resource run on the node that offers it', async () => {
  // Only node "two" offers `accelerator`; without it these would be infeasible (see above).
  const onAccelerator = mod.remote('echo', { resources: { accelerator: 1 } });
  const refs = Array.from({ length: 6 }, (_, i) => onAccelerator.call(`r${i}`));
  assert.deepEqual(
    (await rt.get(refs)).map((b) => new TextDecoder().decode(b)),
    refs.map((_, i) => `r${i}`),
  );
});
