/**
 * A node's listener for direct actor calls (docs/adr/0009-direct-actor-calls.md): drivers call the
 * actors they own here without the head relaying each call. Every connection must first present a
 * route the head signed (`ActorRoute`, runtime/protocol/route-ticket.ts) for an actor this node
 * hosts; then it may send `ActorCall`s for that actor (arguments inline only: an `ObjectRef`
 * argument goes through the head) and gets each call's `TaskStatus`, the result inline. Anything
 * else — a call before a route, a route for another node, an expired or altered ticket, a call for
 * an actor the connection has no route for, any other message — is answered with an `ErrorMessage`
 * `WRT_FORBIDDEN` and the connection closed (1008). The node's own limits apply to every call.
 */
import { createServer, type IncomingMessage } from 'node:http';
import { WebSocketServer } from 'ws';
import { listen } from './ws-listen.js';
import { MAX_FRAME_BYTES, encodeMessage, onFrames } from '../../protocol/codec.js';
import { connectionOverWebSocket, type WebSocketLike } from '../../platform/websocket-connection.js';
import type { Connection } from '../../platform/platform.js';
import type { Message, MessageOf } from '../../protocol/messages.js';
import { verifyRoute } from '../../protocol/route-ticket.js';
import { WrtError } from '../../errors.js';

/** What the listener needs of its node. */
export interface DirectCallsTarget {
  /** The node's id ('' before it registered: every route is refused). */
  nodeId(): string;
  hosts(actorId: string): boolean;
  call(m: MessageOf<'ActorCall'>, reply: (s: MessageOf<'TaskStatus'>) => void): void;
}

export interface DirectListener {
  /** The ws:// URL drivers reach it at. */
  readonly address: string;
  close(): Promise<void>;
}

/** A call's result must fit one frame back to the driver. */
const MAX_DIRECT_RESULT_BYTES = MAX_FRAME_BYTES - 2 ** 20;

/**
 * Listens on `host:port` (0: a free port) for drivers' direct calls to `target`'s actors, checking
 * routes under the cluster `secret`. `advertise`: the host drivers are told (default `host`).
 */
export function listenForDirectCalls(
  target: DirectCallsTarget,
  secret: string,
  host: string,
  port = 0,
  advertise = host,
): Promise<DirectListener> {
  const server = createServer((_req, res) => {
    res.writeHead(426, { 'content-type': 'text/plain' }).end('direct actor calls: WebSocket only\n');
  });
  const wss = new WebSocketServer({
    server,
    path: '/direct',
    maxPayload: MAX_FRAME_BYTES + 1024,
    // A browser page has no business here (the head hands routes to drivers, not to pages of other origins).
    verifyClient: (info: { req: IncomingMessage }) => info.req.headers.origin === undefined,
  });
  wss.on('connection', (ws, req) =>
    serve(connectionOverWebSocket(ws as unknown as WebSocketLike, `${req.socket.remoteAddress}:${req.socket.remotePort}`), target, secret),
  );
  const shown = advertise.includes(':') ? `[${advertise}]` : advertise;
  return listen(server, wss, host, port).then((l) => ({ address: `ws://${shown}:${l.port}/direct`, close: () => l.close() }));
}

/** One driver's direct connection. */
function serve(conn: Connection, target: DirectCallsTarget, secret: string): void {
  const allowed = new Set<string>();
  /** Messages that arrived while a route was being checked, handled after it in order. */
  let backlog: Message[] | null = null;
  let open = true;
  const refuse = (why: string): void => {
    if (!open) return;
    open = false;
    conn.send(encodeMessage({ type: 'ErrorMessage', requestId: 0, failure: { code: 'WRT_FORBIDDEN', message: why, retryable: false } }));
    conn.close(1008, why);
  };
  const reply = (s: MessageOf<'TaskStatus'>): void => {
    if (!open) return;
    if (s.data && s.data.byteLength > MAX_DIRECT_RESULT_BYTES)
      s = {
        ...s,
        state: 'Failed',
        data: null,
        returnInline: false,
        failure: {
          code: 'WRT_OUTPUT_CAP',
          message: `the result of ${s.data.byteLength} bytes is larger than a direct call returns (${MAX_DIRECT_RESULT_BYTES}); start the node with --no-direct`,
          retryable: false,
        },
      };
    conn.send(encodeMessage(s));
  };
  const handle = (m: Message): void => {
    if (!open) return;
    if (backlog) {
      backlog.push(m);
      return;
    }
    if (m.type === 'ActorCall') {
      if (!allowed.has(m.actorId)) return refuse(`no route presented for actor ${m.actorId} on this connection`);
      if (m.args.some((a) => a.objectId)) return refuse('direct calls take inline arguments only; ObjectRef arguments go through the head');
      target.call(m, reply);
      return;
    }
    if (m.type !== 'ActorRoute') return refuse(`${m.type} is not accepted on a direct-call connection`);
    backlog = [];
    verifyRoute(secret, m, m.ticket, target.nodeId(), Date.now())
      .then(() => {
        if (!target.hosts(m.actorId)) throw new WrtError('WRT_FORBIDDEN', `actor ${m.actorId} is not on this node`);
        allowed.add(m.actorId);
      })
      .then(
        () => {
          const later = backlog ?? [];
          backlog = null;
          for (const x of later) handle(x);
        },
        (err: unknown) => refuse(err instanceof WrtError ? err.message : String(err)),
      );
  };
  onFrames(conn, handle, () => (open = false));
  conn.onClose = () => {
    open = false;
  };
}
