/**
 * The client side of the authentication handshake (docs/security.md): answer the head's
 * AuthChallenge with a proof of the credential (runtime/protocol/credentials.ts) and wait for
 * AuthOk. Platform-free: node agents, drivers, the CLI and browser tabs all authenticate here.
 */
import type { Connection, Platform } from '../platform/platform.js';
import type { Message, MessageOf, Role } from '../protocol/messages.js';
import { decodeFrame, encodeMessage } from '../protocol/codec.js';
import { WrtError, fromFailure } from '../errors.js';
import { parseCredential, proofOf, type Credential } from '../protocol/credentials.js';

/**
 * Authenticates `conn` as `role` with `credential`; resolves with the head's AuthOk once in.
 * The connection's handlers are free again when it resolves.
 * @throws WrtError `WRT_UNAUTHENTICATED` or `WRT_FORBIDDEN` as the head refused (the connection is
 *   closed), `WRT_PROTOCOL` for an answer that is not part of the handshake, `WRT_CONNECTION` when
 *   the connection closes first.
 */
export function authenticate(conn: Connection, credential: Credential, role: Role): Promise<MessageOf<'AuthOk'>> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (err: Error | null, ok?: MessageOf<'AuthOk'>): void => {
      if (settled) return;
      settled = true;
      conn.onMessage = null;
      conn.onMessages = null;
      conn.onClose = null;
      if (err) {
        conn.close(1000, 'authentication failed');
        reject(err);
      } else resolve(ok!);
    };
    const receive = (msgs: Message[]): void => {
      for (const m of msgs) {
        if (m.type === 'AuthChallenge') {
          proofOf(credential.key, role, m.nonce).then(
            (proof) =>
              conn.send(
                encodeMessage({
                  type: 'Authenticate',
                  role,
                  credential: credential.kind === 'admin' ? 'admin' : credential.public,
                  proof,
                }),
              ),
            (err: Error) => settle(err),
          );
        } else if (m.type === 'AuthOk') settle(null, m);
        else if (m.type === 'ErrorMessage') settle(fromFailure(m.failure));
        else settle(new WrtError('WRT_PROTOCOL', `the head sent ${m.type} before authenticating the connection`));
      }
    };
    conn.onMessage = (frame) => {
      try {
        receive(decodeFrame(frame));
      } catch (err) {
        settle(err as Error);
      }
    };
    conn.onMessages = receive;
    conn.onClose = (reason) => settle(new WrtError('WRT_CONNECTION', `the head closed the connection while authenticating (${reason})`));
  });
}

/**
 * `platform` whose connections authenticate with the credential `token` as `role` before
 * `connect` resolves.
 * @throws WrtError `WRT_UNAUTHENTICATED` at once when `token` is not a credential's text
 */
export function withCredential(platform: Platform, token: string, role: Role): Platform {
  const credential = parseCredential(token);
  return {
    ...platform,
    connectDirect: (url) => platform.connect(url),
    connect: async (url) => {
      const conn = await platform.connect(url);
      await authenticate(conn, credential, role);
      return conn;
    },
  };
}
