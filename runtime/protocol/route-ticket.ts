/**
 * Tickets for direct actor calls (docs/adr/0009-direct-actor-calls.md). The head signs, for an
 * actor's owner, leave to call that actor on the node hosting it; the node, which holds the same
 * cluster secret, checks it before it takes any call on a direct connection.
 *
 * `ticket = HMAC-SHA256(secret bytes, "wrt-route-v1\0" + actorId + "\0" + nodeId + "\0" + expiresMs)`
 * (RFC 2104; the secret decoded from base64url as for derived tokens, credentials.ts). Bound to
 * the node, so a ticket replayed at another node fails; to the actor, so it calls no other; and to
 * an expiry (Unix milliseconds), so a leaked one goes stale.
 */
import { WrtError } from '../errors.js';
import { constantTimeEqual, fromBase64url, hmac } from './credentials.js';

/** How long a route's ticket may be presented after the head signed it, ms. */
export const ROUTE_TICKET_TTL_MS = 60_000;

/** What a ticket is bound to. */
export interface RouteClaim {
  actorId: string;
  nodeId: string;
  /** Unix milliseconds after which the ticket is refused. */
  expiresMs: number;
}

const utf8 = new TextEncoder();

function signedText(c: RouteClaim): Uint8Array {
  return utf8.encode(`wrt-route-v1\0${c.actorId}\0${c.nodeId}\0${c.expiresMs}`);
}

/** The ticket (32 bytes) for `claim` under the cluster `secret`. */
export function signRoute(secret: string, claim: RouteClaim): Promise<Uint8Array> {
  return hmac(fromBase64url(secret), signedText(claim));
}

/**
 * Checks a route presented to node `nodeId` at time `nowMs` (Unix ms).
 * @throws WrtError `WRT_FORBIDDEN` naming what was wrong: another node's route, an expired one, or
 * a ticket that is not the head's for these fields (altered or forged)
 */
export async function verifyRoute(secret: string, claim: RouteClaim, ticket: Uint8Array, nodeId: string, nowMs: number): Promise<void> {
  if (claim.nodeId !== nodeId) throw new WrtError('WRT_FORBIDDEN', `route for node ${claim.nodeId} presented at node ${nodeId}`);
  if (!(claim.expiresMs > nowMs))
    throw new WrtError('WRT_FORBIDDEN', `route for actor ${claim.actorId} expired; ask the head for a fresh one`);
  if (!constantTimeEqual(await signRoute(secret, claim), ticket))
    throw new WrtError('WRT_FORBIDDEN', `route for actor ${claim.actorId}: the ticket is not the head's`);
}
