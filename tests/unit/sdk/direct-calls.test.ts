// A driver's actor calls through the head or straight to the node (sdk/direct-calls.ts, ADR 0009):
// which path each takes, the order across a switch, a lost connection, a call that ends the actor.
import test from 'ava';
import assert from 'node:assert/strict';
import { DirectCalls, type DirectCallsHost } from '../../../sdk/direct-calls.js';
import type { Connection } from '../../../runtime/platform/platform.js';
import type { Message, MessageOf } from '../../../runtime/protocol/messages.js';
import type { FailureRecord } from '../../../runtime/errors.js';
import { decodeFrame, encodeFrame, encodeMessage } from '../../../runtime/protocol/codec.js';

interface Harness {
  calls: DirectCalls;
  /** What went to the head, and to the node (decoded), in order. */
  head: Message[];
  node: Message[];
  settled: Map<string, { data: Uint8Array | null; failure: FailureRecord | null }>;
  /** The node answers call `returnId`. */
  answer(returnId: string, failure?: FailureRecord): void;
  /** The node's connection closes. */
  drop(): void;
  connected: Promise<void>;
}

function harness(): Harness {
  const head: Message[] = [];
  const node: Message[] = [];
  const settled = new Map<string, { data: Uint8Array | null; failure: FailureRecord | null }>();
  let conn: Connection | null = null;
  let opened!: () => void;
  const connected = new Promise<void>((r) => (opened = r));
  const host: DirectCallsHost = {
    connect: () => {
      conn = {
        peer: 'node',
        onMessage: null,
        onClose: null,
        bufferedAmount: 0,
        send: (bytes) => node.push(...decodeFrame(encodeFrame([bytes]))),
        close: () => conn!.onClose?.('closed'),
      };
      queueMicrotask(opened);
      return Promise.resolve(conn);
    },
    wire: (_id, args) => args.map((a) => ({ data: a as Uint8Array, objectId: '' })),
    localArgs: () => null,
    settle: (id, data, failure) => settled.set(id, { data, failure }),
    relay: (_id, m) => head.push(m),
    log: () => {},
  };
  const calls = new DirectCalls(host, true);
  const status = (returnId: string, failure?: FailureRecord): MessageOf<'TaskStatus'> => ({
    type: 'TaskStatus',
    jobId: '',
    taskId: 't',
    state: failure ? 'Failed' : 'Finished',
    outputs: [],
    data: failure ? null : new Uint8Array([1]),
    failure: failure ?? null,
    inputBytes: 0,
    returnId,
    returnBytes: 1,
    returnInline: true,
  });
  return {
    calls,
    head,
    node,
    settled,
    connected,
    answer: (returnId, failure) => conn!.onMessage!(encodeFrame([encodeMessage(status(returnId, failure))])),
    drop: () => conn!.onClose!('connection reset'),
  };
}

const route: MessageOf<'ActorRoute'> = {
  type: 'ActorRoute',
  actorId: 'a',
  nodeId: 'n-1',
  address: 'ws://x/direct',
  expiresMs: 9e12,
  ticket: new Uint8Array(32),
};
const bytes = new Uint8Array([7]);
const ids = (ms: Message[]): string[] => ms.flatMap((m) => (m.type === 'ActorCall' ? [m.returnId] : []));

test('calls go through the head until the route is presented, then directly, never overtaking the earlier ones', async () => {
  const h = harness();
  h.calls.call('a', 'm', 'r1', [bytes], true);
  h.calls.fromHead(route);
  await h.connected;
  await Promise.resolve();
  assert.equal(h.node[0]?.type, 'ActorRoute', 'the route goes first on the connection');
  h.calls.call('a', 'm', 'r2', [bytes], true);
  h.calls.call('a', 'm', 'r3', [bytes], true);
  assert.deepEqual(ids(h.head), ['r1']);
  assert.deepEqual(ids(h.node), [], 'r2 waits for r1, answered through the head');
  h.calls.relayedDone('r1');
  assert.deepEqual(ids(h.node), ['r2', 'r3']);
  // A call with a ref argument goes through the head, after the direct ones are answered; the next direct one waits for it.
  h.calls.call('a', 'm', 'r4', [bytes], false);
  h.calls.call('a', 'm', 'r5', [bytes], true);
  h.answer('r2');
  assert.deepEqual(ids(h.head), ['r1']);
  h.answer('r3');
  assert.deepEqual(ids(h.head), ['r1', 'r4']);
  assert.deepEqual(ids(h.node), ['r2', 'r3']);
  h.calls.relayedDone('r4');
  assert.deepEqual(ids(h.node), ['r2', 'r3', 'r5']);
  assert.deepEqual([...h.settled.keys()], ['r2', 'r3']);
});

test('a lost connection fails its pending calls with WRT_ACTOR_DIED; later calls go through the head', async () => {
  const h = harness();
  h.calls.fromHead(route);
  await h.connected;
  await Promise.resolve();
  h.calls.call('a', 'm', 'r1', [bytes], true);
  h.calls.call('a', 'm', 'r2', [bytes], true);
  h.drop();
  assert.equal(h.settled.get('r1')?.failure?.code, 'WRT_ACTOR_DIED');
  assert.equal(h.settled.get('r2')?.failure?.code, 'WRT_ACTOR_DIED');
  h.calls.call('a', 'm', 'r3', [bytes], true);
  assert.deepEqual(ids(h.head), ['r3']);
});

test("a direct call that ends the actor holds later calls until the head's next ActorState, then sends them through the head", async () => {
  const h = harness();
  h.calls.fromHead(route);
  await h.connected;
  await Promise.resolve();
  h.calls.call('a', 'm', 'r1', [bytes], true);
  h.answer('r1', { code: 'WRT_OPERATOR_TRAP', message: 'unreachable', retryable: false });
  h.calls.call('a', 'm', 'r2', [bytes], true);
  assert.deepEqual(ids(h.head), []);
  assert.deepEqual(ids(h.node), ['r1']);
  h.calls.fromHead({ type: 'ActorState', actorId: 'a', state: 'Restarting', nodeId: '', message: 'trap', restarts: 1 });
  assert.deepEqual(ids(h.head), ['r2'], 'the head queues it for the restarted actor');
});
