// Route tickets for direct actor calls (runtime/protocol/route-ticket.ts, ADR 0009): bound to the
// actor, the node, the expiry and the cluster secret.
import test from 'ava';
import assert from 'node:assert/strict';
import { signRoute, verifyRoute } from '../../../runtime/protocol/route-ticket.js';
import { newClusterSecret } from '../../../runtime/protocol/credentials.js';
import { WrtError } from '../../../runtime/errors.js';

const forbidden = (pattern: RegExp) => (e: unknown) => e instanceof WrtError && e.code === 'WRT_FORBIDDEN' && pattern.test(e.message);

test("the head's ticket passes at its node until it expires; any change of a field, the node or the secret fails", async () => {
  const secret = newClusterSecret();
  const claim = { actorId: 'a-1', nodeId: 'n-2', expiresMs: 1_000_000 };
  const ticket = await signRoute(secret, claim);
  assert.equal(ticket.byteLength, 32);
  await verifyRoute(secret, claim, ticket, 'n-2', 999_999);
  await assert.rejects(verifyRoute(secret, claim, ticket, 'n-2', 1_000_000), forbidden(/expired/));
  await assert.rejects(verifyRoute(secret, claim, ticket, 'n-3', 0), forbidden(/presented at node n-3/));
  await assert.rejects(verifyRoute(secret, { ...claim, actorId: 'a-2' }, ticket, 'n-2', 0), forbidden(/not the head's/));
  await assert.rejects(verifyRoute(secret, { ...claim, expiresMs: 2_000_000 }, ticket, 'n-2', 0), forbidden(/not the head's/));
  await assert.rejects(verifyRoute(newClusterSecret(), claim, ticket, 'n-2', 0), forbidden(/not the head's/));
  const flipped = ticket.slice();
  flipped[31]! ^= 1;
  await assert.rejects(verifyRoute(secret, claim, flipped, 'n-2', 0), forbidden(/not the head's/));
  await assert.rejects(verifyRoute(secret, claim, ticket.subarray(0, 16), 'n-2', 0), forbidden(/not the head's/));
});
