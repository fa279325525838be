/**
 * The head's HTTP routes, platform-free: its pages (`/` the volunteer page, `/driver` the browser
 * driver page) and its JSON API: `GET /api/v1/…` (rest-api.ts, docs/rest-api.md) and
 * `GET /api/status` ({@link ClusterStatus}, kept as it was for `wrt status`). The Node server
 * (runtime/launch/node/head-server.ts) serves them beside the browser bundles and the WebSocket.
 */
import type { ClusterStatus, Head } from './head.js';
import { driverPage, volunteerPage } from './volunteer-page.js';
import { verifyBearer, type Principal } from '../protocol/credentials.js';
import { restV1, type ApiResponse, type RestSource } from './rest-api.js';

export interface HttpRoutes {
  /** HTML pages by path (`/` is the volunteer page). */
  pages: Record<string, () => string>;
  /** `GET /api/<path>`: the status and JSON body (404 for an unknown route). */
  api(path: string, query: URLSearchParams): ApiResponse;
  /**
   * Who an `Authorization` header's value (`Bearer TOKEN`) stands for, or null: every API route
   * needs a credential of this cluster (any role); pages and bundles hold no secrets and need none.
   */
  authorize(header: string | undefined): Promise<Principal | null>;
}

/** The routes of `head`. */
export function headRoutes(head: Pick<Head, 'status' | 'slotUse' | 'clusterSecret' | 'volunteerRevoked'>, version: string): HttpRoutes {
  const source: RestSource = { status: () => head.status(), slots: () => head.slotUse(), version };
  return {
    authorize: async (header) => {
      const m = /^Bearer\s+(\S+)$/.exec(header ?? '');
      return m ? verifyBearer(head.clusterSecret, m[1]!, head.volunteerRevoked) : null;
    },
    pages: { '/': volunteerPage, '/driver': driverPage },
    api: (path, query): ApiResponse => {
      if (path === 'status') return { status: 200, body: head.status() satisfies ClusterStatus };
      if (path.startsWith('v1/')) return restV1(source, path.slice(3), query);
      return { status: 404, body: { error: 'WRT_INVALID_ARGUMENT', message: `no route /api/${path} (see docs/rest-api.md)` } };
    },
  };
}
