// A growable byte buffer on the raw heap (heap.alloc / heap.realloc), for operator outputs.

export class ByteBuffer {
  ptr: usize;
  len: usize = 0;
  cap: usize;

  constructor(initialCap: usize = 1024) {
    this.cap = initialCap < 16 ? 16 : initialCap;
    this.ptr = heap.alloc(this.cap);
  }

  /** Makes room for `extra` more bytes. */
  @inline reserve(extra: usize): void {
    if (this.len + extra > this.cap) this.grow(this.len + extra);
  }

  grow(need: usize): void {
    let cap = this.cap << 1;
    while (cap < need) cap <<= 1;
    this.ptr = heap.realloc(this.ptr, cap);
    this.cap = cap;
  }

  @inline writeU8(v: u8): void {
    this.reserve(1);
    store<u8>(this.ptr + this.len, v);
    this.len += 1;
  }

  writeU32(v: u32): void {
    this.reserve(4);
    store<u32>(this.ptr + this.len, v);
    this.len += 4;
  }

  writeU64(v: u64): void {
    this.reserve(8);
    store<u64>(this.ptr + this.len, v);
    this.len += 8;
  }

  writeBytes(src: usize, n: usize): void {
    this.reserve(n);
    memory.copy(this.ptr + this.len, src, n);
    this.len += n;
  }

  /** Appends the decimal digits of `v`. */
  writeDecimal(v: u64): void {
    let digits: usize = 1;
    let t = v;
    while (t >= 10) {
      t /= 10;
      digits++;
    }
    this.reserve(digits);
    let at = this.ptr + this.len + digits;
    do {
      at--;
      store<u8>(at, <u8>(48 + <u32>(v % 10)));
      v /= 10;
    } while (v != 0);
    this.len += digits;
  }

  /** Pads with zero bytes to a multiple of `align` (a power of two). */
  padTo(align: usize): void {
    const target = (this.len + align - 1) & ~(align - 1);
    this.reserve(target - this.len);
    memory.fill(this.ptr + this.len, 0, target - this.len);
    this.len = target;
  }

  /** Hands the block over (to a post-return) and forgets it. */
  take(): usize {
    const p = this.ptr;
    this.ptr = 0;
    return p;
  }

  dispose(): void {
    if (this.ptr != 0) heap.free(this.ptr);
    this.ptr = 0;
  }
}
