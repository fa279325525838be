/**
 * The SDK in a browser page: `init()` connects to the head that served the page (or `address`).
 * Modules load from a URL or bytes and must be core modules (components are unpacked by a Node
 * client; see docs/adr/0002).
 */
import { browserPlatform } from '../runtime/platform/browser/platform.js';
import { wasmKind } from '../runtime/sandbox/wasm-binary.js';
import { WrtError } from '../runtime/errors.js';
import type { Platform } from '../runtime/platform/platform.js';
import { withCredential } from '../runtime/client/authenticate.js';
import { Runtime } from './runtime.js';
import { executeStreamOn, type StreamJobOptions, type StreamJobResult } from './stream-job.js';
import type { JobGraph } from '../runtime/protocol/messages.js';

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

/** Options of {@link init} in a browser page. */
export interface InitOptions {
  /** The head; defaults to the origin that served this page. */
  address?: string;
  /** The credential (a driver token or the cluster secret). @default the page URL's `#token=` fragment */
  token?: string;
}

/** The credential in this page's URL fragment (`#token=…`: fragments never reach a server), or ''. */
export function tokenFromPage(): string {
  return new URLSearchParams(location.hash.slice(1)).get('token') ?? '';
}

function driverPlatform(token?: string): Platform {
  const t = token ?? tokenFromPage();
  if (!t) throw new WrtError('WRT_UNAUTHENTICATED', 'no credential: pass init({ token }) or open the page with #token=TOKEN');
  return withCredential(browserPlatform, t, 'driver');
}

/**
 * Connects this page to a cluster: the head at `options.address` (`ws://`, `wss://` or `http(s)://`),
 * by default the head that served the page.
 * @throws WrtError `WRT_CONNECTION` when no head answers there, `WRT_INVALID_ARGUMENT` for an address that is not one,
 *   `WRT_UNAUTHENTICATED` without a credential or when the head refuses it
 */
export async function init(options: InitOptions = {}): Promise<Runtime> {
  const address = options.address ?? `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
  return Runtime.connect(driverPlatform(options.token), address, loadModuleSource);
}

/**
 * Runs the stream job `graph` (built with `StreamEnvironment` from `wrt/stream`) on the cluster at
 * `address` (e.g. `rt.address`) to its end, as Flink's `env.execute()`; see sdk/stream-job.ts.
 * @returns the job id, its final state and the text of its CSV sink parts
 * @throws WrtError `WRT_INVALID_ARGUMENT` (not a stream graph), the failing subtask's code, `WRT_CONNECTION`
 */
export async function executeStream(
  address: string,
  graph: JobGraph,
  options?: StreamJobOptions & { token?: string },
): Promise<StreamJobResult> {
  return executeStreamOn(driverPlatform(options?.token), loadModuleSource, address, graph, options);
}
