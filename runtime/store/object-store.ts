/**
 * A node's object store: immutable objects in one shared `WebAssembly.Memory` (its buffer a
 * SharedArrayBuffer) that every slot thread of the node maps, so a get on the node is a view, not
 * a copy. Objects are written once (`put`), sealed, and freed when their last reference is
 * released (an unreferenced object is gone at once: eviction needs no second pass). The arena grows
 * in 64 KiB pages up to `maxBytes`. When it is full, objects that nobody is reading — one reference
 * (their owner's) and no retain by a running task or transfer — are spilled to the platform's
 * spill storage, least recently used first, and restored on their next use (as Ray's object
 * spilling, but synchronous). Where nothing can be spilled (all pinned, no storage in a browser,
 * or the object is larger than the arena), `create` throws `WRT_OBJECT_STORE_FULL`.
 * Views returned by `get` and ranges from `range` stay valid only until the next allocation
 * (which may spill the object); whoever hands a range to a slot thread or keeps a view across an
 * await must `pin` it, which also keeps it from spilling, and `unpin` it after. Objects made with
 * `create` are pinned until `seal`.
 */
import { WrtError } from '../errors.js';
import { ArenaAllocator } from './arena-allocator.js';
import type { SpillStorage } from '../platform/platform.js';

const PAGE = 65536;

/** A byte range of the node's object-store arena (offset and length in bytes). */
export interface ArenaRange {
  offset: number;
  length: number;
}

export interface ObjectStoreOptions {
  /** Initial arena size in bytes. @default 16 MiB */
  initialBytes?: number;
  /** Largest arena size in bytes. @default 1 GiB */
  maxBytes?: number;
  /** Where to spill when the arena is full; none: refuse with `WRT_OBJECT_STORE_FULL`. */
  spill?: SpillStorage | null;
}

interface StoredObject {
  /** Arena offset; -1 while spilled. */
  offset: number;
  size: number;
  refs: number;
  /** Use clock value of the last get/range/retain (least recently used spills first). */
  lastUse: number;
  /** Written completely; an object still being written (a pull, a GPU read-back) never spills. */
  sealed: boolean;
  /** Holders of its arena range (running or queued calls): a pinned object never spills. */
  pins: number;
}

/** Spilling counters (bytes and objects since the store was made). */
export interface SpillStats {
  spilledObjects: number;
  spilledBytes: number;
  restoredObjects: number;
  restoredBytes: number;
  /** Objects on disk now, and their bytes. */
  onDiskObjects: number;
  onDiskBytes: number;
}

export class ObjectStore {
  /** The shared arena; post it to slot threads. */
  readonly memory: WebAssembly.Memory;
  readonly maxBytes: number;
  private readonly allocator: ArenaAllocator;
  private readonly objects = new Map<string, StoredObject>();
  private readonly spill: SpillStorage | null;
  private clock = 0;
  readonly stats: SpillStats = {
    spilledObjects: 0,
    spilledBytes: 0,
    restoredObjects: 0,
    restoredBytes: 0,
    onDiskObjects: 0,
    onDiskBytes: 0,
  };

  constructor(options: ObjectStoreOptions = {}) {
    this.spill = options.spill ?? null;
    const maxBytes = options.maxBytes ?? 2 ** 30;
    const initial = Math.min(options.initialBytes ?? 16 * 2 ** 20, maxBytes);
    this.maxBytes = Math.floor(maxBytes / PAGE) * PAGE;
    this.memory = new WebAssembly.Memory({
      initial: Math.ceil(initial / PAGE),
      maximum: this.maxBytes / PAGE,
      shared: true,
    });
    this.allocator = new ArenaAllocator(this.memory.buffer.byteLength);
  }

  get usedBytes(): number {
    return this.allocator.usedBytes;
  }

  has(id: string): boolean {
    return this.objects.has(id);
  }

  /**
   * Reserves `size` bytes for object `id` and returns a writable view; call only before sealing.
   * @throws WrtError `WRT_OBJECT_STORE_FULL` when neither growing nor spilling makes room
   */
  create(id: string, size: number): Uint8Array {
    if (this.objects.has(id)) throw new WrtError('WRT_INVALID_ARGUMENT', `object ${id} already exists`);
    const offset = this.allocate(size, id);
    this.objects.set(id, { offset, size, refs: 1, lastUse: ++this.clock, sealed: false, pins: 0 });
    return new Uint8Array(this.memory.buffer, offset, size);
  }

  /** Marks object `id` written completely (after `create`); only sealed objects may spill. */
  seal(id: string): void {
    const o = this.objects.get(id);
    if (o) o.sealed = true;
  }

  /** An arena block of `size` bytes: grows the arena, then spills (never `keep`). */
  private allocate(size: number, keep: string): number {
    let offset = this.allocator.allocate(size);
    while (offset < 0) {
      const current = this.memory.buffer.byteLength;
      if (current < this.maxBytes) {
        const grow = Math.min(Math.max(current, Math.ceil(size / PAGE) * PAGE), this.maxBytes - current);
        this.memory.grow(grow / PAGE);
        this.allocator.extend(this.memory.buffer.byteLength);
      } else if (size > this.maxBytes || !this.spillOne(keep)) {
        throw new WrtError(
          'WRT_OBJECT_STORE_FULL',
          `object store full: ${size} bytes requested, ${this.allocator.largestFreeBytes()} bytes free in one block of a ${this.maxBytes}-byte arena` +
            (size > this.maxBytes
              ? ' (the object is larger than the arena; start the node with a larger --store-mb)'
              : this.spill
                ? '; every object in it is in use, so none can be spilled'
                : '; this node cannot spill (no file system)'),
        );
      }
      offset = this.allocator.allocate(size);
    }
    return offset;
  }

  /** Spills the least recently used unpinned object other than `keep`; false when there is none. */
  private spillOne(keep: string): boolean {
    if (!this.spill) return false;
    let victim: [string, StoredObject] | null = null;
    for (const e of this.objects) {
      const o = e[1];
      if (o.offset < 0 || o.refs !== 1 || o.pins > 0 || !o.sealed || e[0] === keep || o.size === 0) continue;
      if (!victim || o.lastUse < victim[1].lastUse) victim = e;
    }
    if (!victim) return false;
    const [id, o] = victim;
    this.spill.write(id, new Uint8Array(this.memory.buffer, o.offset, o.size));
    this.allocator.release(o.offset, o.size);
    o.offset = -1;
    this.stats.spilledObjects++;
    this.stats.spilledBytes += o.size;
    this.stats.onDiskObjects++;
    this.stats.onDiskBytes += o.size;
    return true;
  }

  /** Whether object `id` is on disk now (tests and stats). */
  isSpilled(id: string): boolean {
    return (this.objects.get(id)?.offset ?? 0) < 0;
  }

  /** Copies `bytes` into a new object `id` (one reference, held by the caller). */
  put(id: string, bytes: Uint8Array): void {
    this.create(id, bytes.byteLength).set(bytes);
    this.seal(id);
  }

  /** A read-only-by-contract view of object `id`. @throws WrtError `WRT_OBJECT_LOST` if absent. */
  get(id: string): Uint8Array {
    const o = this.lookup(id);
    return new Uint8Array(this.memory.buffer, o.offset, o.size);
  }

  /** Where object `id` lies in the arena, for slot threads. */
  range(id: string): ArenaRange {
    const o = this.lookup(id);
    return { offset: o.offset, length: o.size };
  }

  /**
   * Where object `id` lies in the arena, kept there (restored first if spilled, never spilled)
   * until {@link unpin}: for ranges handed to slot threads and views held across awaits.
   * @throws WrtError `WRT_OBJECT_LOST` if absent; `WRT_OBJECT_STORE_FULL` if it cannot be restored
   */
  pin(id: string): ArenaRange {
    const o = this.lookup(id);
    o.pins++;
    return { offset: o.offset, length: o.size };
  }

  /** Ends one {@link pin}. */
  unpin(id: string): void {
    const o = this.objects.get(id);
    if (o && o.pins > 0) o.pins--;
  }

  retain(id: string): void {
    this.lookup(id).refs++;
  }

  /** Drops one reference; the object is freed when none remain. Unknown ids are ignored. */
  release(id: string): void {
    const o = this.objects.get(id);
    if (!o) return;
    if (--o.refs > 0) return;
    this.objects.delete(id);
    if (o.offset >= 0) this.allocator.release(o.offset, o.size);
    else {
      this.spill?.remove(id);
      this.stats.onDiskObjects--;
      this.stats.onDiskBytes -= o.size;
    }
  }

  /** Deletes every spilled file (the node is stopping). */
  close(): void {
    this.spill?.close();
  }

  /** The object, restored into the arena first if it was spilled. */
  private lookup(id: string): StoredObject {
    const o = this.objects.get(id);
    if (!o) throw new WrtError('WRT_OBJECT_LOST', `object ${id} is not in this node's store`);
    o.lastUse = ++this.clock;
    if (o.offset < 0) {
      const offset = this.allocate(o.size, id);
      this.spill!.read(id, new Uint8Array(this.memory.buffer, offset, o.size));
      this.spill!.remove(id);
      o.offset = offset;
      this.stats.restoredObjects++;
      this.stats.restoredBytes += o.size;
      this.stats.onDiskObjects--;
      this.stats.onDiskBytes -= o.size;
    }
    return o;
  }
}
