/**
 * Calling an operator export of a core module through the canonical ABI:
 * `export(ptr, len) -> retptr` for `func(input: list<u8>) -> result<list<u8>, string>`, the input
 * placed with `cabi_realloc`, the result read from the return area (u8 discriminant at 0, u32
 * pointer at 4, u32 length at 8) and released with `cabi_post_<export>`.
 * The input is written as an operator input frame (WOI1, docs/batch-format.md).
 */
import { WrtError, toFailure, type FailureRecord } from '../errors.js';

export const INPUT_MAGIC = 0x31494f57; // "WOI1"

interface OperatorExports {
  memory: WebAssembly.Memory;
  cabi_realloc: (old: number, oldSize: number, align: number, newSize: number) => number;
  [name: string]: unknown;
}

/** Byte length of the input frame for inputs of the given byte lengths. */
export function inputFrameBytes(lengths: number[]): number {
  return 16 + ((lengths.length * 4 + 7) & ~7) + lengths.reduce((s, n) => s + ((n + 7) & ~7), 0);
}

/**
 * Writes an input frame (header and inputs, 8-aligned) into `dst`. `port` fills the header's
 * last word: stream operators read it as the input the batch came from (2: fired timers).
 */
export function writeInputFrame(dst: Uint8Array, partitions: number, inputs: Uint8Array[], port = 0): void {
  const dv = new DataView(dst.buffer, dst.byteOffset, dst.byteLength);
  dv.setUint32(0, INPUT_MAGIC, true);
  dv.setUint32(4, partitions, true);
  dv.setUint32(8, inputs.length, true);
  dv.setUint32(12, port, true);
  inputs.forEach((b, i) => dv.setUint32(16 + i * 4, b.byteLength, true));
  let at = 16 + ((inputs.length * 4 + 7) & ~7);
  for (const b of inputs) {
    dst.set(b, at);
    at += (b.byteLength + 7) & ~7;
  }
}

/** Checks that `instance` has what calling `operator` needs. */
export function operatorExports(instance: WebAssembly.Instance, operator: string): OperatorExports {
  const e = instance.exports as Partial<OperatorExports>;
  if (!(e.memory instanceof WebAssembly.Memory)) throw new WrtError('WRT_MISSING_EXPORT', 'the module exports no memory');
  if (typeof e.cabi_realloc !== 'function') throw new WrtError('WRT_MISSING_EXPORT', 'the module exports no cabi_realloc');
  if (typeof e[operator] !== 'function') throw new WrtError('WRT_MISSING_EXPORT', `the module exports no operator "${operator}"`);
  return e as OperatorExports;
}

/** What a `result<list<u8>, string>` export returned: `ok` bytes (null past the cap) or the error text. */
interface ExportResult {
  ok: boolean;
  len: number;
  bytes: Uint8Array | null;
  message: string;
}

/**
 * Calls export `name` of type `func(input: list<u8>) -> result<list<u8>, string>` through the
 * canonical ABI: the input (`size` bytes, written by `fill` into memory from `cabi_realloc`), the
 * result read from the return area (u8 discriminant at 0, u32 pointer at 4, u32 length at 8), then
 * `cabi_post_<name>` and the input freed. An `ok` result over `capBytes` is not copied.
 * @throws WrtError `errorCode` when the result lies outside the instance's memory.
 */
function callResultExport(
  e: OperatorExports,
  name: string,
  size: number,
  fill: (dst: Uint8Array) => void,
  capBytes: number,
  errorCode: 'WRT_OPERATOR_ERROR' | 'WRT_BAD_JOB_GRAPH',
): ExportResult {
  const ptr = e.cabi_realloc(0, 0, 8, Math.max(1, size));
  fill(new Uint8Array(e.memory.buffer, ptr, size));
  const retptr = (e[name] as (p: number, n: number) => number)(ptr, size);
  const dv = new DataView(e.memory.buffer);
  const ok = dv.getUint8(retptr) === 0;
  const outPtr = dv.getUint32(retptr + 4, true);
  const len = dv.getUint32(retptr + 8, true);
  if (outPtr + len > e.memory.buffer.byteLength) throw new WrtError(errorCode, `export "${name}" returned a result outside its memory`);
  const view = new Uint8Array(e.memory.buffer, outPtr, ok ? len : Math.min(len, 4096));
  const result: ExportResult = ok
    ? { ok, len, bytes: len > capBytes ? null : view.slice(), message: '' }
    : { ok, len, bytes: null, message: new TextDecoder().decode(view) };
  const post = e[`cabi_post_${name}`];
  if (typeof post === 'function') (post as (r: number) => void)(retptr);
  e.cabi_realloc(ptr, size, 8, 0);
  return result;
}

/**
 * Told of every {@link callOperator} of this thread: the operator when a call starts, null when it
 * returns or throws. A stream slot thread sets it to publish its calls to the node's deadline
 * watchdog (runtime/node/stream-slots.ts); task slots publish theirs per request instead.
 */
let callWatch: ((operator: string | null) => void) | null = null;

/** Sets this thread's {@link callWatch}. */
export function watchOperatorCalls(watch: ((operator: string | null) => void) | null): void {
  callWatch = watch;
}

/**
 * Runs `operator` once. Returns the output bytes (a copy, so the instance may be reused).
 * @throws WrtError `WRT_OPERATOR_ERROR` for an `err` result, `WRT_OUTPUT_CAP` when the output is
 *   longer than `outputCapBytes`; a trap propagates as the engine's `WebAssembly.RuntimeError`.
 */
export function callOperator(
  instance: WebAssembly.Instance,
  operator: string,
  partitions: number,
  inputs: Uint8Array[],
  outputCapBytes: number,
  port = 0,
): Uint8Array {
  if (!callWatch) return callOperatorNow(instance, operator, partitions, inputs, outputCapBytes, port);
  callWatch(operator);
  try {
    return callOperatorNow(instance, operator, partitions, inputs, outputCapBytes, port);
  } finally {
    callWatch(null);
  }
}

function callOperatorNow(
  instance: WebAssembly.Instance,
  operator: string,
  partitions: number,
  inputs: Uint8Array[],
  outputCapBytes: number,
  port: number,
): Uint8Array {
  const e = operatorExports(instance, operator);
  const size = inputFrameBytes(inputs.map((b) => b.byteLength));
  const r = callResultExport(
    e,
    operator,
    size,
    (dst) => writeInputFrame(dst, partitions, inputs, port),
    outputCapBytes,
    'WRT_OPERATOR_ERROR',
  );
  if (!r.ok) throw new WrtError('WRT_OPERATOR_ERROR', `operator "${operator}" failed: ${r.message}`);
  if (!r.bytes)
    throw new WrtError('WRT_OUTPUT_CAP', `operator "${operator}" returned ${r.len} bytes, over its output cap of ${outputCapBytes} bytes`);
  return r.bytes;
}

/**
 * Calls a stream pipeline's `configure` export (`func(args: list<u8>) -> result<list<u8>, string>`)
 * with the job's arguments as `key=value` lines and returns the job graph bytes it gives.
 * @throws WrtError `WRT_MISSING_EXPORT` without the export, `WRT_INVALID_ARGUMENT` carrying the
 *   pipeline's own message for an `err` result.
 */
export function callConfigure(instance: WebAssembly.Instance, args: Record<string, string>): Uint8Array {
  const e = operatorExports(instance, 'configure');
  const input = new TextEncoder().encode(
    Object.entries(args)
      .map(([k, v]) => `${k}=${v}\n`)
      .join(''),
  );
  const r = callResultExport(e, 'configure', input.byteLength, (dst) => dst.set(input), Infinity, 'WRT_BAD_JOB_GRAPH');
  if (!r.ok) throw new WrtError('WRT_INVALID_ARGUMENT', `the pipeline refused its arguments: ${r.message}`);
  return r.bytes!;
}

/** Calls the pipeline's `graph` export (`func() -> list<u8>`) and returns a copy of its bytes. */
export function callGraph(instance: WebAssembly.Instance): Uint8Array {
  const e = instance.exports as Partial<OperatorExports> & { graph?: () => number; cabi_post_graph?: (r: number) => void };
  if (typeof e.graph !== 'function' || !(e.memory instanceof WebAssembly.Memory)) {
    throw new WrtError('WRT_MISSING_EXPORT', 'the module lacks the pipeline world\'s "graph" export (and memory); is it a wrt pipeline?');
  }
  const retptr = e.graph();
  const dv = new DataView(e.memory.buffer);
  const ptr = dv.getUint32(retptr, true);
  const len = dv.getUint32(retptr + 4, true);
  if (ptr + len > e.memory.buffer.byteLength) throw new WrtError('WRT_BAD_JOB_GRAPH', 'graph() returned bytes outside the module memory');
  const out = new Uint8Array(e.memory.buffer, ptr, len).slice();
  e.cabi_post_graph?.(retptr);
  return out;
}

/** The failure record of an error thrown by a wasm call: trap, memory cap, link error or an error result. */
export function classifyFailure(
  err: unknown,
  operator: string,
  instance: WebAssembly.Instance | undefined,
  capBytes: number,
): FailureRecord {
  if (err instanceof WebAssembly.RuntimeError) {
    const memory = instance?.exports.memory;
    const used = memory instanceof WebAssembly.Memory ? memory.buffer.byteLength : 0;
    // A grow that fails at the cap makes AssemblyScript's allocator trap; memory is then near the cap.
    if (used >= capBytes * 0.875) {
      return {
        code: 'WRT_MEMORY_CAP',
        message: `operator "${operator}" exceeded its memory cap of ${capBytes} bytes (linear memory at ${used} bytes; trap: ${err.message})`,
        retryable: false,
      };
    }
    return { code: 'WRT_OPERATOR_TRAP', message: `operator "${operator}" trapped: ${err.message}`, retryable: false };
  }
  if (err instanceof WebAssembly.LinkError) {
    return {
      code: 'WRT_MISSING_EXPORT',
      message: `operator "${operator}": the module imports what its world does not grant: ${err.message}`,
      retryable: false,
    };
  }
  if (err instanceof RangeError) {
    return { code: 'WRT_MEMORY_CAP', message: `operator "${operator}": ${err.message}`, retryable: false };
  }
  return toFailure(err, 'WRT_OPERATOR_ERROR');
}
