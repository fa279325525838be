/**
 * The SDK in a browser page: `init()` connects to the head that served the page (or `address`).
 * Modules load from a URL or bytes and must be core modules (components are unpacked by a Node
 * client; see docs/adr/0002).
 */
import { browserPlatform } from '../runtime/platform/browser/platform.js';
import { wasmKind } from '../runtime/sandbox/wasm-binary.js';
import { WrtError } from '../runtime/errors.js';
import { Runtime } from './runtime.js';

export * from './index.js';

async function loadModuleSource(source: string | URL | Uint8Array): Promise<Uint8Array> {
  let bytes: Uint8Array;
  if (source instanceof Uint8Array) bytes = source;
  else {
    const res = await fetch(source);
    if (!res.ok) throw new WrtError('WRT_INPUT_NOT_FOUND', `module ${String(source)}: HTTP ${res.status}`);
    bytes = new Uint8Array(await res.arrayBuffer());
  }
  const kind = wasmKind(bytes);
  if (kind === 'core') return bytes;
  if (kind === 'component')
    throw new WrtError('WRT_NOT_WASM', 'components are unpacked by Node clients; load the core module (build/*.core.wasm) in the browser');
  throw new WrtError('WRT_NOT_WASM', `${String(source)} is not WebAssembly`);
}

export interface InitOptions {
  /** The head; defaults to the origin that served this page. */
  address?: string;
}

export function init(options: InitOptions = {}): Promise<Runtime> {
  const address = options.address ?? `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
  return Runtime.connect(browserPlatform, address, loadModuleSource);
}
