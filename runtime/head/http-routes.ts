/**
 * The head's HTTP routes, platform-free: its pages (`/` the volunteer page, `/driver` the browser
 * driver page) and its JSON API (`GET /api/status`: {@link ClusterStatus}). The Node server
 * (runtime/launch/node/head-server.ts) serves them beside the browser bundles and the WebSocket.
 */
import type { ClusterStatus, Head } from './head.js';
import { driverPage, volunteerPage } from './volunteer-page.js';
import { verifyBearer, type Principal } from '../protocol/credentials.js';

export interface HttpRoutes {
  /** HTML pages by path (`/` is the volunteer page). */
  pages: Record<string, () => string>;
  /** JSON of `GET /api/<name>`, or undefined for 404. */
  api(name: string): unknown;
  /**
   * Who an `Authorization` header's value (`Bearer TOKEN`) stands for, or null: every API route
   * needs a credential of this cluster (any role); pages and bundles hold no secrets and need none.
   */
  authorize(header: string | undefined): Promise<Principal | null>;
}

/** The routes of `head`. */
export function headRoutes(head: Pick<Head, 'status' | 'clusterSecret' | 'volunteerRevoked'>): HttpRoutes {
  return {
    authorize: async (header) => {
      const m = /^Bearer\s+(\S+)$/.exec(header ?? '');
      return m ? verifyBearer(head.clusterSecret, m[1]!, head.volunteerRevoked) : null;
    },
    pages: { '/': volunteerPage, '/driver': driverPage },
    api: (name): ClusterStatus | undefined => (name === 'status' ? head.status() : undefined),
  };
}
