/**
 * The associative operations of reduce and scan, their WGSL and their identities. Identities
 * travel to shaders as bit patterns in a uniform (`bitcast<T>(params.identity)`), since WGSL has
 * no infinity literal.
 */
import { WrtError } from '../../runtime/errors.js';
import type { ElementType } from '../context.js';

/** The combining operation of reduce and scan. */
export type AssociativeOp = 'sum' | 'min' | 'max';

/** The WGSL body of `combine(a, b)` for `op`. */
export function combineWgsl(op: AssociativeOp): string {
  if (op === 'sum') return 'a + b';
  if (op === 'min') return 'min(a, b)';
  if (op === 'max') return 'max(a, b)';
  throw new WrtError('WRT_INVALID_ARGUMENT', `unknown operation "${String(op)}": use sum, min or max`);
}

/**
 * The identity of `op` on `type` as a u32 bit pattern: 0 for sum; for min the largest value
 * (+Infinity for f32, 0xFFFFFFFF, 2^31-1), for max the smallest (-Infinity, 0, -2^31).
 */
export function identityBits(op: AssociativeOp, type: ElementType): number {
  if (op === 'sum') return 0;
  const min = op === 'min';
  if (type === 'f32') return min ? 0x7f800000 : 0xff800000;
  if (type === 'u32') return min ? 0xffffffff : 0;
  return min ? 0x7fffffff : 0x80000000;
}

/** The identity of `op` on `type` as a JS number (what a reduction of nothing returns). */
export function identityValue(op: AssociativeOp, type: ElementType): number {
  const bits = new Uint32Array([identityBits(op, type)]);
  if (type === 'f32') return new Float32Array(bits.buffer)[0]!;
  if (type === 'i32') return new Int32Array(bits.buffer)[0]!;
  return bits[0]!;
}
