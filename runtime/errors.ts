/**
 * Errors of wrt. Every error is a {@link WrtError} with a stable string `code`; the full list is
 * {@link ERROR_CODES} and docs/errors.md. Failures that cross process boundaries travel as plain
 * {@link FailureRecord}s and are rebuilt with {@link fromFailure}.
 */

/** Every error code wrt raises, with the one-line meaning shown in docs/errors.md. */
export const ERROR_CODES = {
  WRT_PROTOCOL: 'A frame could not be decoded: truncated, corrupted, oversized or of an unknown type.',
  WRT_INVALID_ARGUMENT: 'A command-line option or API argument is missing or malformed.',
  WRT_INPUT_NOT_FOUND: 'An input path or glob matched no readable file.',
  WRT_OUTPUT_EXISTS: 'The output directory already holds files and --overwrite was not given.',
  WRT_NOT_WASM: 'A file given as a module is not a WebAssembly binary.',
  WRT_MISSING_EXPORT: 'A module lacks an export that its world or job graph requires.',
  WRT_BAD_JOB_GRAPH: 'A job graph is malformed or of a shape this runtime does not run.',
  WRT_BAD_BATCH: 'A row batch (WRB1) is truncated or malformed, or a row does not fit its columns.',
  WRT_BAD_INPUT: "A source's record does not parse into its declared columns; the message names the file or message and where.",
  WRT_BAD_CHECKPOINT: 'A checkpoint or savepoint cannot be read, or does not fit the job restored from it.',
  WRT_OPERATOR_TRAP: 'A wasm operator trapped (unreachable, out-of-bounds access, ...).',
  WRT_OPERATOR_ERROR: 'A wasm operator returned an error result.',
  WRT_MEMORY_CAP: 'A wasm operator grew its linear memory past its cap.',
  WRT_DEADLINE: 'A wasm operator call ran past its deadline and its slot was replaced.',
  WRT_OUTPUT_CAP: 'A wasm operator returned more bytes than the output cap allows.',
  WRT_NODE_LOST: 'A node died or stopped heartbeating; its work is retried elsewhere.',
  WRT_OBJECT_LOST: 'An object was lost with its node before it could be read.',
  WRT_OBJECT_STORE_FULL: 'The object store arena has no room for an object.',
  WRT_NO_NODES: 'The cluster has no node able to run the work.',
  WRT_JOB_FAILED: 'A job failed; the message says which task and why.',
  WRT_CONNECTION: 'A connection to the head, a node or an external system (a NATS server) failed or closed.',
  WRT_SINK_FAILED: 'A stream sink could not commit its output (for example, no JetStream stream takes its subject).',
  WRT_TIMEOUT: 'An operation did not complete within its timeout.',
  WRT_SLOT_DIED: 'A slot thread died (its wasm instances with it); the work is retried.',
  WRT_INFEASIBLE: 'No node of the cluster offers the resources a task or actor asks for.',
  WRT_TASK_CANCELLED: 'The task was cancelled before it produced its result.',
  WRT_ACTOR_DIED: 'The actor died (its node or slot was lost, or its code trapped) while the call was pending.',
  WRT_ACTOR_NOT_FOUND: 'No actor of that name or id exists.',
  WRT_MODULE_NOT_FOUND: 'A task or actor names a module that was never loaded.',
  WRT_GPU_UNAVAILABLE: 'No WebGPU adapter here (no GPU, no driver, or disabled); the message says why.',
  WRT_GPU_UNSUPPORTED: 'The GPU adapter lacks a feature the call needs (for example shader-f16).',
  WRT_UNAUTHENTICATED: 'A connection or request carried no valid credential (missing, wrong, revoked, or too late); see docs/security.md.',
  WRT_FORBIDDEN:
    "The credential's role or owner may not do this (a message outside its role, another driver's job), or a path or host lies outside what the process allows.",
  WRT_SANDBOX: 'A module breaks the sandbox rules: more than one memory, a memory import, or an import outside its world.',
  WRT_OVER_LIMIT:
    "A job or task asks for more than the cluster's nodes allow (operator memory, deadline, output, GPU bytes); the message names the ceiling.",
  WRT_GPU_ERROR: 'GPU work failed: a WGSL shader did not compile, a binding did not match, memory ran out or the device was lost.',
} as const;

/** The closed set of error codes: the keys of {@link ERROR_CODES}. */
export type ErrorCode = keyof typeof ERROR_CODES;

/**
 * Failure codes of an actor call that end the actor (its memory cannot be trusted or is gone):
 * the node reports the actor dead after such a call, and the head holds the actor's later calls
 * until that report arrives. Other failures (an `err` result) leave the actor running.
 */
export const ACTOR_ENDING_CODES: ReadonlySet<string> = new Set<ErrorCode>([
  'WRT_OPERATOR_TRAP',
  'WRT_MEMORY_CAP',
  'WRT_DEADLINE',
  'WRT_SLOT_DIED',
  'WRT_TASK_CANCELLED',
]);

const BRAND = Symbol.for('wrt.error');

/** A failure as a plain, serialisable record (what travels in the `Failure` table of wire.fbs). */
export interface FailureRecord {
  code: ErrorCode;
  message: string;
  retryable: boolean;
  /** The failure that caused this one, if known (kept at most {@link MAX_CAUSE_DEPTH} deep). */
  cause?: FailureRecord;
}

/** How many causes a failure record keeps (deeper ones are dropped when records are made or decoded). */
export const MAX_CAUSE_DEPTH = 4;

/** True when `code` is one of {@link ERROR_CODES}. */
export function isErrorCode(code: string): code is ErrorCode {
  return Object.prototype.hasOwnProperty.call(ERROR_CODES, code);
}

/**
 * The code as received from another process: a code this build does not know (a newer peer's)
 * becomes `WRT_JOB_FAILED`, with the original kept in the message by {@link fromFailure}'s callers.
 */
export function checkedCode(code: string): ErrorCode {
  return isErrorCode(code) ? code : 'WRT_JOB_FAILED';
}

/** The base of every wrt error. `instanceof` works across realms and duplicated copies. */
export class WrtError extends Error {
  /** What went wrong, one of {@link ERROR_CODES} (docs/errors.md). */
  readonly code: ErrorCode;
  /** Whether running the same work again may succeed (a lost node, a timeout), as opposed to bad input. */
  readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; retryable?: boolean }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'WrtError';
    this.code = code;
    this.retryable = options?.retryable ?? false;
    Object.defineProperty(this, BRAND, { value: true });
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }

  /** This error as a record, with its `cause` chain (errors of any kind) as records too. */
  toFailure(depth = 0): FailureRecord {
    const f: FailureRecord = { code: this.code, message: this.message, retryable: this.retryable };
    if (this.cause !== undefined && depth < MAX_CAUSE_DEPTH) f.cause = toFailure(this.cause, 'WRT_JOB_FAILED', depth + 1);
    return f;
  }
}

/** Rebuilds an error from a failure record received from another process; its cause becomes the error's `cause`. */
export function fromFailure(f: FailureRecord): WrtError {
  return new WrtError(f.code, f.message, { retryable: f.retryable, cause: f.cause ? fromFailure(f.cause) : undefined });
}

/**
 * Turns anything thrown into a failure record: a {@link WrtError} keeps its code; anything else
 * gets `fallback` and is not retryable. An `Error`'s `cause` becomes the record's `cause`.
 */
export function toFailure(err: unknown, fallback: ErrorCode = 'WRT_JOB_FAILED', depth = 0): FailureRecord {
  if (err instanceof WrtError) return err.toFailure(depth);
  const f: FailureRecord = { code: fallback, message: err instanceof Error ? err.message : String(err), retryable: false };
  const cause = err instanceof Error ? err.cause : undefined;
  if (cause !== undefined && depth < MAX_CAUSE_DEPTH) f.cause = toFailure(cause, fallback, depth + 1);
  return f;
}
