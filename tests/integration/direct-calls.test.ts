// Direct actor calls (ADR 0009) against real head and node processes: a driver calls its actors
// at their node without the head relaying each call; order, results passed on, failures and the
// listener's refusals (the attack cases).
import test from 'ava';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { FIXTURES, TestCluster, killAll } from '../helpers/wrt-process.js';
import { init, asNumber, TaskError, type Runtime, type WasmModule } from '../../sdk/node.js';
import { decodeFrame, encodeFrame, encodeMessage } from '../../runtime/protocol/codec.js';
import type { Message } from '../../runtime/protocol/messages.js';
import { signRoute } from '../../runtime/protocol/route-ticket.js';

const TASKS = `${FIXTURES}tasks.wasm`;
let cluster: TestCluster;
let rt: Runtime;
let mod: WasmModule;
/** Nodes killed by a test (the attack test skips them). */
const killed = new Set<string>();

/** Node `name`'s id and direct address, from the line it printed when it joined. */
function nodeOf(name: string): { id: string; address: string } {
  const m = cluster.nodes.get(name)!.stdout.match(/wrt node (n-\d+) .*direct actor calls at (ws:\S+)/);
  assert.ok(m, `node ${name} printed its direct address`);
  return { id: m[1]!, address: m[2]! };
}

/** Direct calls the head has heard of (node heartbeats), over all nodes. */
async function directCalls(): Promise<number> {
  return (await cluster.status()).nodes.reduce((s, n) => s + ((n as { directCalls?: number }).directCalls ?? 0), 0);
}

test.before(async () => {
  cluster = await TestCluster.start([
    { name: 'one', cpus: 1, args: ['--no-gpu'] },
    { name: 'two', cpus: 1, args: ['--no-gpu'] },
  ]);
  rt = await init({ address: cluster.address });
  mod = await rt.load(TASKS);
});
test.after.always(async () => {
  await rt?.shutdown();
  await cluster?.stop();
  await killAll();
});

test.serial('calls go straight to the node, in order with calls through the head; results pass on to tasks and calls', async () => {
  const counter = await mod.actor('counter').create(0);
  // Warm: the route arrives just after the actor is Alive; the first calls may go through the head.
  for (let i = 0; i < 20; i++) await rt.get(counter.call('total'));
  const before = await directCalls();
  const values: number[] = [];
  let expected = 0;
  const refs = [];
  for (let i = 1; i <= 30; i++) {
    // Every fifth call has a ref argument (through the head); the rest go directly.
    const arg = i % 5 === 0 ? mod.remote('add').call(i - 0.5, 0.5) : i;
    refs.push(counter.call('increment', arg));
    expected += i;
    values.push(expected);
  }
  assert.deepEqual((await rt.get(refs)).map(asNumber), values);
  // A direct result as an argument of a task and of another call (put on the way).
  const r = counter.call('increment', 1);
  assert.equal(asNumber(await rt.get(mod.remote('add').call(r, 1000))), expected + 1 + 1000);
  assert.equal(asNumber(await rt.get(counter.call('increment', counter.call('total')))), 2 * (expected + 1));
  // A large result comes back whole and passes on to a task on any node.
  const big = counter.call('fill', 3_000_000);
  let sum = 0;
  for (let i = 0; i < 3_000_000; i++) sum += i % 251;
  assert.equal(asNumber(await rt.get(mod.remote('checksum').call(big))), sum);
  assert.equal((await rt.get(big)).byteLength, 3_000_000);
  const after = await (async () => {
    for (;;) {
      const n = await directCalls();
      if (n >= before + 24) return n;
      await new Promise((res) => setTimeout(res, 200)); // heartbeats carry the count (1 s apart)
    }
  })();
  assert.ok(after - before >= 24, `${after - before} direct calls counted`);
});

test.serial('a failing direct call fails its dependents without running them; the actor restarts and calls go on', async () => {
  const counter = await mod.actor('counter', { maxRestarts: 1 }).create(10);
  for (let i = 0; i < 5; i++) await rt.get(counter.call('total'));
  const bad = counter.call('trap');
  const dependent = mod.remote('add').call(bad, 1);
  await assert.rejects(rt.get(bad), (e: unknown) => e instanceof TaskError && e.code === 'WRT_OPERATOR_TRAP');
  await assert.rejects(rt.get(dependent), (e: unknown) => e instanceof TaskError && e.code === 'WRT_OPERATOR_TRAP');
  assert.equal(asNumber(await rt.get(counter.call('increment', 1))), 11, 'restarted from the constructor');
});

test.serial('a killed node: its pending direct calls fail with WRT_ACTOR_DIED; the restarted actor is called again', async () => {
  await cluster.addNode('three', 1, undefined, ['--no-gpu']);
  const counter = await mod.actor('counter', { maxRestarts: 1, resources: {} }).create(0);
  for (let i = 0; i < 5; i++) await rt.get(counter.call('total'));
  const hosts = (await cluster.status()).nodes.filter((n) => n.alive);
  // Find the actor's node by asking the nodes' counts to move: call, then see who counted.
  const counts = new Map(hosts.map((n) => [n.name, (n as { directCalls?: number }).directCalls ?? 0]));
  for (let i = 0; i < 50; i++) await rt.get(counter.call('total'));
  const moved = await cluster.statusWhen(
    (s) => s.nodes.some((n) => ((n as { directCalls?: number }).directCalls ?? 0) >= (counts.get(n.name) ?? 0) + 50),
    'the direct calls counted',
  );
  const host = moved.nodes.find((n) => ((n as { directCalls?: number }).directCalls ?? 0) >= (counts.get(n.name) ?? 0) + 50)!;
  const spin = counter.call('spin', 2000);
  killed.add(host.name);
  await cluster.nodes.get(host.name)!.kill('SIGKILL');
  await assert.rejects(rt.get(spin), (e: unknown) => e instanceof TaskError && e.code === 'WRT_ACTOR_DIED');
  // A call made before the head declares the node lost fails as one in flight would; after, it
  // reaches the actor restarted elsewhere.
  await cluster.statusWhen((s) => !s.nodes.some((n) => n.name === host.name && n.alive), 'the killed node declared lost');
  assert.equal(asNumber(await rt.get(counter.call('increment', 7), { timeoutMs: 30_000 })), 7, 'restarted elsewhere');
});

test.serial('a node started with --no-direct takes no direct calls: its actors are called through the head', async () => {
  const node = await cluster.addNode('relayed', 1, { relayOnly: 1 }, ['--no-gpu', '--no-direct']);
  const [joined] = await node.waitFor(/wrt node n-\d+ "relayed" joined[^\n]*\n/);
  assert.doesNotMatch(joined, /direct actor calls at/);
  const counter = await mod.actor('counter', { resources: { relayOnly: 1 } }).create(0);
  const refs = Array.from({ length: 40 }, (_, i) => counter.call('increment', i + 1));
  assert.equal(asNumber((await rt.get(refs))[39]!), (40 * 41) / 2);
  const s = await cluster.statusWhen((x) => x.nodes.some((n) => n.name === 'relayed' && n.tasksFinished >= 41), 'the calls counted');
  assert.equal((s.nodes.find((n) => n.name === 'relayed') as { directCalls?: number }).directCalls, 0);
});

/** Opens a raw WebSocket to a direct address; resolves with the socket and what arrives on it. */
async function raw(
  address: string,
  headers: Record<string, string> = {},
): Promise<{ ws: WebSocket; got: Message[]; closed: Promise<number> }> {
  const ws = new WebSocket(address, { headers });
  const got: Message[] = [];
  const closed = new Promise<number>((res) => ws.on('close', (code) => res(code)));
  ws.on('message', (data: Buffer) => got.push(...decodeFrame(new Uint8Array(data))));
  await new Promise<void>((res, rej) => {
    ws.once('open', () => res());
    ws.once('error', rej);
  });
  return { ws, got, closed };
}
const send = (ws: WebSocket, ...ms: Message[]): void => ws.send(encodeFrame(ms.map(encodeMessage)));
const call = (actorId: string): Message => ({
  type: 'ActorCall',
  actorId,
  method: 'total',
  args: [],
  returnId: `o-attack-${Math.random()}`,
});

test.serial('attack: the listener refuses calls without a valid route for that actor at that node', async () => {
  const counter = await mod.actor('counter').create(5);
  await rt.get(counter.call('total'));
  const nodes = [...cluster.nodes.keys()]
    .filter((n) => !killed.has(n) && /direct actor calls at/.test(cluster.nodes.get(n)!.stdout))
    .map((n) => ({ name: n, ...nodeOf(n) }));
  const expiresMs = Date.now() + 30_000;
  const forbidden = async (address: string, ...ms: Message[]): Promise<string> => {
    const c = await raw(address);
    send(c.ws, ...ms);
    assert.equal(await c.closed, 1008);
    const err = c.got.find((m) => m.type === 'ErrorMessage');
    assert.ok(err && err.type === 'ErrorMessage' && err.failure.code === 'WRT_FORBIDDEN', JSON.stringify(c.got.map((m) => m.type)));
    assert.ok(!c.got.some((m) => m.type === 'TaskStatus'), 'no call ran');
    return err.failure.message;
  };
  for (const n of nodes) {
    const route = async (actorId: string, nodeId: string, exp = expiresMs): Promise<Message> => ({
      type: 'ActorRoute',
      actorId,
      nodeId,
      address: n.address,
      expiresMs: exp,
      ticket: await signRoute(cluster.token, { actorId, nodeId, expiresMs: exp }),
    });
    // No route at all; a forged ticket; an altered expiry; an expired one; another node's; another message.
    assert.match(await forbidden(n.address, call(counter.actorId)), /no route presented/);
    const forged = await route(counter.actorId, n.id);
    if (forged.type === 'ActorRoute') forged.ticket = new Uint8Array(32).fill(1);
    assert.match(await forbidden(n.address, forged, call(counter.actorId)), /not the head's/);
    const altered = await route(counter.actorId, n.id);
    if (altered.type === 'ActorRoute') altered.expiresMs += 3_600_000;
    assert.match(await forbidden(n.address, altered, call(counter.actorId)), /not the head's/);
    assert.match(await forbidden(n.address, await route(counter.actorId, n.id, Date.now() - 1), call(counter.actorId)), /expired/);
    const other = nodes.find((x) => x.id !== n.id)!;
    assert.match(await forbidden(n.address, await route(counter.actorId, other.id), call(counter.actorId)), /presented at node/);
    assert.match(await forbidden(n.address, { type: 'CancelTask', objectId: 'o-1', force: true }), /not accepted/);
  }
  // A valid route at the actor's node: its calls run; a call for another actor or with a ref argument is refused.
  const other = await mod.actor('counter').create(1);
  for (const n of nodes) {
    const valid: Message = {
      type: 'ActorRoute',
      actorId: counter.actorId,
      nodeId: n.id,
      address: n.address,
      expiresMs,
      ticket: await signRoute(cluster.token, { actorId: counter.actorId, nodeId: n.id, expiresMs }),
    };
    const c = await raw(n.address);
    send(c.ws, valid, call(counter.actorId));
    const answered = await Promise.race([c.closed.then(() => 'closed'), new Promise((res) => setTimeout(() => res('open'), 1000))]);
    if (answered === 'closed') {
      // Not the actor's node: refused.
      assert.ok(c.got.some((m) => m.type === 'ErrorMessage' && /is not on this node/.test(m.failure.message)));
      continue;
    }
    assert.ok(
      c.got.some((m) => m.type === 'TaskStatus' && m.state === 'Finished'),
      'the routed call ran',
    );
    send(c.ws, call(other.actorId));
    assert.equal(await c.closed, 1008);
    const c2 = await raw(n.address);
    send(c2.ws, valid, {
      type: 'ActorCall',
      actorId: counter.actorId,
      method: 'increment',
      args: [{ data: null, objectId: 'o-someone' }],
      returnId: 'o-x',
    });
    assert.equal(await c2.closed, 1008);
    assert.ok(c2.got.some((m) => m.type === 'ErrorMessage' && /inline arguments only/.test(m.failure.message)));
  }
  // A page of any origin is refused at the upgrade.
  await assert.rejects(raw(nodes[0]!.address, { origin: 'http://evil.example' }));
  // The cluster still runs calls.
  assert.equal(asNumber(await rt.get(counter.call('increment', 1))), 6);
});
