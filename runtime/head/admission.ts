/**
 * The head's front door: every accepted {@link Connection} is challenged (auth-gate.ts), held to
 * the head's connection limits, and once it has authenticated, its frames are decoded and each
 * message checked against what its role may send (`ALLOWED`) before the head's handlers see it.
 *
 * Limits (docs/security.md): at `maxConnections` open connections new ones are refused at once
 * (close code 1013); at `maxUnauthenticated` connections in the handshake the oldest of them is
 * dropped for the new one.
 */
import type { Connection } from '../platform/platform.js';
import type { Message, MessageOf } from '../protocol/messages.js';
import { decodeFrame, encodeMessage } from '../protocol/codec.js';
import { WrtError, toFailure } from '../errors.js';
import type { Principal } from '../protocol/credentials.js';
import { ALLOWED, guardConnection, refuse, type GuardedConnection } from './auth-gate.js';

/** What admission hands authenticated connections to. */
export interface AdmissionHost {
  secret: string;
  revoked(subject: string): boolean;
  /** Volunteers may join at all. */
  admitVolunteers: boolean;
  log(line: string): void;
  /** Runs `fn` (the handling of one frame's messages) as one scheduling batch. */
  batch(fn: () => void): void;
  /** A node's or volunteer's first message (RegisterNode): returns its node id. */
  register(conn: Connection, m: MessageOf<'RegisterNode'>, volunteer: boolean): string;
  fromNode(nodeId: string, msg: Message): void;
  /** A driver (or viewer, admin) connection authenticated: returns its driver id. */
  addDriver(conn: Connection, principal: Principal): string;
  fromDriver(driverId: string, principal: Principal, conn: Connection, msg: Message): void;
  nodeClosed(nodeId: string, reason: string): void;
  driverClosed(driverId: string, conn: Connection): void;
}

export interface AdmissionLimits {
  /** How long a new connection may take to authenticate, ms. @default 10000 */
  authTimeoutMs?: number;
  /** Connections authenticating at once; at the limit the oldest is dropped for a new one (a flood). @default 256 */
  maxUnauthenticated?: number;
  /** Open connections of every kind beyond which new ones are refused at once. @default 4096 */
  maxConnections?: number;
}

export class Admission {
  /** Connections in the handshake. */
  private readonly authenticating = new Set<GuardedConnection>();
  /** Open connections of every kind. */
  private open = 0;

  constructor(
    private readonly host: AdmissionHost,
    private readonly limits: AdmissionLimits,
  ) {}

  /** Takes over an accepted connection: challenges it, and once it has authenticated, serves it by its role. */
  accept(conn: Connection): void {
    const maxPending = this.limits.maxUnauthenticated ?? 256;
    const maxOpen = this.limits.maxConnections ?? 4096;
    if (this.open >= maxOpen) {
      refuse(conn, new WrtError('WRT_UNAUTHENTICATED', `the head is busy (${maxOpen} connections are open); try again later`), 1013);
      return;
    }
    // A flood of connections that never authenticate must not lock out the ones that do: at the
    // limit the oldest still authenticating is dropped (an honest peer answers the challenge in
    // one round trip, so only stalled ones grow old), as a TCP listener drops its oldest half-open
    // connection under a SYN flood.
    if (this.authenticating.size >= maxPending) {
      const [oldest] = this.authenticating.values();
      oldest!.evict(
        new WrtError('WRT_UNAUTHENTICATED', `dropped: ${maxPending} connections were authenticating and this one was the oldest`),
        1013,
      );
    }
    this.open++;
    const guarded = guardConnection(conn, {
      secret: this.host.secret,
      revoked: (s) => this.host.revoked(s),
      admitVolunteers: this.host.admitVolunteers,
      timeoutMs: this.limits.authTimeoutMs ?? 10_000,
      log: (line) => this.host.log(line),
    });
    this.authenticating.add(guarded);
    void guarded.done.then((principal) => {
      this.authenticating.delete(guarded);
      if (principal) this.admit(conn, principal);
      else this.open--;
    });
  }

  private admit(conn: Connection, principal: Principal): void {
    const host = this.host;
    const allowed = ALLOWED[principal.role];
    const worker = principal.role === 'node' || principal.role === 'volunteer';
    let nodeId = '';
    const driverId = worker ? '' : host.addDriver(conn, principal);
    let closed = false;
    const handleOne = (msg: Message): void => {
      if (closed) return;
      if (!allowed.has(msg.type)) {
        closed = true;
        host.log(`head: ${principal.role} ${principal.subject} at ${conn.peer} sent ${msg.type}; closing the connection`);
        refuse(conn, new WrtError('WRT_FORBIDDEN', `a ${principal.role} connection may not send ${msg.type}`));
        return;
      }
      try {
        if (worker) {
          if (!nodeId) {
            if (msg.type !== 'RegisterNode')
              throw new WrtError('WRT_PROTOCOL', `a node's first message must be RegisterNode, not ${msg.type}`);
            nodeId = host.register(conn, msg, principal.role === 'volunteer');
          }
          host.fromNode(nodeId, msg);
        } else host.fromDriver(driverId, principal, conn, msg);
      } catch (err) {
        const failure = toFailure(err, 'WRT_INVALID_ARGUMENT');
        host.log(`head: ${failure.code}: ${failure.message}`);
        conn.send(
          encodeMessage({ type: 'ErrorMessage', requestId: 'requestId' in msg ? (msg as { requestId: number }).requestId : 0, failure }),
        );
      }
    };
    conn.onMessage = (frame) => {
      if (closed) return;
      let msgs: Message[];
      try {
        msgs = decodeFrame(frame);
      } catch (err) {
        host.log(`head: ${(err as Error).message} from ${conn.peer}; closing the connection`);
        closed = true;
        refuse(conn, err as WrtError);
        return;
      }
      host.batch(() => msgs.forEach(handleOne));
    };
    conn.onMessages = (msgs) => host.batch(() => msgs.forEach(handleOne));
    conn.onClose = (reason) => {
      this.open--;
      if (nodeId) host.nodeClosed(nodeId, `connection closed: ${reason}`);
      else if (driverId) host.driverClosed(driverId, conn);
    };
  }
}
