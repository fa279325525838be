/**
 * Where Node processes keep and find cluster credentials (docs/security.md):
 *
 * - A head writes its cluster secret to `STATE/cluster-PORT.token` (mode 0600; STATE is
 *   `--state-dir`, else `$WRT_STATE_DIR`, else `~/.wrt`), so processes of the same user on the
 *   same machine find it for a loopback address, as Jupyter's runtime files are found.
 * - Everything else resolves a credential in this order: `--token-file FILE`, `$WRT_TOKEN`, and
 *   for a loopback address the token file of that port.
 */
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import { WrtError } from '../../errors.js';

/** The directory heads write their token files to: `$WRT_STATE_DIR`, else `~/.wrt`. */
export function defaultStateDir(): string {
  return process.env.WRT_STATE_DIR || join(homedir(), '.wrt');
}

/** The token file of the head listening on `port` (of this machine). */
export function tokenFilePath(port: number, stateDir = defaultStateDir()): string {
  return join(stateDir, `cluster-${port}.token`);
}

/**
 * Writes `secret` to the token file of `port` with mode 0600 (a temporary name, then a rename).
 * @returns the file's path
 */
export async function writeClusterToken(secret: string, port: number, stateDir = defaultStateDir()): Promise<string> {
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const path = tokenFilePath(port, stateDir);
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, secret + '\n', { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, path);
  return path;
}

/** Removes the token file of `port` if it still holds `secret` (another head may have taken the port since). */
export async function removeClusterToken(secret: string, port: number, stateDir = defaultStateDir()): Promise<void> {
  const path = tokenFilePath(port, stateDir);
  const text = await readFile(path, 'utf8').catch(() => '');
  if (text.trim() === secret) await rm(path, { force: true });
}

/**
 * Reads a credential from a file (a head's token file, or a token from `wrt token`).
 * @throws WrtError `WRT_UNAUTHENTICATED` when the file cannot be read or is empty
 */
export async function readTokenFile(file: string): Promise<string> {
  let text: string;
  try {
    text = (await readFile(file, 'utf8')).trim();
  } catch (err) {
    throw new WrtError('WRT_UNAUTHENTICATED', `cannot read the token file ${file}: ${(err as Error).message}`);
  }
  if (!text) throw new WrtError('WRT_UNAUTHENTICATED', `the token file ${file} is empty`);
  return text;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/**
 * The credential for the head at `address` (ws:// or http:// URL): `tokenFile` if given, else
 * `$WRT_TOKEN`, else, for a loopback address, the token file the head there wrote.
 * @throws WrtError `WRT_UNAUTHENTICATED` when none is found (the message says where to get one)
 */
export async function resolveToken(address: string, tokenFile?: string): Promise<string> {
  if (tokenFile) return readTokenFile(tokenFile);
  const env = process.env.WRT_TOKEN?.trim();
  if (env) return env;
  let url: URL | null = null;
  try {
    url = new URL(address);
  } catch {
    // Not a URL: the caller's own check names the problem.
  }
  if (url && LOOPBACK.has(url.hostname)) {
    const port = Number(url.port || (url.protocol === 'wss:' || url.protocol === 'https:' ? 443 : 80));
    const file = tokenFilePath(port);
    const text = await readFile(file, 'utf8').catch(() => '');
    if (text.trim()) return text.trim();
    throw new WrtError(
      'WRT_UNAUTHENTICATED',
      `no credential for ${address}: the head there wrote no token file ${file} (started by another user or with another --state-dir?); ` +
        'pass --token-file FILE or set WRT_TOKEN',
    );
  }
  throw new WrtError(
    'WRT_UNAUTHENTICATED',
    `no credential for ${address}: pass --token-file FILE (a copy of the head's cluster-PORT.token, or a token from \`wrt token\`) or set WRT_TOKEN`,
  );
}
