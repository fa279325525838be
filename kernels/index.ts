// Standalone build of the shared kernels (kernels/build/kernels.wasm), used by tests and benchmarks.
// Each export takes an operator-style (ptr, len) input in this module's memory and returns the
// result through the canonical-ABI return area (list<u8> as pointer at 0, length at 4).
import { ByteBuffer } from './byte-buffer';
import { TokenCounts } from './hash-aggregate';
import { countTokens } from './utf8-tokenizer';
import { writeTsv } from './sort-counts';
import { returnList, freeList } from './cabi';

export { cabi_realloc } from './cabi';

/** Word count of UTF-8 text: returns the TSV lines (count desc, token asc). */
export function wordcount(ptr: usize, len: usize): usize {
  const counts = new TokenCounts();
  countTokens(ptr, len, counts);
  const out = new ByteBuffer(<usize>counts.size * 16 + 16);
  writeTsv(out, counts);
  counts.dispose();
  return returnList(out.take(), out.len);
}

export function cabi_post_wordcount(retptr: usize): void {
  freeList(retptr);
}
