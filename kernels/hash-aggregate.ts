// Hash aggregation of byte-string keys to u64 counts: open addressing with linear probing over a
// power-of-two table, keys copied into one growable key heap. All memory is on the raw heap and
// is released by `dispose()`.

/** FNV-1a, 32 bits (Fowler, Noll, Vo; http://www.isthe.com/chongo/tech/comp/fnv/). */
@inline
export function fnv1a(ptr: usize, len: usize): u32 {
  let h: u32 = 0x811c9dc5;
  for (let i: usize = 0; i < len; i++) {
    h = (h ^ <u32>load<u8>(ptr + i)) * 0x01000193;
  }
  return h;
}

// Slot layout, 24 bytes: u64 count @0, u32 hash @8, u32 keyStart @12, u32 keyLen @16, u32 used @20.
const SLOT: usize = 24;

export class TokenCounts {
  slots: usize;
  mask: u32;
  size: u32 = 0;
  keys: usize;
  keysLen: usize = 0;
  keysCap: usize;

  constructor(initialCapacity: u32 = 1 << 12) {
    let cap: u32 = 16;
    while (cap < initialCapacity) cap <<= 1;
    this.mask = cap - 1;
    this.slots = heap.alloc(<usize>cap * SLOT);
    memory.fill(this.slots, 0, <usize>cap * SLOT);
    this.keysCap = 1 << 16;
    this.keys = heap.alloc(this.keysCap);
  }

  /** Adds `count` to key `keys[ptr .. ptr+len)` whose FNV-1a hash is `h`. */
  add(ptr: usize, len: usize, h: u32, count: u64): void {
    let i = h & this.mask;
    while (true) {
      const s = this.slots + <usize>i * SLOT;
      if (load<u32>(s, 20) == 0) {
        this.insertAt(s, ptr, len, h, count);
        return;
      }
      if (
        load<u32>(s, 8) == h &&
        <usize>load<u32>(s, 16) == len &&
        memory.compare(this.keys + <usize>load<u32>(s, 12), ptr, len) == 0
      ) {
        store<u64>(s, load<u64>(s) + count);
        return;
      }
      i = (i + 1) & this.mask;
    }
  }

  private insertAt(s: usize, ptr: usize, len: usize, h: u32, count: u64): void {
    if (this.keysLen + len > this.keysCap) {
      let cap = this.keysCap << 1;
      while (cap < this.keysLen + len) cap <<= 1;
      this.keys = heap.realloc(this.keys, cap);
      this.keysCap = cap;
    }
    memory.copy(this.keys + this.keysLen, ptr, len);
    store<u64>(s, count);
    store<u32>(s, h, 8);
    store<u32>(s, <u32>this.keysLen, 12);
    store<u32>(s, <u32>len, 16);
    store<u32>(s, 1, 20);
    this.keysLen += len;
    this.size++;
    if (this.size * 4 > (this.mask + 1) * 3) this.rehash();
  }

  private rehash(): void {
    const oldSlots = this.slots;
    const oldCap = this.mask + 1;
    const cap = oldCap << 1;
    this.mask = cap - 1;
    this.slots = heap.alloc(<usize>cap * SLOT);
    memory.fill(this.slots, 0, <usize>cap * SLOT);
    for (let j: u32 = 0; j < oldCap; j++) {
      const o = oldSlots + <usize>j * SLOT;
      if (load<u32>(o, 20) == 0) continue;
      let i = load<u32>(o, 8) & this.mask;
      while (load<u32>(this.slots + <usize>i * SLOT, 20) != 0) i = (i + 1) & this.mask;
      memory.copy(this.slots + <usize>i * SLOT, o, SLOT);
    }
    heap.free(oldSlots);
  }

  /** Number of slots (occupied or not); iterate with `isUsed(i)`. */
  @inline capacity(): u32 {
    return this.mask + 1;
  }
  @inline isUsed(i: u32): bool {
    return load<u32>(this.slots + <usize>i * SLOT, 20) != 0;
  }
  @inline countAt(i: u32): u64 {
    return load<u64>(this.slots + <usize>i * SLOT);
  }
  @inline hashAt(i: u32): u32 {
    return load<u32>(this.slots + <usize>i * SLOT, 8);
  }
  @inline keyPtrAt(i: u32): usize {
    return this.keys + <usize>load<u32>(this.slots + <usize>i * SLOT, 12);
  }
  @inline keyLenAt(i: u32): usize {
    return <usize>load<u32>(this.slots + <usize>i * SLOT, 16);
  }

  dispose(): void {
    heap.free(this.slots);
    heap.free(this.keys);
  }
}
