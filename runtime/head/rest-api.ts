/**
 * The head's REST API, version 1 (`/api/v1/…`, docs/rest-api.md): read routes over the head's
 * status, platform-free. Every route needs a bearer credential of any role (head-server.ts checks
 * it before calling here). Lists are paginated with an opaque cursor and never unbounded.
 *
 * Errors are JSON `{ "error": "WRT_INVALID_ARGUMENT", "message": … }`: 404 for an unknown route or job, 400
 * for a bad query.
 */
import type { ClusterStatus } from './head.js';

/** A response: HTTP status and the JSON body. */
export interface ApiResponse {
  status: number;
  body: unknown;
}

/** What the routes read: the head's status and the node ledger's slot use. */
export interface RestSource {
  status(): ClusterStatus;
  /** Slots (cpus) offered and held by grants, over the trusted nodes. */
  slots(): { total: number; busy: number };
  /** The package version of the head. */
  version: string;
}

/** Largest page a list returns; `limit` may ask for less. */
export const MAX_PAGE = 500;
const DEFAULT_PAGE = 100;

const notFound = (message: string): ApiResponse => ({ status: 404, body: { error: 'WRT_INVALID_ARGUMENT', message } });
const badQuery = (message: string): ApiResponse => ({ status: 400, body: { error: 'WRT_INVALID_ARGUMENT', message } });

/** Page `items` by `limit` (1..{@link MAX_PAGE}) and `cursor` (the index to start at, as the previous page's `next`). */
function page<T>(items: T[], query: URLSearchParams): ApiResponse {
  const limit = query.has('limit') ? Number(query.get('limit')) : DEFAULT_PAGE;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) return badQuery(`limit must be an integer from 1 to ${MAX_PAGE}`);
  const cursor = query.has('cursor') ? Number(query.get('cursor')) : 0;
  if (!Number.isInteger(cursor) || cursor < 0) return badQuery('cursor must be the "next" of a previous page');
  const slice = items.slice(cursor, cursor + limit);
  const next = cursor + limit < items.length ? String(cursor + limit) : null;
  return { status: 200, body: { items: slice, total: items.length, next } };
}

/** The node kind the API shows: a Node process, a browser tab, or a volunteer (tab). */
function kindOf(n: ClusterStatus['nodes'][number]): 'process' | 'browser' | 'volunteer' {
  if (n.role === 'volunteer') return 'volunteer';
  return n.platform === 'browser' ? 'browser' : 'process';
}

/**
 * Answers `GET /api/v1/<path>`.
 * @param path the part after `/api/v1/` (no leading slash)
 */
export function restV1(source: RestSource, path: string, query: URLSearchParams): ApiResponse {
  const parts = path.split('/').filter(Boolean);
  const s = source.status();
  if (parts.length === 1 && parts[0] === 'overview') {
    const nodes = { process: 0, browser: 0, volunteer: 0 };
    for (const n of s.nodes) nodes[kindOf(n)]++;
    const jobs: Record<string, number> = {};
    for (const j of s.jobs) jobs[j.state] = (jobs[j.state] ?? 0) + 1;
    return { status: 200, body: { version: source.version, nodes, slots: source.slots(), jobs } };
  }
  if (parts.length === 1 && parts[0] === 'nodes') {
    return page(
      s.nodes.map((n) => ({ ...n, kind: kindOf(n) })),
      query,
    );
  }
  if (parts[0] === 'jobs' && parts.length === 1) {
    const state = query.get('state');
    return page(state ? s.jobs.filter((j) => j.state === state) : s.jobs, query);
  }
  if (parts[0] === 'jobs' && parts.length === 2) {
    const job = s.jobs.find((j) => j.id === parts[1]);
    return job ? { status: 200, body: job } : notFound(`no job ${parts[1]} on this head`);
  }
  return notFound(`no route /api/v1/${path} (see docs/rest-api.md)`);
}
