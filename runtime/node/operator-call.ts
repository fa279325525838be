/**
 * Calling an operator export of a core module through the canonical ABI:
 * `export(ptr, len) -> retptr` for `func(input: list<u8>) -> result<list<u8>, string>`, the input
 * placed with `cabi_realloc`, the result read from the return area (u8 discriminant at 0, u32
 * pointer at 4, u32 length at 8) and released with `cabi_post_<export>`.
 * The input is written as an operator input frame (WOI1, docs/batch-format.md).
 */
import { WrtError } from '../errors.js';

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
  const e = operatorExports(instance, operator);
  const size = inputFrameBytes(inputs.map((b) => b.byteLength));
  const ptr = e.cabi_realloc(0, 0, 8, size);
  writeInputFrame(new Uint8Array(e.memory.buffer, ptr, size), partitions, inputs, port);
  const retptr = (e[operator] as (p: number, n: number) => number)(ptr, size);
  const dv = new DataView(e.memory.buffer);
  const disc = dv.getUint8(retptr);
  const outPtr = dv.getUint32(retptr + 4, true);
  const outLen = dv.getUint32(retptr + 8, true);
  if (outPtr + outLen > e.memory.buffer.byteLength) {
    throw new WrtError('WRT_OPERATOR_ERROR', `operator "${operator}" returned a result outside its memory`);
  }
  let result: Uint8Array | WrtError;
  if (disc === 0) {
    result =
      outLen > outputCapBytes
        ? new WrtError('WRT_OUTPUT_CAP', `operator "${operator}" returned ${outLen} bytes, over its output cap of ${outputCapBytes} bytes`)
        : new Uint8Array(e.memory.buffer, outPtr, outLen).slice();
  } else {
    const message = new TextDecoder().decode(new Uint8Array(e.memory.buffer, outPtr, Math.min(outLen, 4096)));
    result = new WrtError('WRT_OPERATOR_ERROR', `operator "${operator}" failed: ${message}`);
  }
  const post = e[`cabi_post_${operator}`];
  if (typeof post === 'function') (post as (r: number) => void)(retptr);
  e.cabi_realloc(ptr, size, 8, 0);
  if (result instanceof WrtError) throw result;
  return result;
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
  const ptr = e.cabi_realloc(0, 0, 1, Math.max(1, input.byteLength));
  new Uint8Array(e.memory.buffer, ptr, input.byteLength).set(input);
  const retptr = (e.configure as (p: number, n: number) => number)(ptr, input.byteLength);
  const dv = new DataView(e.memory.buffer);
  const disc = dv.getUint8(retptr);
  const outPtr = dv.getUint32(retptr + 4, true);
  const outLen = dv.getUint32(retptr + 8, true);
  if (outPtr + outLen > e.memory.buffer.byteLength)
    throw new WrtError('WRT_BAD_JOB_GRAPH', 'configure() returned bytes outside the module memory');
  const out = new Uint8Array(e.memory.buffer, outPtr, outLen).slice();
  const post = e.cabi_post_configure;
  if (typeof post === 'function') (post as (r: number) => void)(retptr);
  if (disc !== 0) throw new WrtError('WRT_INVALID_ARGUMENT', `the pipeline refused its arguments: ${new TextDecoder().decode(out)}`);
  return out;
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
