/** What the Node entry of the SDK needs from Node: module loading and an embedded cluster. */
import { fileURLToPath } from 'node:url';
import { availableParallelism } from 'node:os';
import { coreModuleOf, loadCoreModule } from '../../platform/node/component-core.js';
import type { EmbeddedCluster } from './embedded-cluster.js';
import type { LocalReach } from './local-cluster.js';
import { nodePlatform, configuredNodePlatform } from '../../platform/node/platform.js';
import { WrtError } from '../../errors.js';
import type { Platform } from '../../platform/platform.js';
import { withCredential } from '../../client/authenticate.js';

/** Loads a module from a path, a file: or http(s): URL, or bytes; returns its core module. */
export async function loadModuleSource(source: string | URL | Uint8Array): Promise<Uint8Array> {
  if (source instanceof Uint8Array) return coreModuleOf(source, 'the module bytes');
  const text = String(source);
  if (/^https?:\/\//.test(text)) {
    const res = await fetch(text);
    if (!res.ok) throw new WrtError('WRT_INPUT_NOT_FOUND', `module ${text}: HTTP ${res.status}`);
    return coreModuleOf(new Uint8Array(await res.arrayBuffer()), text);
  }
  return loadCoreModule(text.startsWith('file:') ? fileURLToPath(text) : text);
}

/**
 * Starts an embedded cluster: by default the head and the first node in this process (the others
 * as processes; docs/adr/0006); with `processes`, a head process and `nodes` node processes.
 * `cpus` defaults to the cores divided among the nodes; `reach`: what jobs may reach (files under
 * the working directory and NATS on loopback by default).
 */
export async function startEmbeddedCluster(
  nodes = 1,
  cpus?: number,
  gpuNodes = nodes,
  processes = false,
  reach: LocalReach = {},
): Promise<EmbeddedCluster> {
  const slots = cpus ?? Math.max(1, Math.floor(availableParallelism() / nodes));
  // The head, its HTTP server and the node agent load only when a driver starts a cluster; a
  // driver that joins one (`init({ address })`) never loads them.
  if (!processes) return (await import('./embedded-cluster.js')).startEmbeddedCluster({ nodes, cpus: slots, gpuNodes, reach });
  const cluster = await (await import('./local-cluster.js')).startLocalCluster(nodes, slots, false, gpuNodes, reach);
  return {
    address: cluster.address,
    platform: withCredential(nodePlatform, cluster.token, 'driver'),
    local: null,
    stop: () => cluster.stop(),
  };
}

/**
 * The Node platform, authenticated as a driver at the head of `address` with `token`, else
 * `$WRT_TOKEN`, else the loopback head's token file (runtime/launch/node/cluster-token.ts); `ca`:
 * PEM certificates to trust for a `wss://` head.
 * @throws WrtError `WRT_UNAUTHENTICATED` when no credential is found
 */
export async function driverPlatform(address: string, token?: string, ca?: string): Promise<Platform> {
  const { resolveToken } = await import('./cluster-token.js');
  return withCredential(configuredNodePlatform({ ca }), token ?? (await resolveToken(address)), 'driver');
}
