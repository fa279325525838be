/**
 * The head's HTTP and WebSocket server (Node only): `ws` for WebSocket upgrades on `/ws`, plain
 * `node:http` for pages, browser bundles and the REST API. Every response carries the
 * cross-origin isolation headers (COOP `same-origin`, COEP `require-corp`) that browser nodes need
 * for SharedArrayBuffer.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
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

/** Directory of the browser bundles built by `npm run build` (dist/browser). */
export const BROWSER_ASSETS = fileURLToPath(new URL('../../../browser/', import.meta.url));

export interface HeadServer {
  port: number;
  close(): Promise<void>;
}

/** Starts listening on `host:port` (port 0 picks a free one). */
export function startHeadServer(
  host: string,
  port: number,
  routes: HttpRoutes,
  onConnection: (c: Connection) => void,
): Promise<HeadServer> {
  const send = (res: ServerResponse, status: number, type: string, body: string | Buffer): void => {
    res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store', ...ISOLATION_HEADERS });
    res.end(body);
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://head');
    if (req.method !== 'GET') return send(res, 405, 'text/plain', 'method not allowed\n');
    const page = routes.pages[url.pathname];
    if (page) return send(res, 200, 'text/html; charset=utf-8', page());
    if (url.pathname.startsWith('/api/')) {
      const body = routes.api(url.pathname.slice(5));
      if (body === undefined) return send(res, 404, 'application/json', '{"error":"not found"}\n');
      return send(res, 200, 'application/json', JSON.stringify(body, null, 2) + '\n');
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
  });
  const wss = new WebSocketServer({ server, path: '/ws', maxPayload: MAX_FRAME_BYTES + 1024 });
  wss.on('connection', (ws, req) =>
    onConnection(connectionOverWebSocket(ws as unknown as WebSocketLike, `${req.socket.remoteAddress}:${req.socket.remotePort}`)),
  );
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const address = server.address();
      resolve({
        port: typeof address === 'object' && address ? address.port : port,
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
export function serveHead(head: Head, host: string, port: number): Promise<HeadServer> {
  return startHeadServer(host, port, headRoutes(head), (c) => head.accept(c));
}
