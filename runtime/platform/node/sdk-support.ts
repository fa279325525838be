/** What the Node entry of the SDK needs from Node: module loading and an embedded cluster. */
import { fileURLToPath } from 'node:url';
import { availableParallelism } from 'node:os';
import { coreModuleOf, loadCoreModule } from './component-core.js';
import { startLocalCluster, type LocalCluster } from './local-cluster.js';
import { WrtError } from '../../errors.js';

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

/** Starts a local head and `nodes` node processes (default: one node with every core). */
export function startEmbeddedCluster(nodes = 1, cpus?: number, gpuNodes = nodes): Promise<LocalCluster> {
  return startLocalCluster(nodes, cpus ?? Math.max(1, Math.floor(availableParallelism() / nodes)), false, gpuNodes);
}
