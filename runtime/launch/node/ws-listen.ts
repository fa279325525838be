/** Starting and stopping an HTTP(S) server that carries a `ws` WebSocketServer (the head's, a node's direct-call listener). */
import type { Server } from 'node:http';
import type { WebSocketServer } from 'ws';

/** A listening server: the port it bound, and a close that ends every connection first. */
export interface Listening {
  port: number;
  close(): Promise<void>;
}

/**
 * Listens with `server` (which carries `wss`) on `host:port` (0: a free port).
 * @throws the server's `error` (e.g. `EADDRINUSE`) as a rejection
 */
export function listen(server: Server, wss: WebSocketServer, host: string, port: number): Promise<Listening> {
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
