/**
 * The head's HTTP and WebSocket server (Node only): `ws` for WebSocket upgrades on `/ws`, plain
 * `node:http` for pages, browser bundles, the REST API (GET, and POST with a JSON body of at most
 * {@link MAX_BODY_BYTES}) and `/metrics` (prometheus.ts; any credential but a volunteer's). Every response carries the
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
import { listen } from './ws-listen.js';
import { connectionOverWebSocket, type WebSocketLike } from '../../platform/websocket-connection.js';
import type { Connection } from '../../platform/platform.js';
import { MAX_FRAME_BYTES } from '../../protocol/codec.js';
import type { Head } from '../../head/head.js';
import { headRoutes, type HttpRoutes } from '../../head/http-routes.js';
import { headMetrics } from './prometheus.js';

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

/** Largest request body the API reads, bytes. */
export const MAX_BODY_BYTES = 64 * 1024;

/**
 * The JSON body of a request: undefined when it has none, an Error (not thrown) when it is larger
 * than {@link MAX_BODY_BYTES} or not JSON.
 */
async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  if (req.method !== 'POST') return undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.byteLength;
    if (size > MAX_BODY_BYTES) return new Error(`the body is over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return new Error('the body is not JSON');
  }
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
  const unauthenticated = (res: ServerResponse): void => {
    res.setHeader('WWW-Authenticate', 'Bearer realm="wrt"');
    send(res, 401, 'application/json', '{"error":"WRT_UNAUTHENTICATED","message":"send Authorization: Bearer TOKEN (docs/security.md)"}\n');
  };
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://head');
    const api = url.pathname.startsWith('/api/');
    if (req.method !== 'GET' && !(api && req.method === 'POST')) return send(res, 405, 'text/plain', 'method not allowed\n');
    const page = routes.pages[url.pathname];
    if (page) return send(res, 200, 'text/html; charset=utf-8', page());
    if (url.pathname === '/metrics' && routes.metrics) {
      const metrics = routes.metrics;
      void routes.authorize(req.headers.authorization).then(async (who) => {
        if (!who || who.role === 'volunteer') return unauthenticated(res);
        const { type, body } = await metrics();
        send(res, 200, type, body);
      });
      return;
    }
    if (api) {
      void Promise.all([routes.authorize(req.headers.authorization), readJsonBody(req)]).then(([who, body]) => {
        if (!who) return unauthenticated(res);
        if (body instanceof Error)
          return send(res, 400, 'application/json', JSON.stringify({ error: 'WRT_INVALID_ARGUMENT', message: body.message }) + '\n');
        const r = routes.api({ method: req.method!, path: url.pathname.slice(5), query: url.searchParams, body, principal: who });
        send(res, r.status, 'application/json', JSON.stringify(r.body) + '\n');
      });
      return;
    }
    if (url.pathname.startsWith('/assets/')) {
      const file = normalize(url.pathname.slice('/assets/'.length));
      if (file.startsWith('..') || !/^[\w.-]+\.(js|css)(\.map)?$/.test(file)) return send(res, 404, 'text/plain', 'not found\n');
      const type = file.endsWith('.css')
        ? 'text/css; charset=utf-8'
        : file.endsWith('.map')
          ? 'application/json'
          : 'text/javascript; charset=utf-8';
      readFile(join(BROWSER_ASSETS, file)).then(
        (body) => send(res, 200, type, body),
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
  return listen(server, wss, host, port).then((l) => ({ ...l, scheme: options.tls ? 'https' : 'http' }));
}

/** Serves `head` on `host:port` (port 0 picks a free one): its pages, its REST API, `/metrics`, and its WebSocket. */
export function serveHead(head: Head, host: string, port: number, options: HeadServerOptions = {}): Promise<HeadServer> {
  const metrics = headMetrics(head);
  const routes: HttpRoutes = {
    ...headRoutes(head, VERSION),
    metrics: async () => ({ type: metrics.contentType, body: await metrics.metrics() }),
  };
  return startHeadServer(host, port, routes, (c) => head.accept(c), options);
}
