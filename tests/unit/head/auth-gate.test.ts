// The authentication handshake and role allow-lists at a real Head, over in-memory connections
// (the socket cases, Origin and the CLI run against processes in tests/security/).
import test from 'ava';
import assert from 'node:assert/strict';
import { Head } from '../../../runtime/head/head.js';
import { memoryConnectionPair } from '../../../runtime/platform/memory-connection.js';
import { decodeFrame, encodeMessage } from '../../../runtime/protocol/codec.js';
import { authenticate } from '../../../runtime/client/authenticate.js';
import {
  constantTimeEqual,
  deriveToken,
  newClusterSecret,
  parseCredential,
  proofOf,
  verifyBearer,
} from '../../../runtime/protocol/credentials.js';
import { WrtError } from '../../../runtime/errors.js';
import type { Connection } from '../../../runtime/platform/platform.js';
import type { Message, Role } from '../../../runtime/protocol/messages.js';
import { SAMPLES } from '../../helpers/protocol-samples.js';

const sample = (type: Message['type']): Message => SAMPLES.find((m) => m.type === type)!;

const heads: Head[] = [];
test.after.always(() => heads.forEach((h) => h.close()));

function newHead(o: ConstructorParameters<typeof Head>[0] = {}): Head {
  const h = new Head({ heartbeatTimeoutMs: 60_000, ...o });
  heads.push(h);
  return h;
}

/** A raw connection to `head`: every message it receives, and a promise of its close reason. */
function rawPeer(head: Head): { conn: Connection; seen: Message[]; closed: Promise<string> } {
  const [conn, headEnd] = memoryConnectionPair('head', 'peer');
  const seen: Message[] = [];
  const closed = new Promise<string>((resolve) => (conn.onClose = resolve));
  conn.onMessage = (frame) => seen.push(...decodeFrame(frame));
  head.accept(headEnd);
  return { conn, seen, closed };
}

const code = (seen: Message[]): string => {
  const e = seen.find((m) => m.type === 'ErrorMessage');
  return e?.type === 'ErrorMessage' ? e.failure.code : 'none';
};

async function connectAs(head: Head, token: string, role: Role): Promise<Connection> {
  const [conn, headEnd] = memoryConnectionPair('head', 'peer');
  head.accept(headEnd);
  await authenticate(conn, parseCredential(token), role);
  return conn;
}

test('credentials: secrets and derived tokens parse; proofs depend on key, role and nonce; bearer checks', async () => {
  const secret = newClusterSecret();
  assert.match(secret, /^[A-Za-z0-9_-]{43}$/);
  const alice = await deriveToken(secret, 'driver', 'alice');
  assert.match(alice, /^wrt\.driver\.alice\.[A-Za-z0-9_-]{43}$/);
  assert.equal(await deriveToken(secret, 'driver', 'alice'), alice, 'derivation is deterministic');
  assert.notEqual(await deriveToken(newClusterSecret(), 'driver', 'alice'), alice);
  assert.throws(
    () => parseCredential('hunter2'),
    (e: unknown) => e instanceof WrtError && e.code === 'WRT_UNAUTHENTICATED',
  );
  await assert.rejects(deriveToken(secret, 'node', 'x'), /driver, volunteer or viewer/);
  await assert.rejects(deriveToken(secret, 'driver', '../x'), /must match/);
  const key = parseCredential(alice).key;
  const n1 = new Uint8Array(32).fill(1);
  const n2 = new Uint8Array(32).fill(2);
  const p = await proofOf(key, 'driver', n1);
  assert.ok(constantTimeEqual(p, await proofOf(key, 'driver', n1)));
  assert.ok(!constantTimeEqual(p, await proofOf(key, 'driver', n2)));
  assert.ok(!constantTimeEqual(p, await proofOf(key, 'viewer', n1)));
  assert.deepEqual(await verifyBearer(secret, secret, () => false), { role: 'driver', subject: 'admin', admin: true });
  assert.deepEqual(await verifyBearer(secret, alice, () => false), { role: 'driver', subject: 'alice', admin: false });
  assert.equal(await verifyBearer(secret, alice.slice(0, -2) + 'AA', () => false), null);
  assert.equal(await verifyBearer(newClusterSecret(), alice, () => false), null);
  const vol = await deriveToken(secret, 'volunteer', 'link-1');
  assert.equal(await verifyBearer(secret, vol, (s) => s === 'link-1'), null, 'a revoked link');
});

test('the head challenges first and refuses anything but a valid Authenticate', async () => {
  const head = newHead();
  // Speaking before authenticating.
  const a = rawPeer(head);
  a.conn.send(encodeMessage(sample('SubmitJob')));
  await a.closed;
  assert.equal(a.seen[0]?.type, 'AuthChallenge');
  assert.equal(code(a.seen), 'WRT_UNAUTHENTICATED');
  // A wrong credential: another cluster's secret.
  await assert.rejects(
    connectAs(head, newClusterSecret(), 'driver'),
    (e: unknown) => e instanceof WrtError && e.code === 'WRT_UNAUTHENTICATED',
  );
  // A token of this cluster used for another role.
  const viewer = await deriveToken(head.clusterSecret, 'viewer', 'eve');
  await assert.rejects(connectAs(head, viewer, 'driver'), (e: unknown) => e instanceof WrtError && e.code === 'WRT_FORBIDDEN');
  // A replayed proof: captured from one connection, sent on the next.
  const b = rawPeer(head);
  await new Promise((r) => setTimeout(r, 0));
  const challenge = b.seen.find((m) => m.type === 'AuthChallenge');
  assert.ok(challenge?.type === 'AuthChallenge');
  const proof = await proofOf(parseCredential(head.clusterSecret).key, 'driver', challenge.nonce);
  b.conn.send(encodeMessage({ type: 'Authenticate', role: 'driver', credential: 'admin', proof }));
  await new Promise((r) => setTimeout(r, 20));
  assert.ok(
    b.seen.some((m) => m.type === 'AuthOk'),
    'the proof is good on its own connection',
  );
  const c = rawPeer(head);
  c.conn.send(encodeMessage({ type: 'Authenticate', role: 'driver', credential: 'admin', proof }));
  await c.closed;
  assert.equal(code(c.seen), 'WRT_UNAUTHENTICATED');
  b.conn.close();
});

test('a connection that never authenticates is closed at the deadline', async () => {
  const head = newHead({ authTimeoutMs: 50 });
  const a = rawPeer(head);
  const reason = await a.closed;
  assert.match(reason, /1008/);
  assert.equal(code(a.seen), 'WRT_UNAUTHENTICATED');
});

test('each role may send only its own messages: a viewer or volunteer sending driver or node messages is closed with WRT_FORBIDDEN', async () => {
  const head = newHead();
  const cases: [Role, string, Message][] = [
    [
      'viewer',
      await deriveToken(head.clusterSecret, 'viewer', 'v'),
      { type: 'JobControl', requestId: 1, jobId: 'j-1', action: 'Cancel', savepointDir: '' },
    ],
    ['volunteer', await deriveToken(head.clusterSecret, 'volunteer', 'link-1'), { type: 'CancelJob', jobId: 'j-1', reason: 'x' }],
    ['volunteer', await deriveToken(head.clusterSecret, 'volunteer', 'link-1'), { type: 'ReleaseObjects', objectIds: ['o'] }],
    ['driver', await deriveToken(head.clusterSecret, 'driver', 'd'), sample('Heartbeat')],
    // Only nodes report source watermarks; a volunteer or driver could otherwise stall a job's sources.
    ['volunteer', await deriveToken(head.clusterSecret, 'volunteer', 'link-1'), sample('ReportWatermarks')],
    ['driver', await deriveToken(head.clusterSecret, 'driver', 'd'), sample('ReportWatermarks')],
    ['node', head.clusterSecret, sample('SubmitTask')],
  ];
  for (const [role, token, m] of cases) {
    const conn = await connectAs(head, token, role);
    const seen: Message[] = [];
    const closed = new Promise<string>((resolve) => (conn.onClose = resolve));
    conn.onMessage = (f) => seen.push(...decodeFrame(f));
    conn.send(encodeMessage(m));
    assert.match(await closed, /1008/, `${role} sending ${m.type}`);
    assert.equal(code(seen), 'WRT_FORBIDDEN', `${role} sending ${m.type}`);
  }
});

test('a revoked volunteer link cannot join; a driver controlling an unknown job gets WRT_INVALID_ARGUMENT', async () => {
  const head = newHead({ volunteerRevoked: (s) => s === 'gone' });
  const mallory = await connectAs(head, await deriveToken(head.clusterSecret, 'driver', 'mallory'), 'driver');
  const seen: Message[] = [];
  mallory.onMessage = (f) => seen.push(...decodeFrame(f));
  // (Another driver's job: tests/security/attacks.test.ts, with real processes.)
  mallory.send(encodeMessage({ type: 'JobControl', requestId: 7, jobId: 'j-1', action: 'Cancel', savepointDir: '' }));
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(code(seen), 'WRT_INVALID_ARGUMENT');
  await assert.rejects(
    connectAs(head, await deriveToken(head.clusterSecret, 'volunteer', 'gone'), 'volunteer'),
    (e: unknown) => e instanceof WrtError && e.code === 'WRT_UNAUTHENTICATED' && /revoked/.test(e.message),
  );
  mallory.close();
});
