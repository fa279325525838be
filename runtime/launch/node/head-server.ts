/**
 * The head's HTTP and WebSocket server (Node only): `ws` for WebSocket upgrades on `/ws`, plain
 * `node:http` for pages, browser bundles and the REST API. Every response carries the
 * cross-origin isolation headers (COOP `same-origin`, COEP `require-corp`) that browser nodes need
 * for SharedArrayBuffer.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocketServer } from 'ws';
import { connectionOverWebSocket, type WebSocketLike } from '../../platform/websocket-connection.js';
import type { Connection } from '../../platform/platform.js';
import { MAX_FRAME_BYTES } from '../../protocol/codec.js';
import type { Head } from '../../head/head.js';
import { headRoutes, type HttpRoutes } from '../../head/http-routes.js';

export type { HttpRoutes };

const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/** This package's version (package.json), for `/api/v1/overview`. */
const VERSION = (
  JSON.parse(readFileSync(fileURLToPath(new URL('../../../../package.json', import.meta.url)), 'utf8')) as { version: string }
).version;

/** Directory of the browser bundles built by `npm run build` (dist/browser). */
export const BROWSER_ASSETS = fileURLToPath(new URL('../../../browser/', import.meta.url));

export interface HeadServer {
  port: number;
  /** `https` when serving TLS, else `http` (WebSockets: `wss` / `ws`). */
  scheme: 'http' | 'https';
  close(): Promise<void>;
}

/** How the head's server meets browsers and the network (docs/security.md). */
export interface HeadServerOptions {
  /**
   * Origins (`https://example.org:8443`) whose pages may open the head's WebSocket besides the
   * head's own. Upgrades with any other `Origin` header are refused with 403; clients that send
   * none (Node processes) are let through to authenticate.
   */
  allowOrigins?: string[];
  /** PEM certificate chain and private key: serve https and wss instead of http and ws. */
  tls?: { cert: string | Buffer; key: string | Buffer };
}

/**
 * True when a WebSocket upgrade with `origin` (the header, absent for non-browser clients) to
 * `host` (the Host header) may proceed: no Origin, the head's own origin, or one of `allowed`.
 */
export function originAllowed(origin: string | undefined, host: string | undefined, allowed: readonly string[]): boolean {
  if (origin === undefined) return true;
  let o: URL;
  try {
    o = new URL(origin);
  } catch {
    return false;
  }
  if (host && o.host === host) return true;
  return allowed.some((a) => {
    try {
      return new URL(a).origin === o.origin;
    } catch {
      return false;
    }
  });
}

/** Starts listening on `host:port` (port 0 picks a free one). */
export function startHeadServer(
  host: string,
  port: number,
  routes: HttpRoutes,
  onConnection: (c: Connection) => void,
  options: HeadServerOptions = {},
): Promise<HeadServer> {
  const send = (res: ServerResponse, status: number, type: string, body: string | Buffer): void => {
    res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store', ...ISOLATION_HEADERS });
    res.end(body);
  };
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://head');
    if (req.method !== 'GET') return send(res, 405, 'text/plain', 'method not allowed\n');
    const page = routes.pages[url.pathname];
    if (page) return send(res, 200, 'text/html; charset=utf-8', page());
    if (url.pathname.startsWith('/api/')) {
      void routes.authorize(req.headers.authorization).then((who) => {
        if (!who) {
          res.setHeader('WWW-Authenticate', 'Bearer realm="wrt"');
          return send(
            res,
            401,
            'application/json',
            '{"error":"WRT_UNAUTHENTICATED: send Authorization: Bearer TOKEN (docs/security.md)"}\n',
          );
        }
        const r = routes.api(url.pathname.slice(5), url.searchParams);
        send(res, r.status, 'application/json', JSON.stringify(r.body, null, 2) + '\n');
      });
      return;
    }
    if (url.pathname.startsWith('/assets/')) {
      const file = normalize(url.pathname.slice('/assets/'.length));
      if (file.startsWith('..') || !/^[\w.-]+\.js(\.map)?$/.test(file)) return send(res, 404, 'text/plain', 'not found\n');
      readFile(join(BROWSER_ASSETS, file)).then(
        (body) => send(res, 200, 'text/javascript; charset=utf-8', body),
        () => send(res, 404, 'text/plain', `not found (run \`npm run build\` to build the browser bundle)\n`),
      );
      return;
    }
    send(res, 404, 'text/plain', 'not found\n');
  };
  const server = options.tls ? createTlsServer({ cert: options.tls.cert, key: options.tls.key }, handler) : createServer(handler);
  const allowOrigins = options.allowOrigins ?? [];
  const wss = new WebSocketServer({
    server,
    path: '/ws',
    maxPayload: MAX_FRAME_BYTES + 1024,
    // WebSockets are not bound by the same-origin policy: any page a browser on this machine opens
    // could reach a loopback head. Refuse upgrades from pages of other origins (403).
    verifyClient: (info: { req: IncomingMessage }, done: (ok: boolean, code?: number, message?: string) => void) =>
      originAllowed(info.req.headers.origin, info.req.headers.host, allowOrigins)
        ? done(true)
        : done(false, 403, 'Origin not allowed (start the head with --allow-origin ORIGIN)'),
  });
  wss.on('connection', (ws, req) =>
    onConnection(connectionOverWebSocket(ws as unknown as WebSocketLike, `${req.socket.remoteAddress}:${req.socket.remotePort}`)),
  );
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const address = server.address();
      resolve({
        port: typeof address === 'object' && address ? address.port : port,
        scheme: options.tls ? 'https' : 'http',
        close: () =>
          new Promise<void>((done) => {
            for (const c of wss.clients) c.terminate();
            wss.close();
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}

/** Serves `head` on `host:port` (port 0 picks a free one): its pages, `/api/status`, and its WebSocket. */
export function serveHead(head: Head, host: string, port: number, options: HeadServerOptions = {}): Promise<HeadServer> {
  return startHeadServer(host, port, headRoutes(head, VERSION), (c) => head.accept(c), options);
}
