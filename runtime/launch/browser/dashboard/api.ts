/**
 * The dashboard's client of the head's REST API (docs/rest-api.md): same origin, the bearer token
 * the page was opened with (`/ui#token=…`, kept in sessionStorage for the tab's life and never in
 * the address bar once read).
 */

const TOKEN_KEY = 'wrt.dashboard.token';

/** A refused or failed request: the HTTP status and the head's message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Takes `#token=…` out of the address into sessionStorage; returns the token to use ('' if none). */
export function takeToken(): string {
  const params = new URLSearchParams(location.hash.slice(1));
  const fromHash = params.get('token');
  if (fromHash) {
    sessionStorage.setItem(TOKEN_KEY, fromHash);
    history.replaceState(null, '', `${location.pathname}#/`);
  }
  return sessionStorage.getItem(TOKEN_KEY) ?? '';
}

/** Forgets the token (it was refused). */
export function dropToken(): void {
  sessionStorage.removeItem(TOKEN_KEY);
}

export function saveToken(token: string): void {
  sessionStorage.setItem(TOKEN_KEY, token);
}

export class DashboardApi {
  constructor(private readonly token: string) {}

  /** `GET /api/v1/…path`; throws {@link ApiError} on anything but 200. */
  get<T>(path: string): Promise<T> {
    return this.call<T>('GET', path);
  }

  /** `POST /api/v1/…path` with a JSON body; throws {@link ApiError} on anything but 200/202. */
  post<T>(path: string, body?: unknown): Promise<T> {
    return this.call<T>('POST', path, body);
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`/api/v1${path}`, {
      method,
      headers: { Authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (await res.json().catch(() => ({}))) as { message?: string };
    if (res.status !== 200 && res.status !== 202) throw new ApiError(res.status, json.message ?? `HTTP ${res.status}`);
    return json as T;
  }
}
