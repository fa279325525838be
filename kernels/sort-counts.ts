// Orders aggregated counts for output: count descending, then key ascending by bytes (for UTF-8
// keys, byte order is code point order). Bottom-up merge sort over slot indices: stable, O(n log n).
import { TokenCounts } from './hash-aggregate';
import { ByteBuffer } from './byte-buffer';

let sortTable: TokenCounts | null = null;

@inline
function before(a: u32, b: u32): bool {
  const t = sortTable!;
  const ca = t.countAt(a);
  const cb = t.countAt(b);
  if (ca != cb) return ca > cb;
  const la = t.keyLenAt(a);
  const lb = t.keyLenAt(b);
  const c = memory.compare(t.keyPtrAt(a), t.keyPtrAt(b), la < lb ? la : lb);
  if (c != 0) return c < 0;
  return la < lb;
}

/** Returns a heap block of `counts.size` u32 slot indices in output order (caller frees). */
export function sortedSlots(counts: TokenCounts): usize {
  const n = <usize>counts.size;
  let src = heap.alloc(n * 4 + 4);
  let dst = heap.alloc(n * 4 + 4);
  let k: usize = 0;
  const cap = counts.capacity();
  for (let i: u32 = 0; i < cap; i++) if (counts.isUsed(i)) store<u32>(src + (k++ << 2), i);
  sortTable = counts;
  for (let width: usize = 1; width < n; width <<= 1) {
    for (let lo: usize = 0; lo < n; lo += width << 1) {
      const mid = lo + width < n ? lo + width : n;
      const hi = lo + (width << 1) < n ? lo + (width << 1) : n;
      let i = lo;
      let j = mid;
      let o = lo;
      while (i < mid && j < hi) {
        const a = load<u32>(src + (i << 2));
        const b = load<u32>(src + (j << 2));
        if (before(b, a)) {
          store<u32>(dst + (o++ << 2), b);
          j++;
        } else {
          store<u32>(dst + (o++ << 2), a);
          i++;
        }
      }
      while (i < mid) store<u32>(dst + (o++ << 2), load<u32>(src + (i++ << 2)));
      while (j < hi) store<u32>(dst + (o++ << 2), load<u32>(src + (j++ << 2)));
    }
    const t = src;
    src = dst;
    dst = t;
  }
  sortTable = null;
  heap.free(dst);
  return src;
}

/** Writes `key<TAB>count<LF>` lines in output order. */
export function writeTsv(out: ByteBuffer, counts: TokenCounts): void {
  const order = sortedSlots(counts);
  for (let k: usize = 0; k < <usize>counts.size; k++) {
    const i = load<u32>(order + (k << 2));
    out.writeBytes(counts.keyPtrAt(i), counts.keyLenAt(i));
    out.writeU8(9);
    out.writeDecimal(counts.countAt(i));
    out.writeU8(10);
  }
  heap.free(order);
}
