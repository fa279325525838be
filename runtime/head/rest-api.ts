/**
 * The head's REST API, version 1 (`/api/v1/…`, docs/rest-api.md), platform-free. Reads need a
 * bearer credential of the admin, a driver or a viewer (volunteers, strangers by design, get 403);
 * mutations (cancel, savepoint, stop) need the job's owner or the cluster secret (job-registry.ts).
 * Lists are pages with an opaque cursor and never unbounded.
 *
 * Errors are JSON `{ "error": CODE, "message": … }`: 400 for a bad query or body
 * (`WRT_INVALID_ARGUMENT`), 403 for a credential that may not (`WRT_FORBIDDEN`), 404 for an
 * unknown route, job, node or trigger, 405 for a route that exists under another method.
 */
import type { ClusterStatus } from './head.js';
import { kindOf } from './node-view.js';
import type { JobRegistry } from './job-registry.js';
import type { SubtaskFigureStore } from './subtask-figures.js';
import type { TaskService } from '../scheduler/task-service.js';
import type { Principal } from '../protocol/credentials.js';
import { checkpointsView, exceptionsView, jobDetail, type JobDetail } from './job-views.js';
import { SavepointTriggers } from './savepoint-triggers.js';
import { toFailure } from '../errors.js';

/** A response: HTTP status and the JSON body. */
export interface ApiResponse {
  status: number;
  body: unknown;
}

/** A request, authenticated. */
export interface ApiRequest {
  method: string;
  /** The part after `/api/v1/` (no leading slash). */
  path: string;
  query: URLSearchParams;
  /** The JSON body of a POST (undefined when there is none). */
  body: unknown;
  principal: Principal;
}

/** What the routes read: the head's parts. */
export interface RestSource {
  status(): ClusterStatus;
  /** Slots (cpus) offered and held by grants, over the trusted nodes. */
  slots(): { total: number; busy: number };
  /** The package version of the head. */
  version: string;
  jobs: Pick<JobRegistry, 'record' | 'records' | 'controlJob'>;
  figures: Pick<SubtaskFigureStore, 'of'>;
  tasks: Pick<TaskService, 'events' | 'actors' | 'objects'>;
  nodeName(id: string): string;
}

/** Largest page a list returns; `limit` may ask for less. */
export const MAX_PAGE = 500;
const DEFAULT_PAGE = 100;

const problem = (status: number, error: string, message: string): ApiResponse => ({ status, body: { error, message } });
const notFound = (message: string): ApiResponse => problem(404, 'WRT_INVALID_ARGUMENT', message);
const badRequest = (message: string): ApiResponse => problem(400, 'WRT_INVALID_ARGUMENT', message);
const ok = (body: unknown): ApiResponse => ({ status: 200, body });

/**
 * Pages `items` by `limit` (1..{@link MAX_PAGE}) and `cursor` (the position to start at, as the
 * previous page's `next`); reads the iterable once, keeping only the page.
 */
function page<T>(items: Iterable<T>, query: URLSearchParams): ApiResponse {
  const limit = query.has('limit') ? Number(query.get('limit')) : DEFAULT_PAGE;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) return badRequest(`limit must be an integer from 1 to ${MAX_PAGE}`);
  const cursor = query.has('cursor') ? Number(query.get('cursor')) : 0;
  if (!Number.isInteger(cursor) || cursor < 0) return badRequest('cursor must be the "next" of a previous page');
  const slice: T[] = [];
  let total = 0;
  for (const item of items) {
    if (total >= cursor && total < cursor + limit) slice.push(item);
    total++;
  }
  const next = cursor + limit < total ? String(cursor + limit) : null;
  return ok({ items: slice, total, next });
}

/** The throughput of a stream job as `wrt list` shows it: records per second its sources read. */
export function sourceRate(d: JobDetail): number | null {
  if (d.kind !== 'stream') return null;
  return d.vertices.filter((v) => v.kind === 'Source').reduce((n, v) => n + v.recordsOutPerSecond, 0);
}

export class RestApi {
  private readonly triggers = new SavepointTriggers();

  constructor(private readonly source: RestSource) {}

  /** Answers one request (never throws: a failure of the head's parts is a 4xx/5xx body). */
  handle(req: ApiRequest): ApiResponse {
    if (req.principal.role === 'volunteer') return problem(403, 'WRT_FORBIDDEN', 'volunteer credentials do not read the API');
    try {
      return req.method === 'POST'
        ? this.post(req)
        : req.method === 'GET'
          ? this.get(req)
          : problem(405, 'WRT_INVALID_ARGUMENT', 'GET or POST');
    } catch (err) {
      const f = toFailure(err, 'WRT_INVALID_ARGUMENT');
      return problem(f.code === 'WRT_FORBIDDEN' ? 403 : f.code === 'WRT_INVALID_ARGUMENT' ? 400 : 500, f.code, f.message);
    }
  }

  private get(req: ApiRequest): ApiResponse {
    const { source } = this;
    const [top, id, sub, subId, extra] = req.path.split('/').filter(Boolean) as (string | undefined)[];
    const q = req.query;
    const now = Date.now();
    if (extra !== undefined) return this.unknown(req);
    switch (top) {
      case 'overview': {
        if (id) break;
        const s = source.status();
        const nodes = { process: 0, browser: 0, volunteer: 0 };
        for (const n of s.nodes) nodes[kindOf(n)]++;
        const jobs: Record<string, number> = {};
        for (const j of s.jobs) jobs[j.state] = (jobs[j.state] ?? 0) + 1;
        return ok({ version: source.version, nodes, slots: source.slots(), jobs });
      }
      case 'nodes': {
        const nodes = source.status().nodes.map((n) => ({ ...n, kind: kindOf(n) }));
        if (!id) return page(nodes, q);
        const node = nodes.find((n) => n.id === id);
        if (!node) return notFound(`no node ${id} on this head`);
        if (!sub) return ok(node);
        if (sub !== 'objects' || subId) break;
        return page(
          source.tasks.objects.onNode(id).map((e) => ({ objectId: e.id, sizeBytes: e.sizeBytes, refs: e.refs, owner: e.owner })),
          q,
        );
      }
      case 'jobs': {
        if (!id) {
          const state = q.get('state');
          const views = [...source.jobs.records()]
            .filter((r) => !state || r.job.state === state)
            .map((r) => {
              const d: Partial<JobDetail> = jobDetail(r, source.figures.of(r.job.spec.jobId), (n) => source.nodeName(n), now);
              const recordsPerSecond = sourceRate(d as JobDetail);
              delete d.vertices;
              delete d.edges;
              return { ...d, recordsPerSecond };
            });
          return page(views, q);
        }
        const r = source.jobs.record(id);
        if (!r) return notFound(`no job ${id} on this head`);
        const detail = (): JobDetail => jobDetail(r, source.figures.of(id), (n) => source.nodeName(n), now);
        if (!sub) return ok(detail());
        if (sub === 'checkpoints' && !subId)
          return ok(checkpointsView(r) ?? { intervalMs: 0, counts: { completed: 0, failed: 0, inProgress: 0 }, latest: null, history: [] });
        if (sub === 'exceptions' && !subId) return page(exceptionsView(r), q);
        if (sub === 'watermarks' && !subId)
          return ok(
            detail().vertices.flatMap((v) => v.subtasks.map((s) => ({ vertex: v.id, index: s.index, outputWatermark: s.outputWatermark }))),
          );
        if (sub === 'vertices' && subId) {
          const v = detail().vertices.find((x) => x.id === subId);
          return v ? ok(v) : notFound(`job ${id} has no vertex ${subId}`);
        }
        if (sub === 'savepoints' && subId) {
          const t = this.triggers.get(subId);
          return t && t.jobId === id ? ok(t) : notFound(`no savepoint trigger ${subId} for job ${id}`);
        }
        break;
      }
      case 'tasks': {
        if (id) break;
        const events = source.tasks.events;
        const filter = { state: q.get('state') ?? undefined, name: q.get('name') ?? undefined };
        const p = page(events.list(filter), q);
        return p.status === 200 ? ok({ counts: events.counts(), ...(p.body as Record<string, unknown>) }) : p;
      }
      case 'actors': {
        if (id) break;
        const actors = source.tasks.actors;
        const filter = { state: q.get('state') ?? undefined, name: q.get('name') ?? undefined };
        const p = page(actors.list(filter), q);
        return p.status === 200 ? ok({ counts: actors.counts(), ...(p.body as Record<string, unknown>) }) : p;
      }
    }
    return this.unknown(req);
  }

  /**
   * `POST jobs/:id/cancel` (200 at once), `POST jobs/:id/savepoints` and `POST jobs/:id/stop`
   * (202 with a trigger id to poll at `GET jobs/:id/savepoints/:triggerId`); the body may name the
   * directory: `{ "dir": "…" }` (under the head's checkpoint directory; default its savepoints).
   */
  private post(req: ApiRequest): ApiResponse {
    const [top, id, action, extra] = req.path.split('/').filter(Boolean);
    if (top !== 'jobs' || !id || !action || extra !== undefined || !['cancel', 'savepoints', 'stop'].includes(action))
      return this.unknown(req);
    if (req.principal.role === 'viewer')
      return problem(403, 'WRT_FORBIDDEN', "a viewer credential may not change jobs; use the job owner's or the cluster secret");
    const body = (req.body ?? {}) as { dir?: unknown };
    if (typeof body !== 'object' || Array.isArray(body) || (body.dir !== undefined && typeof body.dir !== 'string'))
      return badRequest('the body is { "dir": "DIRECTORY" } or empty');
    const dir = body.dir ?? '';
    if (!this.source.jobs.record(id)) return notFound(`no job ${id} on this head`);
    if (action === 'cancel') {
      this.source.jobs.controlJob(id, 'Cancel', '', req.principal, () => {});
      return ok({ jobId: id, state: 'Cancelled' });
    }
    const trigger = this.triggers.start(id, action === 'stop' ? 'Stop' : 'Savepoint');
    try {
      this.source.jobs.controlJob(id, trigger.action, dir, req.principal, (failure, path) =>
        this.triggers.settle(trigger.triggerId, failure, path),
      );
    } catch (err) {
      this.triggers.drop(trigger.triggerId);
      throw err;
    }
    return { status: 202, body: { triggerId: trigger.triggerId } };
  }

  private unknown(req: ApiRequest): ApiResponse {
    return notFound(`no route ${req.method} /api/v1/${req.path} (see docs/rest-api.md)`);
  }
}
