/**
 * A node's object store: immutable objects in one shared `WebAssembly.Memory` (its buffer a
 * SharedArrayBuffer) that every slot thread of the node maps, so a get on the node is a view, not
 * a copy. Objects are written once (`put`), sealed, and freed when their last reference is
 * released. The arena grows in 64 KiB pages up to `maxBytes`; past that, `put` throws
 * `WRT_OBJECT_STORE_FULL` (eviction and spilling come with the task API).
 */
import { WrtError } from '../errors.js';
import { ArenaAllocator } from './arena-allocator.js';
import type { ArenaRange } from '../node/slot-messages.js';

const PAGE = 65536;

export interface ObjectStoreOptions {
  /** Initial arena size in bytes. @default 16 MiB */
  initialBytes?: number;
  /** Largest arena size in bytes. @default 1 GiB */
  maxBytes?: number;
}

interface StoredObject {
  offset: number;
  size: number;
  refs: number;
}

export class ObjectStore {
  /** The shared arena; post it to slot threads. */
  readonly memory: WebAssembly.Memory;
  readonly maxBytes: number;
  private readonly allocator: ArenaAllocator;
  private readonly objects = new Map<string, StoredObject>();

  constructor(options: ObjectStoreOptions = {}) {
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

  /** Reserves `size` bytes for object `id` and returns a writable view; call only before sealing. */
  create(id: string, size: number): Uint8Array {
    if (this.objects.has(id)) throw new WrtError('WRT_INVALID_ARGUMENT', `object ${id} already exists`);
    let offset = this.allocator.allocate(size);
    while (offset < 0) {
      const current = this.memory.buffer.byteLength;
      if (current >= this.maxBytes) {
        throw new WrtError(
          'WRT_OBJECT_STORE_FULL',
          `object store full: ${size} bytes requested, ${this.allocator.largestFreeBytes()} bytes free in one block of a ${this.maxBytes}-byte arena`,
        );
      }
      const grow = Math.min(Math.max(current, Math.ceil(size / PAGE) * PAGE), this.maxBytes - current);
      this.memory.grow(grow / PAGE);
      this.allocator.extend(this.memory.buffer.byteLength);
      offset = this.allocator.allocate(size);
    }
    this.objects.set(id, { offset, size, refs: 1 });
    return new Uint8Array(this.memory.buffer, offset, size);
  }

  /** Copies `bytes` into a new object `id` (one reference, held by the caller). */
  put(id: string, bytes: Uint8Array): void {
    this.create(id, bytes.byteLength).set(bytes);
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

  retain(id: string): void {
    this.lookup(id).refs++;
  }

  /** Drops one reference; the object is freed when none remain. Unknown ids are ignored. */
  release(id: string): void {
    const o = this.objects.get(id);
    if (!o) return;
    if (--o.refs > 0) return;
    this.objects.delete(id);
    this.allocator.release(o.offset, o.size);
  }

  private lookup(id: string): StoredObject {
    const o = this.objects.get(id);
    if (!o) throw new WrtError('WRT_OBJECT_LOST', `object ${id} is not in this node's store`);
    return o;
  }
}
