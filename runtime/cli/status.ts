/** `wrt status`, `wrt list` and the PEM files of the CLI's TLS options (`--tls-cert`, `--tls-key`, `--ca-file`). */
import { readFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { WrtError } from '../errors.js';
import type { JobStatusView } from '../head/job-registry.js';

/**
 * Reads a PEM file named by `flag`.
 * @throws WrtError `WRT_INVALID_ARGUMENT` when it cannot be read or holds no PEM block
 */
export async function readPem(file: string, flag: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new WrtError('WRT_INVALID_ARGUMENT', `${flag} ${file}: ${(err as Error).message}`);
  }
  if (!text.includes('-----BEGIN ')) throw new WrtError('WRT_INVALID_ARGUMENT', `${flag} ${file} holds no PEM block (-----BEGIN …)`);
  return text;
}

/** The PEM certificates of `--ca-file`, or undefined without one. */
export function readCa(file: string | undefined): Promise<string | undefined> {
  return file ? readPem(file, '--ca-file') : Promise.resolve(undefined);
}

/**
 * `GET /api/status` of the head at `address` (http(s):// or ws(s)://) with `token` as the bearer.
 * @returns the parsed JSON (ClusterStatus)
 * @throws WrtError `WRT_CONNECTION` (no head answers, or TLS fails), `WRT_UNAUTHENTICATED` (401)
 */
export function getStatus(address: string, token: string, ca?: string): Promise<unknown> {
  return getApi(address, '/api/status', token, ca);
}

/** One job of `GET /api/v1/jobs` (docs/rest-api.md). */
export type JobListItem = JobStatusView;

/**
 * Every job of the head at `address`, following the pages of `GET /api/v1/jobs`.
 * @throws WrtError as {@link getStatus}
 */
export async function listJobs(address: string, token: string, ca?: string): Promise<JobListItem[]> {
  const jobs: JobListItem[] = [];
  let cursor: string | null = '0';
  while (cursor !== null) {
    const page = (await getApi(address, `/api/v1/jobs?limit=500&cursor=${cursor}`, token, ca)) as {
      items: JobListItem[];
      next: string | null;
    };
    jobs.push(...page.items);
    cursor = page.next;
  }
  return jobs;
}

/** `jobs` as a table: id, state, subtasks done of total, name, nodes. */
export function formatJobs(jobs: JobListItem[]): string {
  if (jobs.length === 0) return 'no jobs\n';
  const rows = [
    ['JOB', 'STATE', 'TASKS', 'NAME', 'NODES'],
    ...jobs.map((j) => [j.id, j.state, `${j.tasksDone}/${j.tasksTotal}`, j.name, j.nodes.join(',')]),
  ];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  ')).join('\n') + '\n';
}

/** `GET path` of the head at `address` with `token` as the bearer; the parsed JSON of a 200. */
function getApi(address: string, path: string, token: string, ca?: string): Promise<unknown> {
  const url = new URL(path, address.replace(/^ws/, 'http'));
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { Authorization: `Bearer ${token}` }, ...(ca ? { ca } : {}) }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => {
        if (res.statusCode === 401) reject(new WrtError('WRT_UNAUTHENTICATED', `the head at ${url.origin} refused the credential`));
        else if (res.statusCode !== 200)
          reject(new WrtError('WRT_CONNECTION', `the head at ${url.origin} answered HTTP ${res.statusCode}`));
        else resolve(JSON.parse(body));
      });
    });
    req.on('error', (err) => reject(new WrtError('WRT_CONNECTION', `no wrt head answers at ${url.origin}: ${err.message}`)));
    req.end();
  });
}
