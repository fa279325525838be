/**
 * Options of remote functions and actors, validated and given their defaults in one place, and the
 * options of `get` and `wait`.
 */
import type { TaskOptions } from '../runtime/protocol/messages.js';
import { WrtError } from '../runtime/errors.js';

/** Scheduling options of a task or actor (Ray's `.options(...)`); resources are counts, times milliseconds. */
export interface RemoteOptions {
  /** CPU slots the task holds while it runs. @default 1 (tasks), 0 (actors) */
  cpus?: number;
  /** GPUs it needs. @default 0 */
  gpus?: number;
  /** Memory it needs, in bytes; also the cap of its wasm linear memory. @default 256 MiB cap, no reservation */
  memoryBytes?: number;
  /** Custom resources by label, e.g. `{ special: 1 }`: only nodes offering them run it. */
  resources?: Record<string, number>;
  /** Retries after its node dies (and after user errors with `retryExceptions`). @default 3 */
  maxRetries?: number;
  /** Retry user-code failures (error results, traps) too. @default false */
  retryExceptions?: boolean;
  /** Actors: restarts after its node or slot dies. @default 0 */
  maxRestarts?: number;
  /** Deadline of one call in milliseconds; past it the slot is stopped. @default 60000 */
  deadlineMs?: number;
  /** Actors: a name to find it by with `rt.getActor(name)`. */
  name?: string;
  /**
   * Remote functions: `verified` lets the task run on volunteers' browser tabs when trusted nodes
   * have no room; its result then counts only once verified (replicated and compared byte for byte,
   * docs/volunteers.md). Only CPU tasks go there: `verified` with `gpus` is refused (GPU outputs
   * are not bit-reproducible across devices), and tasks with custom resources or a memory
   * reservation stay on trusted nodes. Actors always run on trusted nodes.
   * @default 'never'
   */
  volunteers?: 'never' | 'verified';
}

function count(name: string, v: number | undefined, integer: boolean): number | undefined {
  if (v === undefined) return undefined;
  if (!Number.isFinite(v) || v < 0 || (integer && !Number.isInteger(v))) {
    throw new WrtError('WRT_INVALID_ARGUMENT', `option ${name} must be a non-negative ${integer ? 'integer' : 'number'}, got ${v}`);
  }
  return v;
}

/** Validates `o` and turns it into the wire form. @throws WrtError `WRT_INVALID_ARGUMENT`. */
export function compileOptions(o: RemoteOptions = {}): TaskOptions {
  const resources: Record<string, number> = {};
  for (const [k, v] of Object.entries(o.resources ?? {})) {
    if (['cpus', 'gpus', 'memoryBytes'].includes(k)) throw new WrtError('WRT_INVALID_ARGUMENT', `resource "${k}" has its own option`);
    resources[k] = count(`resources.${k}`, v, false)!;
  }
  if (o.volunteers !== undefined && o.volunteers !== 'never' && o.volunteers !== 'verified')
    throw new WrtError('WRT_INVALID_ARGUMENT', `option volunteers must be 'never' or 'verified', got ${String(o.volunteers)}`);
  if (o.volunteers === 'verified' && (o.gpus ?? 0) > 0)
    throw new WrtError(
      'WRT_INVALID_ARGUMENT',
      "option volunteers 'verified' with gpus: GPU outputs are not bit-reproducible across devices, so GPU work never goes to volunteers; drop one of the two",
    );
  return {
    cpus: count('cpus', o.cpus, false) ?? 0,
    gpus: count('gpus', o.gpus, false) ?? 0,
    memoryBytes: count('memoryBytes', o.memoryBytes, true) ?? 0,
    resources,
    maxRetries: count('maxRetries', o.maxRetries, true) ?? -1,
    retryExceptions: o.retryExceptions ?? false,
    maxRestarts: count('maxRestarts', o.maxRestarts, true) ?? -1,
    deadlineMs: count('deadlineMs', o.deadlineMs, true) ?? 0,
    volunteers: o.volunteers === 'verified',
  };
}

/** Options of `rt.get`. */
export interface GetOptions {
  /** Give up after this many milliseconds with `WRT_TIMEOUT`. @default no limit */
  timeoutMs?: number;
}

/** Options of `rt.wait`. */
export interface WaitOptions {
  /** How many refs must be ready. @default 1 */
  numReturns?: number;
  /** Return what is ready after this many milliseconds. @default no limit */
  timeoutMs?: number;
}

/** Turns a module source (path, URL or bytes) into the core module bytes nodes run. */
export type ModuleLoader = (source: string | URL | Uint8Array) => Promise<Uint8Array>;
