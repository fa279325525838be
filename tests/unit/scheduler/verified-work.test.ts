// Volunteer verification (work-unit.ts, volunteer-trust.ts, volunteer-pool.ts, verified-work.ts):
// digests, verdicts, trust records and the replication of units, with a scripted pool of volunteers.
import test from 'ava';
import assert from 'node:assert/strict';
import { WorkUnit, digestOf } from '../../../runtime/scheduler/work-unit.js';
import { TrustBook } from '../../../runtime/scheduler/volunteer-trust.js';
import { VolunteerPool } from '../../../runtime/scheduler/volunteer-pool.js';
import { VerifiedWork, type VerifiedAttempt } from '../../../runtime/scheduler/verified-work.js';
import type { Message } from '../../../runtime/protocol/messages.js';

const bytes = (...v: number[]): Uint8Array => new Uint8Array(v);

test('digestOf is 64-bit FNV-1a', () => {
  const reference = (b: Uint8Array): string => {
    let h = 0xcbf29ce484222325n;
    for (const x of b) h = ((h ^ BigInt(x)) * 0x100000001b3n) & 0xffffffffffffffffn;
    return h.toString(16).padStart(16, '0');
  };
  assert.equal(digestOf(new Uint8Array(0)), 'cbf29ce484222325');
  assert.equal(digestOf(new TextEncoder().encode('a')), 'af63dc4c8601ec8c'); // the published FNV-1a 64 of "a"
  const random = Uint8Array.from({ length: 4096 }, (_, i) => (i * 7919 + (i >> 3)) & 0xff);
  for (const n of [1, 2, 3, 17, 255, 4096]) assert.equal(digestOf(random.subarray(0, n)), reference(random.subarray(0, n)));
});

test('a unit is accepted when the quorum agrees; a disagreement asks for one more replica; past the limit a trusted node decides', () => {
  const u = new WorkUnit(2, 3);
  const attempt = (id: string, nodeId: string): void => u.start({ attemptId: id, nodeId, trusted: false, startedAt: 0, deadline: 1 });
  attempt('a#1', 'v1');
  attempt('a#2', 'v2');
  assert.deepEqual(u.verdict(), { kind: 'wait' });
  u.add({ attemptId: 'a#1', nodeId: 'v1', trusted: false, bytes: bytes(1, 2, 3) });
  u.add({ attemptId: 'a#2', nodeId: 'v2', trusted: false, bytes: bytes(1, 2, 4) });
  assert.deepEqual(u.verdict(), { kind: 'replicate', count: 1 });
  attempt('a#3', 'v3');
  u.add({ attemptId: 'a#3', nodeId: 'v3', trusted: false, bytes: bytes(9) });
  assert.deepEqual(u.verdict(), { kind: 'trusted' }, 'three results, no two agree, limit 3');
  u.add({ attemptId: 'a#4', nodeId: 't', trusted: true, bytes: bytes(1, 2, 3) });
  const v = u.verdict();
  assert.equal(v.kind, 'accepted');
  if (v.kind !== 'accepted') return;
  assert.deepEqual(v.result.bytes, bytes(1, 2, 3));
  assert.deepEqual(v.agree, ['v1']);
  assert.deepEqual(v.disagree.sort(), ['v2', 'v3']);
  assert.equal(v.verified, true);

  const quorum = new WorkUnit(2, 4);
  quorum.add({ attemptId: 'b#1', nodeId: 'v1', trusted: false, bytes: bytes(5) });
  quorum.add({ attemptId: 'b#2', nodeId: 'v2', trusted: false, bytes: bytes(6) });
  quorum.add({ attemptId: 'b#3', nodeId: 'v3', trusted: false, bytes: bytes(5) });
  const q = quorum.verdict();
  assert.ok(q.kind === 'accepted' && q.verified && q.disagree.join() === 'v2' && q.agree.join() === 'v1,v3');

  const single = new WorkUnit(1, 4);
  single.add({ attemptId: 'c#1', nodeId: 'v1', trusted: false, bytes: bytes(1) });
  const s = single.verdict();
  assert.ok(s.kind === 'accepted' && !s.verified, 'a trusted volunteer not spot-checked: accepted unverified');
});

test('trust: earned after 10 valid results in a row, spot-checked with probability max(floor, 1/streak), reset by one invalid result, quarantine at two', () => {
  let draw = 0;
  const book = new TrustBook({}, () => draw);
  book.join('v', 2);
  assert.equal(book.resultsWanted('v'), 2, 'untrusted: always replicated');
  for (let i = 0; i < 9; i++) assert.equal(book.valid('v'), false);
  assert.equal(book.valid('v'), true, 'trusted at the 10th');
  draw = 0.09; // below 1/10: spot-checked
  assert.equal(book.resultsWanted('v'), 2);
  draw = 0.11;
  assert.equal(book.resultsWanted('v'), 1);
  for (let i = 0; i < 30; i++) book.valid('v');
  draw = 0.049; // streak 40: 1/40 < floor 0.05
  assert.equal(book.resultsWanted('v'), 2);
  draw = 0.051;
  assert.equal(book.resultsWanted('v'), 1);
  assert.equal(book.invalid('v'), false);
  assert.deepEqual([book.get('v')!.trusted, book.get('v')!.streak], [false, 0]);
  assert.equal(book.resultsWanted('v'), 2);
  assert.equal(book.invalid('v'), true, 'quarantined at the second invalid result');

  book.join('slow', 4);
  assert.equal(book.deadlineMs('slow'), 30_000, 'unknown pace: 3 × the lowest deadline');
  book.finished('slow', 5000, 4);
  assert.equal(book.deadlineMs('slow'), 20_000, '4 × its pace');
  book.late('slow');
  book.late('slow');
  assert.equal(book.get('slow')!.allowedUnits, 1, 'halved per late unit, at least one');
  book.finished('slow', 5000, 4);
  assert.equal(book.get('slow')!.allowedUnits, 2);
  assert.throws(() => new TrustBook({ quorum: 1 }), /quorum must be at least 2/);
  assert.throws(() => new TrustBook({ maxReplicas: 1 }), /max replicas/);
});

/** Verified work over a pool of scripted volunteers; `trustedRoom`: trusted attempts that may start. */
function harness(volunteers: string[], trustedRoom = 0) {
  const sent: [string, Message][] = [];
  const quarantined: string[] = [];
  const pool = new VolunteerPool(
    { sendToNode: (n, m) => sent.push([n, m]), log: () => {}, quarantined: (n) => quarantined.push(n) },
    {},
    () => 0.99,
  );
  for (const v of volunteers) pool.join(v, v, 1);
  const started: VerifiedAttempt[] = [];
  const trusted: string[] = [];
  const accepted = new Map<string, Uint8Array>();
  const rescinded: string[] = [];
  let n = 0;
  const work = new VerifiedWork(
    {
      attemptId: (key) => `${key}#${++n}`,
      startOnVolunteer: (a) => started.push(a),
      startOnTrusted: (key) => {
        if (trustedRoom <= 0) return false;
        trustedRoom--;
        trusted.push(key);
        work.trustedStarted(key);
        return true;
      },
      accept: (key, b) => accepted.set(key, b),
      rescind: (key) => rescinded.push(key),
      log: () => {},
    },
    pool,
  );
  pool.trust.policy.minDeadlineMs = 1000;
  return { pool, work, started, trusted, accepted, rescinded, quarantined, sent };
}

test('verified work: replicas on distinct volunteers, a quorum accepts, the dissenter is judged invalid and told', () => {
  const h = harness(['v1', 'v2', 'v3']);
  assert.equal(h.work.placeFirst('u', 0), true);
  h.work.placeReplicas(0, false);
  assert.equal(h.started.length, 2);
  assert.notEqual(h.started[0]!.nodeId, h.started[1]!.nodeId);
  h.work.result(h.started[0]!.id, h.started[0]!.nodeId, bytes(1), 10);
  h.work.result(h.started[1]!.id, h.started[1]!.nodeId, bytes(2), 10);
  h.work.placeReplicas(10, false);
  const third = h.started[2]!;
  assert.ok(third && !h.started.slice(0, 2).some((a) => a.nodeId === third.nodeId), 'the third replica goes to the third volunteer');
  h.work.result(third.id, third.nodeId, bytes(2), 20);
  assert.deepEqual(h.accepted.get('u'), bytes(2));
  const dissenter = h.started[0]!.nodeId;
  assert.equal(h.pool.trust.get(dissenter)!.invalid, 1);
  assert.ok(h.sent.some(([n, m]) => n === dissenter && m.type === 'TrustReport' && m.invalid === 1));
  assert.equal(h.work.result('u#99', 'v1', bytes(2), 30), false, 'an attempt it never started is ignored');
});

test('verified work: an attempt past its deadline is replicated elsewhere; a unit no other volunteer can check goes to a trusted node', () => {
  const h = harness(['v1', 'v2'], 1);
  h.work.placeFirst('u', 0);
  h.work.placeReplicas(0, false);
  assert.equal(h.started.length, 2);
  h.work.result(h.started[0]!.id, h.started[0]!.nodeId, bytes(7), 100);
  h.work.expire(100_000); // the second never answers
  assert.equal(h.pool.trust.get(h.started[1]!.nodeId)!.unitsLate, 1);
  h.work.placeReplicas(100_000, false);
  assert.deepEqual(h.trusted, ['u'], 'both volunteers tried it: a trusted node decides');
  h.work.result('u#t', 'trusted-node', bytes(7), 100_100, { key: 'u' });
  assert.deepEqual(h.accepted.get('u'), bytes(7));
  // The late replica still answers: judged against the accepted output.
  assert.equal(h.work.result(h.started[1]!.id, h.started[1]!.nodeId, bytes(8), 100_200), true);
  assert.equal(h.pool.trust.get(h.started[1]!.nodeId)!.invalid, 1);
});

test('verified work: a quarantined volunteer loses its running attempts and the outputs it alone vouched for', () => {
  const h = harness(['v1', 'v2', 'v3']);
  // v1 trusted, and not drawn for spot-checks (random 0.99): its units need one result.
  for (let i = 0; i < 10; i++) h.pool.trust.valid('v1');
  const onV1 = (key: string): VerifiedAttempt => {
    assert.equal(h.work.placeFirst(key, 0), true);
    const a = h.started.at(-1)!;
    assert.equal(a.nodeId, 'v1');
    return a;
  };
  h.pool.offer('v2', 0);
  h.pool.offer('v3', 0);
  const a = onV1('u1');
  h.work.result(a.id, 'v1', bytes(1), 5);
  assert.ok(h.accepted.has('u1'), 'accepted unverified');
  const running = onV1('u2');
  h.pool.judged([], ['v1']);
  h.pool.judged([], ['v1']);
  assert.deepEqual(h.quarantined, ['v1']);
  h.work.quarantined('v1', 10);
  assert.deepEqual(h.rescinded, ['u1']);
  assert.equal(h.work.result(running.id, 'v1', bytes(1), 11), false, "the quarantined volunteer's running attempt no longer counts");
  assert.equal(h.pool.room('v1'), 0);
});

test('once some volunteer has earned trust, agreeing untrusted volunteers alone are no quorum: a trusted one must vouch', () => {
  const u = new WorkUnit(2, 4);
  const vouches = (id: string): boolean => id === 'honest';
  u.add({ attemptId: 'a#1', nodeId: 'cheat-1', trusted: false, bytes: bytes(6, 6) });
  u.add({ attemptId: 'a#2', nodeId: 'cheat-2', trusted: false, bytes: bytes(6, 6) });
  assert.equal(u.verdict().kind, 'accepted', 'without trusted volunteers: a plain quorum');
  assert.deepEqual(u.verdict(vouches), { kind: 'replicate', count: 1 });
  u.add({ attemptId: 'a#3', nodeId: 'honest', trusted: false, bytes: bytes(1, 2) });
  assert.deepEqual(u.verdict(vouches), { kind: 'replicate', count: 1 });
  u.add({ attemptId: 'a#4', nodeId: 'new', trusted: false, bytes: bytes(1, 2) });
  const v = u.verdict(vouches);
  assert.ok(v.kind === 'accepted' && v.result.bytes.join() === '1,2' && v.disagree.sort().join() === 'cheat-1,cheat-2', JSON.stringify(v));
});
