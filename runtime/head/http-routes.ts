/**
 * The head's HTTP routes, platform-free: its pages (`/` the volunteer page, `/driver` the browser
 * driver page, `/ui` the dashboard) and its JSON API: `/api/v1/…` (rest-api.ts, docs/rest-api.md) and `GET /api/status`
 * ({@link ClusterStatus}, kept as it was for scripts of earlier versions). The Node server
 * (runtime/launch/node/head-server.ts) serves them beside the browser bundles, `/metrics` and the
 * WebSocket.
 */
import type { ClusterStatus, Head } from './head.js';
import { driverPage, volunteerPage } from './volunteer-page.js';
import { dashboardPage } from './dashboard-page.js';
import { verifyBearer, type Principal } from '../protocol/credentials.js';
import { RestApi, type ApiRequest, type ApiResponse } from './rest-api.js';

export interface HttpRoutes {
  /** HTML pages by path (`/` is the volunteer page). */
  pages: Record<string, () => string>;
  /** `/api/<path>` (`path` without the `/api/` prefix): the status and JSON body. */
  api(req: ApiRequest): ApiResponse;
  /**
   * Who an `Authorization` header's value (`Bearer TOKEN`) stands for, or null: every API route
   * needs a credential of this cluster; pages and bundles hold no secrets and need none.
   */
  authorize(header: string | undefined): Promise<Principal | null>;
  /** `GET /metrics`: the Prometheus exposition (content type and text), where the platform has it. */
  metrics?: () => Promise<{ type: string; body: string }>;
}

/** The routes of `head`. */
export function headRoutes(
  head: Pick<Head, 'status' | 'slotUse' | 'clusterSecret' | 'volunteerRevoked' | 'jobs' | 'figures' | 'tasks' | 'nodeName'>,
  version: string,
): HttpRoutes {
  const rest = new RestApi({
    status: () => head.status(),
    slots: () => head.slotUse(),
    version,
    jobs: head.jobs,
    figures: head.figures,
    tasks: head.tasks,
    nodeName: (id) => head.nodeName(id),
  });
  return {
    authorize: async (header) => {
      const m = /^Bearer\s+(\S+)$/.exec(header ?? '');
      return m ? verifyBearer(head.clusterSecret, m[1]!, head.volunteerRevoked) : null;
    },
    pages: { '/': volunteerPage, '/driver': driverPage, '/ui': dashboardPage },
    api: (req): ApiResponse => {
      if (req.path === 'status' && req.method === 'GET') {
        if (req.principal.role === 'volunteer')
          return { status: 403, body: { error: 'WRT_FORBIDDEN', message: 'volunteer credentials do not read the API' } };
        return { status: 200, body: head.status() satisfies ClusterStatus };
      }
      if (req.path.startsWith('v1/')) return rest.handle({ ...req, path: req.path.slice(3) });
      return { status: 404, body: { error: 'WRT_INVALID_ARGUMENT', message: `no route /api/${req.path} (see docs/rest-api.md)` } };
    },
  };
}
