// The SDK's embedded cluster (docs/adr/0006): init() with no address runs the head and a node in
// the driver's process. Drivers elsewhere join over its socket; puts go straight into the node's
// arena and gets of stored objects are views of it, which keep their object until collected.
import test from 'ava';
import assert from 'node:assert/strict';
import { until } from '../helpers/until.js';
import v8 from 'node:v8';
import vm from 'node:vm';
import { FIXTURES } from '../helpers/wrt-process.js';
import { init, asNumber, type ObjectRef, type Runtime, type WasmModule } from '../../sdk/node.js';
import type { ClusterStatus } from '../../runtime/head/head.js';
import { resolveToken } from '../../runtime/launch/node/cluster-token.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const TASKS = `${FIXTURES}tasks.wasm`;
let rt: Runtime;
let mod: WasmModule;

test.before(async () => {
  rt = await init({ cpus: 2, gpuNodes: 0 });
  mod = await rt.load(TASKS);
});
test.after.always(async () => {
  await rt?.shutdown();
});

/** The Authorization header for the loopback head at `address` (its token file, as `wrt status` reads it). */
async function bearer(address: string): Promise<RequestInit> {
  return { headers: { Authorization: `Bearer ${await resolveToken(address)}` } };
}

async function status(): Promise<ClusterStatus> {
  const res = await fetch(rt.address.replace(/^ws/, 'http').replace(/\/ws$/, '/api/status'), await bearer(rt.address));
  return (await res.json()) as ClusterStatus;
}

/** The head's status once `ok` holds for it (nodes report store use with each heartbeat). */
function statusWhen(ok: (s: ClusterStatus) => boolean, what: string): Promise<ClusterStatus> {
  return until(async () => {
    const s = await status();
    return ok(s) ? s : undefined;
  }, what);
}

test.serial('init() runs a head and a node in this process; another driver joins over its socket', async () => {
  const s = await status();
  assert.equal(s.nodes.length, 1);
  assert.equal(s.nodes[0]!.name, 'local-1');
  assert.equal(s.nodes[0]!.cpus, 2);
  const add = mod.remote('add');
  const a = add.call(1, 2);
  assert.equal(asNumber(await rt.get(add.call(a, add.call(a, 10)))), 16);
  // Calls to one actor made in one burst run in order (they reach its thread in batches).
  const counter = await mod.actor('counter').create(0);
  const refs = Array.from({ length: 500 }, (_, i) => counter.call('increment', i + 1));
  const values = (await rt.get(refs)).map(asNumber);
  assert.deepEqual(
    values,
    Array.from({ length: 500 }, (_, i) => ((i + 1) * (i + 2)) / 2),
  );
  const other = await init({ address: rt.address });
  try {
    const mod2 = await other.load(TASKS);
    const sums = await other.get(Array.from({ length: 200 }, (_, i) => mod2.remote('add').call(i, 1)));
    assert.deepEqual(
      sums.map(asNumber),
      Array.from({ length: 200 }, (_, i) => i + 1),
    );
  } finally {
    await other.shutdown();
  }
});

test.serial('puts land in the in-process arena; gets of stored objects are views that keep their object', async () => {
  // (What earlier calls left may still be on its way out: the end checks for at most this.)
  const baseline = (await status()).nodes[0]!.storeUsedBytes;
  assert.ok(baseline < 2 ** 20, `the arena starts nearly empty (${baseline} bytes)`);
  const size = 4 * 2 ** 20;
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i++) data[i] = (i * 7) % 251;
  let put: ObjectRef | null = rt.put(data);
  data[0] = 99; // the put copied the bytes: the object keeps its own
  let view: Uint8Array | null = await rt.get(put);
  assert.ok(view.buffer instanceof SharedArrayBuffer, 'a get on the node that holds the object is a view of its arena');
  assert.equal(view.byteLength, size);
  assert.equal(view[0], 0);
  assert.equal(view[size - 1], ((size - 1) * 7) % 251);
  // A task reads the same object where it is.
  let expected = 0;
  for (let i = 0; i < size; i++) expected += ((i * 7) % 251) % 251;
  assert.equal(asNumber(await rt.get(mod.remote('checksum').call(put))), expected);
  // A task's result too big to travel inline stays in the arena, and comes back as a view too.
  let filled: ObjectRef | null = mod.remote('fill').call(500_000);
  let filledView: Uint8Array | null = await rt.get(filled);
  assert.ok(filledView.buffer instanceof SharedArrayBuffer);
  assert.equal(filledView[300_000], 300_000 % 251);
  await statusWhen((st) => st.nodes[0]!.storeUsedBytes >= size + 500_000, 'the node holds both objects');
  // Released refs: the views still hold their objects, with the same bytes.
  put.release();
  filled.release();
  assert.equal(view[size - 1], ((size - 1) * 7) % 251);
  // Once the views are gone too, the arena is back where it started.
  put = null;
  filled = null;
  view = null;
  filledView = null;
  await statusWhen((st) => {
    gc(); // the views' finalizers run after a collection
    return st.nodes[0]!.storeUsedBytes <= baseline;
  }, 'the arena is back at its baseline');
});

test.serial('init({ nodes: 2 }) adds a node process; objects there come back as copies; shutdown stops it', async () => {
  const rt2 = await init({ nodes: 2, cpus: 1, gpuNodes: 0 });
  let stopped = false;
  try {
    const res = await fetch(rt2.address.replace(/^ws/, 'http').replace(/\/ws$/, '/api/status'), await bearer(rt2.address));
    const st = (await res.json()) as ClusterStatus;
    assert.deepEqual(st.nodes.map((n) => n.name).sort(), ['local-1', 'local-2']);
    const m = await rt2.load(TASKS);
    // Two results too big to travel inline, one per node (each node has one slot).
    const refs = [m.remote('fill').call(300_000), m.remote('fill').call(300_000)];
    const views = await rt2.get(refs);
    for (const v of views) assert.equal(v[250_000], 250_000 % 251);
    // Whichever came from the node process is a copy, not a view of this process's arena.
    assert.ok(views.some((v) => !(v.buffer instanceof SharedArrayBuffer)));
    await rt2.shutdown();
    stopped = true;
    await assert.rejects(fetch(rt2.address.replace(/^ws/, 'http') + '/api/status'));
  } finally {
    if (!stopped) await rt2.shutdown();
  }
});
