/**
 * The head's side of the authentication handshake (docs/security.md): every connection gets an
 * AuthChallenge (32 random bytes) and must answer with one Authenticate whose proof checks out
 * (runtime/protocol/credentials.ts) within the deadline; until then nothing else it sends is read.
 * Once in, each message is checked against its role's allow-list ({@link ALLOWED}).
 *
 * Refusals close the connection with 1008 (policy violation) after an ErrorMessage:
 * `WRT_UNAUTHENTICATED` for a missing, wrong, late or revoked credential, `WRT_FORBIDDEN` for a
 * role the credential does not grant or a message outside the role.
 */
import type { Connection } from '../platform/platform.js';
import type { Message, MessageType, Role } from '../protocol/messages.js';
import { decodeFrame, encodeMessage } from '../protocol/codec.js';
import { WrtError, toFailure } from '../errors.js';
import {
  constantTimeEqual,
  derivedKey,
  fromBase64url,
  newNonce,
  parsePublicPart,
  proofOf,
  type Principal,
} from '../protocol/credentials.js';

/** Message types each role may send the head. Everything else closes the connection with `WRT_FORBIDDEN`. */
export const ALLOWED: Readonly<Record<Role, ReadonlySet<MessageType>>> = {
  node: new Set<MessageType>([
    'RegisterNode',
    'Heartbeat',
    'TaskStatus',
    'JobOutput',
    'CheckpointAck',
    'ReportWatermarks',
    'StreamData',
    'StreamCredit',
    'ObjectPull',
    'ObjectChunk',
    'ActorState',
  ]),
  driver: new Set<MessageType>([
    'SubmitJob',
    'RegisterModule',
    'SubmitTask',
    'CreateActor',
    'ActorCall',
    'LookupActor',
    'PutObject',
    'ReleaseObjects',
    'CancelTask',
    'ObjectPull',
    'ObjectChunk',
    'InputChunk',
    'JobControl',
  ]),
  // Volunteers join, heartbeat and report the work units they were given (docs/volunteers.md).
  volunteer: new Set<MessageType>(['RegisterNode', 'Heartbeat', 'TaskStatus', 'ObjectPull']),
  viewer: new Set<MessageType>(),
};

export interface AuthGateOptions {
  /** The cluster secret (43 base64url characters). */
  secret: string;
  /** True when volunteer link `subject` has been revoked. */
  revoked: (subject: string) => boolean;
  /** Volunteers may join at all (`wrt start --head --volunteers`). @default true */
  admitVolunteers?: boolean;
  /** How long a connection may take to authenticate, ms. */
  timeoutMs: number;
  log: (line: string) => void;
}

/**
 * Sends `err` as an ErrorMessage and closes `conn`: with `closeCode`, else 1002 (protocol error)
 * for `WRT_PROTOCOL` and 1008 (policy violation) for everything else.
 */
export function refuse(conn: Connection, err: WrtError, closeCode?: number): void {
  conn.send(encodeMessage({ type: 'ErrorMessage', requestId: 0, failure: toFailure(err) }));
  conn.close(closeCode ?? (err.code === 'WRT_PROTOCOL' ? 1002 : 1008), err.code);
}

/** The principal a proof stands for, or the error that refuses it. */
async function verify(o: AuthGateOptions, m: Extract<Message, { type: 'Authenticate' }>, nonce: Uint8Array): Promise<Principal> {
  const wrong = (): WrtError => new WrtError('WRT_UNAUTHENTICATED', 'the credential is not valid for this cluster');
  let key: Uint8Array;
  let principal: Principal;
  if (m.credential === 'admin') {
    key = fromBase64url(o.secret);
    principal = { role: m.role, subject: 'admin', admin: true };
  } else {
    const parts = parsePublicPart(m.credential);
    if (!parts) throw wrong();
    const granted = parts.role;
    // A driver's token may also read status (viewer); otherwise a token is good for its own role only.
    if (granted !== m.role && !(granted === 'driver' && m.role === 'viewer')) {
      throw new WrtError('WRT_FORBIDDEN', `a ${granted} token may not connect as ${m.role}`);
    }
    if (granted === 'volunteer' && o.admitVolunteers === false) {
      throw new WrtError(
        'WRT_FORBIDDEN',
        'this head takes no volunteers (its operator starts it with wrt start --head --volunteers to take them)',
      );
    }
    if (granted === 'volunteer' && o.revoked(parts.subject)) {
      throw new WrtError('WRT_UNAUTHENTICATED', `volunteer link ${parts.subject} has been revoked`);
    }
    key = await derivedKey(o.secret, m.credential);
    principal = { role: m.role, subject: parts.subject, admin: false };
  }
  if (!constantTimeEqual(await proofOf(key, m.role, nonce), m.proof)) throw wrong();
  return principal;
}

/** A connection in the handshake: its outcome, and a way to end it early. */
export interface GuardedConnection {
  /** The principal once authenticated; null when refused (and closed) or closed first. */
  done: Promise<Principal | null>;
  /** Refuses the connection now with `err` and WebSocket close code `closeCode`. */
  evict(err: WrtError, closeCode: number): void;
}

/**
 * Challenges `conn`; see {@link GuardedConnection}. The caller sets its own handlers once `done`
 * resolves with a principal.
 */
export function guardConnection(conn: Connection, o: AuthGateOptions): GuardedConnection {
  const nonce = newNonce();
  let evict: GuardedConnection['evict'] = () => {};
  const done = new Promise<Principal | null>((resolve) => {
    let done = false;
    const finish = (p: Principal | null, err?: WrtError, closeCode?: number): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      conn.onMessage = null;
      conn.onMessages = null;
      conn.onClose = null;
      if (err) {
        o.log(`head: ${conn.peer} refused: ${err.code}: ${err.message}`);
        refuse(conn, err, closeCode);
      }
      resolve(p);
    };
    evict = (err, closeCode) => finish(null, err, closeCode);
    const timer = setTimeout(
      () => finish(null, new WrtError('WRT_UNAUTHENTICATED', `no credential within ${o.timeoutMs} ms of connecting`)),
      o.timeoutMs,
    );
    let answered = false;
    const receive = (msgs: Message[]): void => {
      const m = msgs[0];
      if (answered || msgs.length !== 1 || m?.type !== 'Authenticate') {
        finish(null, new WrtError('WRT_UNAUTHENTICATED', `the first message must be Authenticate, alone (got ${m?.type ?? 'nothing'})`));
        return;
      }
      answered = true;
      verify(o, m, nonce).then(
        (p) => {
          if (done) return;
          conn.send(encodeMessage({ type: 'AuthOk', role: p.role, subject: p.subject, admin: p.admin }));
          finish(p);
        },
        (err: unknown) => finish(null, err instanceof WrtError ? err : new WrtError('WRT_UNAUTHENTICATED', String(err))),
      );
    };
    conn.onMessage = (frame) => {
      let msgs: Message[];
      try {
        msgs = decodeFrame(frame);
      } catch (err) {
        finish(null, err as WrtError);
        return;
      }
      receive(msgs);
    };
    conn.onMessages = receive;
    conn.onClose = () => finish(null);
    conn.send(encodeMessage({ type: 'AuthChallenge', nonce }));
  });
  return { done, evict: (err, closeCode) => evict(err, closeCode) };
}
