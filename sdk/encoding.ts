/**
 * How SDK values become task arguments (docs/task-encoding.md). Each argument is one input of the
 * operator input frame (WOI1) the function receives:
 *
 * | JavaScript value            | bytes the wasm function sees                         |
 * |-----------------------------|------------------------------------------------------|
 * | `Uint8Array`, any TypedArray, `DataView` | its bytes, as laid out in memory (little-endian) |
 * | `ArrayBuffer`               | its bytes                                            |
 * | `string`                    | UTF-8                                                |
 * | `number`                    | 8 bytes, IEEE 754 float64, little-endian             |
 * | `bigint`                    | 8 bytes, int64, little-endian                        |
 * | `ObjectRef`                 | the object's bytes, resolved on the node that runs the task |
 *
 * Results are bytes (`Uint8Array`); {@link view} reads them as another typed array.
 */
import { WrtError } from '../runtime/errors.js';
import { ObjectRef } from './object-ref.js';

/**
 * A plain task argument: bytes (typed arrays and ArrayBuffers go as their bytes, little-endian),
 * a string (UTF-8), a number (f64) or a bigint (i64).
 */
export type ArgValue = ArrayBufferView | ArrayBuffer | string | number | bigint;

/** Encodes one plain argument. @throws WrtError `WRT_INVALID_ARGUMENT` for other values. */
export function encodeArg(v: ArgValue): Uint8Array {
  if (v instanceof Uint8Array) return v;
  if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  if (v instanceof ArrayBuffer) return new Uint8Array(v);
  if (typeof v === 'string') return new TextEncoder().encode(v);
  if (typeof v === 'number') {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, v, true);
    return b;
  }
  if (typeof v === 'bigint') {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigInt64(0, v, true);
    return b;
  }
  throw new WrtError(
    'WRT_INVALID_ARGUMENT',
    `cannot pass a ${typeof v} to a wasm task: use bytes, a typed array, a string, a number, a bigint or an ObjectRef`,
  );
}

/**
 * Arguments of a call that leaves later than it was made: each plain value encoded and copied now
 * (the caller may change its bytes afterwards), ObjectRefs as they are.
 * @throws WrtError `WRT_INVALID_ARGUMENT` as {@link encodeArg}
 */
export function snapshotArgs(args: readonly unknown[]): (Uint8Array | ObjectRef)[] {
  return args.map((a) => (a instanceof ObjectRef ? a : encodeArg(a as ArgValue).slice()));
}

type TypedArrayCtor<T> = { new (buffer: ArrayBuffer, byteOffset: number, length: number): T; BYTES_PER_ELEMENT: number };

/**
 * Reads result bytes as a typed array (a copy when the bytes are not aligned for it).
 * @throws WrtError `WRT_INVALID_ARGUMENT` when the length is not a multiple of the element size.
 */
export function view<T>(bytes: Uint8Array, ctor: TypedArrayCtor<T>): T {
  const size = ctor.BYTES_PER_ELEMENT;
  if (bytes.byteLength % size !== 0)
    throw new WrtError('WRT_INVALID_ARGUMENT', `${bytes.byteLength} bytes are not a whole number of ${size}-byte elements`);
  const aligned = bytes.byteOffset % size === 0 ? bytes : bytes.slice();
  return new ctor(aligned.buffer as ArrayBuffer, aligned.byteOffset, aligned.byteLength / size);
}

/** Reads an 8-byte little-endian float64 result. */
export function asNumber(bytes: Uint8Array): number {
  if (bytes.byteLength !== 8) throw new WrtError('WRT_INVALID_ARGUMENT', `expected 8 bytes for a number, got ${bytes.byteLength}`);
  return new DataView(bytes.buffer, bytes.byteOffset, 8).getFloat64(0, true);
}
