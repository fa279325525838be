/** `wrt status` and the PEM files of the CLI's TLS options (`--tls-cert`, `--tls-key`, `--ca-file`). */
import { readFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { WrtError } from '../errors.js';

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
  const url = new URL('/api/status', address.replace(/^ws/, 'http'));
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
