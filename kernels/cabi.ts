// Canonical-ABI glue for AssemblyScript components (AssemblyScript has no wit-bindgen).
//
// Source: the Component Model's canonical ABI (component-model/design/mvp/CanonicalABI.md):
// `cabi_realloc(old, oldSize, align, newSize)`, lists as (ptr, len) pairs, results that flatten to
// more than one core value returned through a pointer to a static return area, and
// `cabi_post_<export>` called by the host once it has copied the result out.

/** Static return area: 16 bytes, 8-aligned. Layout of `result<list<u8>, string>`:
 *  u8 discriminant at 0 (0 = ok, 1 = err), u32 pointer at 4, u32 length (bytes) at 8. */
export const RET_AREA: usize = memory.data(16, 8);

/** The canonical ABI's allocator. Sizes count bytes; `align` ≤ 16 is always met by the heap. */
export function cabi_realloc(old: usize, oldSize: usize, align: usize, newSize: usize): usize {
  if (newSize == 0) {
    if (old != 0) heap.free(old);
    return align;
  }
  if (old == 0) return heap.alloc(newSize);
  return heap.realloc(old, newSize);
}

/** Writes `ok(list<u8>)` of `len` bytes at `ptr` (a heap block the host frees via post-return). */
export function returnOk(ptr: usize, len: usize): usize {
  store<u8>(RET_AREA, 0);
  store<u32>(RET_AREA, <u32>ptr, 4);
  store<u32>(RET_AREA, <u32>len, 8);
  return RET_AREA;
}

/** Writes `err(string)` with `message` encoded as UTF-8. */
export function returnErr(message: string): usize {
  const bytes = String.UTF8.encode(message);
  const len = <usize>bytes.byteLength;
  const ptr = heap.alloc(len > 0 ? len : 1);
  memory.copy(ptr, changetype<usize>(bytes), len);
  store<u8>(RET_AREA, 1);
  store<u32>(RET_AREA, <u32>ptr, 4);
  store<u32>(RET_AREA, <u32>len, 8);
  return RET_AREA;
}

/** Writes a bare `list<u8>` result (pointer at 0, length at 4). */
export function returnList(ptr: usize, len: usize): usize {
  store<u32>(RET_AREA, <u32>ptr, 0);
  store<u32>(RET_AREA, <u32>len, 4);
  return RET_AREA;
}

/** Post-return for `result<list<u8>, string>`: frees the payload. */
export function freeResult(retptr: usize): void {
  const ptr = load<u32>(retptr, 4);
  if (ptr != 0) heap.free(<usize>ptr);
}

/** Post-return for a bare `list<u8>`. */
export function freeList(retptr: usize): void {
  const ptr = load<u32>(retptr, 0);
  if (ptr != 0) heap.free(<usize>ptr);
}

/** Returns a copy of static `data` as a bare `list<u8>` result (e.g. a pipeline's job graph). */
export function returnStaticList(data: StaticArray<u8>): usize {
  const n = <usize>data.length;
  const p = heap.alloc(n);
  memory.copy(p, changetype<usize>(data), n);
  return returnList(p, n);
}
