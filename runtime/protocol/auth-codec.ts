/**
 * Encoding and guarded decoding of the authentication handshake: AuthChallenge, Authenticate,
 * AuthOk (runtime/protocol/wire.fbs; the handshake itself is runtime/head/auth-gate.ts and
 * runtime/client/authenticate.ts, the proofs runtime/protocol/credentials.ts).
 */
import type * as flatbuffers from 'flatbuffers';
import type { Message, Role } from './messages.js';
import { enumName, type B, type WireReader } from './wire-tables.js';
import { Message as Kind } from './generated/wrt/protocol/message.js';
import type { Envelope } from './generated/wrt/protocol/envelope.js';
import { AuthChallenge } from './generated/wrt/protocol/auth-challenge.js';
import { Authenticate } from './generated/wrt/protocol/authenticate.js';
import { AuthOk } from './generated/wrt/protocol/auth-ok.js';
import type { Role as WireRole } from './generated/wrt/protocol/role.js';

/** Roles in the order of wire.fbs's `Role` enum. */
export const ROLES = ['node', 'driver', 'volunteer', 'viewer'] as const satisfies readonly Role[];

const wireRole = (r: Role): WireRole => ROLES.indexOf(r);

/** The body of `m` when it is one of this family's messages, else null. */
export function encodeAuthBody(b: B, m: Message): [Kind, flatbuffers.Offset] | null {
  switch (m.type) {
    case 'AuthChallenge':
      return [Kind.AuthChallenge, AuthChallenge.createAuthChallenge(b, AuthChallenge.createNonceVector(b, m.nonce))];
    case 'Authenticate': {
      const credential = b.createString(m.credential);
      const proof = Authenticate.createProofVector(b, m.proof);
      return [Kind.Authenticate, Authenticate.createAuthenticate(b, wireRole(m.role), credential, proof)];
    }
    case 'AuthOk':
      return [Kind.AuthOk, AuthOk.createAuthOk(b, wireRole(m.role), b.createString(m.subject), m.admin)];
    default:
      return null;
  }
}

/** The message in `env` when it is one of this family's, else null. */
export function decodeAuthBody(r: WireReader, env: Envelope): Message | null {
  switch (env.messageType()) {
    case Kind.AuthChallenge: {
      const t = env.message(new AuthChallenge()) as AuthChallenge;
      return { type: 'AuthChallenge', nonce: r.bytes(t.nonceArray()) };
    }
    case Kind.Authenticate: {
      const t = env.message(new Authenticate()) as Authenticate;
      return {
        type: 'Authenticate',
        role: enumName(ROLES, t.role(), 'role'),
        credential: r.str(t.credential()),
        proof: r.bytes(t.proofArray()),
      };
    }
    case Kind.AuthOk: {
      const t = env.message(new AuthOk()) as AuthOk;
      return { type: 'AuthOk', role: enumName(ROLES, t.role(), 'role'), subject: r.str(t.subject()), admin: t.admin() };
    }
    default:
      return null;
  }
}
