/**
 * The head's HTTP routes, platform-free: its pages (`/` the volunteer page, `/driver` the browser
 * driver page) and its JSON API (`GET /api/status`: {@link ClusterStatus}). The Node server
 * (runtime/launch/node/head-server.ts) serves them beside the browser bundles and the WebSocket.
 */
import type { ClusterStatus, Head } from './head.js';
import { driverPage, volunteerPage } from './volunteer-page.js';

export interface HttpRoutes {
  /** HTML pages by path (`/` is the volunteer page). */
  pages: Record<string, () => string>;
  /** JSON of `GET /api/<name>`, or undefined for 404. */
  api(name: string): unknown;
}

/** The routes of `head`. */
export function headRoutes(head: Pick<Head, 'status'>): HttpRoutes {
  return {
    pages: { '/': volunteerPage, '/driver': driverPage },
    api: (name): ClusterStatus | undefined => (name === 'status' ? head.status() : undefined),
  };
}
