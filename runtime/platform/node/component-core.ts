/**
 * Taking a WebAssembly component apart with jco's transpile API, in process, to find the one core
 * module it wraps (docs/adr/0002): the fast path every node instantiates directly.
 */
import { readFile } from 'node:fs/promises';
import { WrtError } from '../../errors.js';
import { wasmKind } from '../../sandbox/wasm-binary.js';

/** Interfaces a component may import: wrt provides them to the core module itself (gpu-bridge.ts, keyed-state-imports.ts). */
const GRANTED_IMPORTS = new Set(['wrt:runtime/gpu', 'wrt:runtime/keyed-state']);

/**
 * The core module of `bytes` (a component or a core module, named `label` in errors). A component
 * that imports a granted interface (`wrt:runtime/gpu`) also holds the canonical ABI's shim and
 * fixup modules for that import; the core module wrt runs is the one that owns the memory, and its
 * import keeps the interface's name, which the slot resolves (runtime/node/gpu-bridge.ts).
 * @throws WrtError `WRT_NOT_WASM` (not wasm, or several core modules), `WRT_MISSING_EXPORT`
 *   (the component imports what wrt's worlds do not grant).
 */
export async function coreModuleOf(bytes: Uint8Array, label: string): Promise<Uint8Array> {
  const kind = wasmKind(bytes);
  if (!kind)
    throw new WrtError(
      'WRT_NOT_WASM',
      `${label} is not a WebAssembly module or component (it does not start with \\0asm); build it with \`npm run build\``,
    );
  if (kind === 'core') return bytes;
  let result;
  try {
    // jco (and its oxc and WASI shims) loads only when a component comes: core modules skip it.
    const { transpileBytes } = await import('@bytecodealliance/jco-transpile');
    result = await transpileBytes(bytes, { name: 'module', instantiation: 'async' });
  } catch (err) {
    throw new WrtError('WRT_NOT_WASM', `${label} is not a valid WebAssembly component: ${(err as Error).message.split('\n')[0]}`);
  }
  const denied = result.imports.filter((i) => !GRANTED_IMPORTS.has(i.replace(/@.*$/, '')));
  if (denied.length > 0) {
    throw new WrtError('WRT_MISSING_EXPORT', `${label} imports ${denied.join(', ')}, which wrt's worlds do not grant`);
  }
  let cores = Object.entries(result.files).filter(([name]) => name.endsWith('.wasm'));
  if (cores.length > 1 && result.imports.length > 0) {
    const owners = [];
    for (const core of cores) {
      const exports = WebAssembly.Module.exports(await WebAssembly.compile(core[1] as Uint8Array<ArrayBuffer>));
      if (exports.some((e) => e.name === 'memory' && e.kind === 'memory')) owners.push(core);
    }
    cores = owners;
  }
  if (cores.length !== 1)
    throw new WrtError('WRT_NOT_WASM', `${label} holds ${cores.length} core modules; wrt runs components built from one core module`);
  return cores[0]![1];
}

/** Reads a module file and returns its core module. @throws WrtError `WRT_INPUT_NOT_FOUND` too. */
export async function loadCoreModule(path: string): Promise<Uint8Array> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch {
    throw new WrtError('WRT_INPUT_NOT_FOUND', `module ${path} does not exist or cannot be read`);
  }
  return coreModuleOf(bytes, path);
}
