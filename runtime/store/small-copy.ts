/**
 * Copies of small byte strings carved from shared slabs, as Node's `Buffer.allocUnsafe` pools
 * allocations under 4 KiB: every `Uint8Array.prototype.slice` makes an ArrayBuffer of its own,
 * and at tens of thousands of task results a second those allocations (and the external-memory
 * pressure they put on the garbage collector) cost more than the rest of a result's handling.
 * A slab stays alive while any copy carved from it does: at most {@link SLAB_BYTES} kept per
 * retained copy.
 */

/** Copies up to this many bytes come from a slab; larger ones are ordinary `slice()`s. */
export const SMALL_COPY_BYTES = 512;
/** Bytes per slab. */
export const SLAB_BYTES = 16 * 1024;

let slab = new Uint8Array(SLAB_BYTES);
let used = 0;

/** A copy of `bytes` that shares nothing with them (its buffer may hold other copies). */
export function copyBytes(bytes: Uint8Array): Uint8Array {
  const n = bytes.byteLength;
  if (n > SMALL_COPY_BYTES) return bytes.slice();
  if (used + n > SLAB_BYTES) {
    slab = new Uint8Array(SLAB_BYTES);
    used = 0;
  }
  const copy = slab.subarray(used, used + n);
  copy.set(bytes);
  // 8-byte aligned, so a copy can be read as float64 / int64 in place.
  used += (n + 7) & ~7;
  return copy;
}
