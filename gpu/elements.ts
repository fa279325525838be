/** The element types of wrt's GPU kernels and the typed arrays that hold them. */
import { WrtError } from '../runtime/errors.js';

/** The WGSL scalar types the kernels take: 32-bit float, unsigned and signed integers. */
export type ElementType = 'f32' | 'u32' | 'i32';
/** The typed arrays of the {@link ElementType}s, 4 bytes an element, little-endian as WebGPU buffers are. */
export type NumericArray = Float32Array | Uint32Array | Int32Array;

/** The WGSL element type of a typed array; throws `WRT_INVALID_ARGUMENT` for other views. */
export function elementTypeOf(a: ArrayBufferView): ElementType {
  if (a instanceof Float32Array) return 'f32';
  if (a instanceof Uint32Array) return 'u32';
  if (a instanceof Int32Array) return 'i32';
  throw new WrtError('WRT_INVALID_ARGUMENT', `expected a Float32Array, Uint32Array or Int32Array, got ${a?.constructor?.name ?? typeof a}`);
}

/** A typed array of `type` over `buffer` (`length` in elements). */
export function arrayOf(type: ElementType, buffer: ArrayBufferLike, byteOffset: number, length: number): NumericArray {
  if (type === 'f32') return new Float32Array(buffer, byteOffset, length);
  if (type === 'u32') return new Uint32Array(buffer, byteOffset, length);
  return new Int32Array(buffer, byteOffset, length);
}

/** The bytes of a typed array (a view, no copy). */
export function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}
