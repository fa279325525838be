/**
 * The CLI's client of the head's REST API (docs/rest-api.md): `wrt status`, `wrt list`, `wrt logs`,
 * `wrt cancel`, `wrt savepoint` and `wrt stop` all go through it, with a bearer credential and,
 * for an https head, the CAs of `--ca-file`.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { WrtError, type ErrorCode } from '../errors.js';

/** How often a savepoint's trigger is polled, ms. */
const POLL_MS = 200;

export class ApiClient {
  /** `address`: the head, http(s):// or ws(s):// HOST:PORT (a `/ws` path is ignored). */
  constructor(
    private readonly address: string,
    private readonly token: string,
    private readonly ca?: string,
  ) {}

  /**
   * `GET /api/…path`: the parsed JSON of a 200.
   * @throws WrtError `WRT_CONNECTION` (no head answers, TLS fails, or a 5xx), `WRT_UNAUTHENTICATED`
   *   (401), `WRT_FORBIDDEN` (403), `WRT_INVALID_ARGUMENT` (400, 404: the head's message)
   */
  get<T>(path: string): Promise<T> {
    return this.call('GET', path) as Promise<T>;
  }

  /** `POST /api/…path` with a JSON body; errors as {@link get}. */
  post<T>(path: string, body?: unknown): Promise<T> {
    return this.call('POST', path, body) as Promise<T>;
  }

  /** Every item of a paginated list at `path` (`/v1/jobs`, …), page after page. */
  async all<T>(path: string): Promise<T[]> {
    const out: T[] = [];
    const sep = path.includes('?') ? '&' : '?';
    let cursor: string | null = '0';
    while (cursor !== null) {
      const page: { items: T[]; next: string | null } = await this.get(`${path}${sep}limit=500&cursor=${cursor}`);
      out.push(...page.items);
      cursor = page.next;
    }
    return out;
  }

  /**
   * Triggers a savepoint of `jobId` (`stop`: then ends the job) into `dir` ('' for the head's
   * default) and polls its trigger until it is written.
   * @returns the savepoint's path
   * @throws WrtError as {@link get}, or the savepoint's failure
   */
  async savepoint(jobId: string, dir: string, stop: boolean): Promise<string> {
    const id = encodeURIComponent(jobId);
    const { triggerId } = await this.post<{ triggerId: string }>(
      `/v1/jobs/${id}/${stop ? 'stop' : 'savepoints'}`,
      dir ? { dir } : undefined,
    );
    for (;;) {
      const t = await this.get<{ status: string; path: string; failure: { code: ErrorCode; message: string } | null }>(
        `/v1/jobs/${id}/savepoints/${triggerId}`,
      );
      if (t.status === 'COMPLETED') return t.path;
      if (t.status === 'FAILED') throw new WrtError(t.failure?.code ?? 'WRT_JOB_FAILED', t.failure?.message ?? 'the savepoint failed');
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  }

  private call(method: string, path: string, body?: unknown): Promise<unknown> {
    const url = new URL(`/api${path}`, this.address.replace(/^ws/, 'http'));
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = { Authorization: `Bearer ${this.token}` };
    if (payload) headers['Content-Type'] = 'application/json';
    return new Promise((resolve, reject) => {
      const req = request(url, { method, headers, ...(this.ca ? { ca: this.ca } : {}) }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          const message = (json as { message?: string } | undefined)?.message ?? `HTTP ${status}`;
          if (status === 200 || status === 202) resolve(json);
          else if (status === 401) reject(new WrtError('WRT_UNAUTHENTICATED', `the head at ${url.origin} refused the credential`));
          else if (status === 403) reject(new WrtError('WRT_FORBIDDEN', message));
          else if (status === 400 || status === 404) reject(new WrtError('WRT_INVALID_ARGUMENT', message));
          else reject(new WrtError('WRT_CONNECTION', `the head at ${url.origin} answered HTTP ${status}: ${message}`));
        });
      });
      req.on('error', (err) => reject(new WrtError('WRT_CONNECTION', `no wrt head answers at ${url.origin}: ${err.message}`)));
      req.end(payload);
    });
  }
}
