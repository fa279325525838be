/**
 * First-fit allocator over a byte range, with free blocks kept sorted by offset and coalesced
 * on free (Knuth, TAOCP vol. 1 §2.5, "first fit" with boundary merging). Offsets and sizes count
 * bytes; every block is 64-byte aligned (a cache line) so views never share a line across objects.
 * Single-threaded: only the node agent's main thread allocates; slots only read sealed objects.
 */
export const ARENA_ALIGN = 64;

interface FreeBlock {
  offset: number;
  size: number;
}

export class ArenaAllocator {
  private free: FreeBlock[];
  private used = 0;

  constructor(private capacity: number) {
    this.free = capacity > 0 ? [{ offset: 0, size: capacity }] : [];
  }

  /** Bytes handed out (rounded up to the alignment). */
  get usedBytes(): number {
    return this.used;
  }

  get capacityBytes(): number {
    return this.capacity;
  }

  /** Adds `[capacity, newCapacity)` to the free space (after the backing memory grew). */
  extend(newCapacity: number): void {
    if (newCapacity <= this.capacity) return;
    const last = this.free[this.free.length - 1];
    if (last && last.offset + last.size === this.capacity) last.size += newCapacity - this.capacity;
    else this.free.push({ offset: this.capacity, size: newCapacity - this.capacity });
    this.capacity = newCapacity;
  }

  /** Returns the offset of a block of at least `size` bytes, or -1 when no free block fits. */
  allocate(size: number): number {
    const need = Math.max(ARENA_ALIGN, Math.ceil(size / ARENA_ALIGN) * ARENA_ALIGN);
    for (let i = 0; i < this.free.length; i++) {
      const b = this.free[i]!;
      if (b.size < need) continue;
      const offset = b.offset;
      if (b.size === need) this.free.splice(i, 1);
      else {
        b.offset += need;
        b.size -= need;
      }
      this.used += need;
      return offset;
    }
    return -1;
  }

  /** Returns a block of `size` bytes (as passed to `allocate`) at `offset`. */
  release(offset: number, size: number): void {
    const len = Math.max(ARENA_ALIGN, Math.ceil(size / ARENA_ALIGN) * ARENA_ALIGN);
    this.used -= len;
    let lo = 0;
    let hi = this.free.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.free[mid]!.offset < offset) lo = mid + 1;
      else hi = mid;
    }
    this.free.splice(lo, 0, { offset, size: len });
    const next = this.free[lo + 1];
    if (next && offset + len === next.offset) {
      this.free[lo]!.size += next.size;
      this.free.splice(lo + 1, 1);
    }
    const prev = this.free[lo - 1];
    if (prev && prev.offset + prev.size === offset) {
      prev.size += this.free[lo]!.size;
      this.free.splice(lo, 1);
    }
  }

  /** Size of the largest free block in bytes. */
  largestFreeBytes(): number {
    return this.free.reduce((m, b) => Math.max(m, b.size), 0);
  }
}
