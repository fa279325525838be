/**
 * What a job may reach outside the sandbox on this process (docs/security.md): files of file
 * sources only under the data directories the node was started with (`--data-dir`), NATS servers
 * only from the `--allow-nats` list of the process that connects. Paths are compared after
 * resolving symbolic links, so a link inside a data directory cannot lead out of it.
 *
 * Refusals are `WRT_FORBIDDEN` errors that name the rule and the flag that widens it.
 */
import { realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import type { ConnectJetStream, ConnectorAccess, OpenFile } from '../platform.js';
import { WrtError } from '../../errors.js';

/** The limits of one process: where file sources may read, which NATS servers jobs may reach. */
export interface Confinement {
  /** Directories file sources may read under (absolute, or relative to the working directory). */
  dataDirs: string[];
  /** NATS servers jobs may reach: `host` (any port) or `host:port`. */
  allowNats: string[];
}

/** `path` with symbolic links resolved; for a path that does not exist, its nearest existing ancestor's, joined back. */
function real(path: string): string {
  const abs = resolve(path);
  try {
    return realpathSync(abs);
  } catch {
    const parent = dirname(abs);
    return parent === abs ? abs : resolve(real(parent), basename(abs));
  }
}

/** True when `path` is `root` or lies below it (both resolved). */
export function isUnder(path: string, root: string): boolean {
  const rel = relative(real(root), real(path));
  return rel === '' || (!rel.startsWith('..' + sep) && rel !== '..' && !isAbsolute(rel));
}

/**
 * Checks that a file source's `path` lies under one of `dataDirs`.
 * @throws WrtError `WRT_FORBIDDEN` naming the path, the directories and `--data-dir`
 */
export function checkDataPath(path: string, dataDirs: readonly string[]): void {
  if (dataDirs.some((d) => isUnder(path, d))) return;
  throw new WrtError(
    'WRT_FORBIDDEN',
    `file source path ${path} lies outside this node's data directories (${dataDirs.length ? dataDirs.join(', ') : 'none'}); ` +
      'start the node with --data-dir DIR to allow reading under DIR',
  );
}

/**
 * Checks every server of a comma-separated NATS `servers` list against `allow`.
 * @throws WrtError `WRT_FORBIDDEN` naming the server and `--allow-nats`; `WRT_BAD_JOB_GRAPH` for a server that is not a URL or host:port
 */
export function checkNatsServers(servers: string, allow: readonly string[]): void {
  for (const s of servers.split(',').map((x) => x.trim())) {
    let url: URL;
    try {
      url = new URL(/^[a-z]+:\/\//i.test(s) ? s : `nats://${s}`);
    } catch {
      throw new WrtError('WRT_BAD_JOB_GRAPH', `NATS server "${s}" is not a URL or host:port`);
    }
    const host = url.hostname;
    const port = url.port || '4222';
    if (allow.some((a) => a === host || a === `${host}:${port}`)) continue;
    throw new WrtError(
      'WRT_FORBIDDEN',
      `NATS server ${host}:${port} is not on this process's list (${allow.length ? allow.join(', ') : 'none'}); ` +
        `start it with --allow-nats ${host}:${port} to allow it`,
    );
  }
}

/** `connect` that first checks the servers against `allow`. */
export function confinedJetStream(connect: ConnectJetStream, allow: readonly string[]): ConnectJetStream {
  return (servers) => {
    checkNatsServers(servers, allow);
    return connect(servers);
  };
}

/** Connectors that honour `c`: `openFile` checks the data directories, `connectJetStream` the NATS list. */
export function confinedConnectors(access: ConnectorAccess, c: Confinement): ConnectorAccess {
  const open = access.openFile;
  const openFile: OpenFile | undefined = open
    ? (path) => {
        checkDataPath(path, c.dataDirs);
        return open(path);
      }
    : undefined;
  return {
    openFile,
    connectJetStream: access.connectJetStream ? confinedJetStream(access.connectJetStream, c.allowNats) : undefined,
  };
}
