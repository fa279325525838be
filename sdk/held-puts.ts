/**
 * The large puts a driver holds itself (docs/adr/0010-driver-owned-large-puts.md): a put larger
 * than one chunk (1 MiB) from a driver that shares no node's process stays in the driver, as a
 * Ray owner's object stays in its node's store; nodes pull it through the head when a task reads
 * it. A put is one copy of the value into a buffer of this pool: buffers of released puts are
 * kept (up to `maxPooledBytes`) and reused by later puts of the same size class (whole MiB), so a
 * put does not fault in fresh pages each time.
 *
 * When the bytes go: at the driver's own release when no task or actor call was given the ref
 * (nothing else can read it), else when the head says no one needs them any more
 * (`ReleaseObjects`). A buffer whose bytes `get` handed out is never reused (the caller may keep
 * the view).
 */
import { OBJECT_CHUNK_BYTES } from '../runtime/store/object-transfer.js';

interface Held {
  bytes: Uint8Array;
  /** The ref went to a task or call: the head's release decides when the bytes go. */
  passed: boolean;
  /** `get` returned a view of the bytes: the buffer is not reused. */
  exposed: boolean;
}

/** Buffers are pooled by capacity, a whole number of chunks. */
const capacityOf = (n: number): number => Math.ceil(n / OBJECT_CHUNK_BYTES) * OBJECT_CHUNK_BYTES;

export class HeldPuts {
  private readonly held = new Map<string, Held>();
  private readonly free = new Map<number, ArrayBuffer[]>();
  private pooledBytes = 0;

  /** @param maxPooledBytes bytes of released buffers kept for reuse (0: none kept). */
  constructor(private readonly maxPooledBytes = 128 * 2 ** 20) {}

  /** Bytes of the puts held now. */
  get heldBytes(): number {
    let n = 0;
    for (const h of this.held.values()) n += h.bytes.byteLength;
    return n;
  }

  /** Copies `data` into a (reused or new) buffer held as object `id`; returns the held bytes. */
  hold(id: string, data: Uint8Array): Uint8Array {
    const capacity = capacityOf(data.byteLength);
    const reused = this.free.get(capacity)?.pop();
    if (reused) this.pooledBytes -= capacity;
    const bytes = new Uint8Array(reused ?? new ArrayBuffer(capacity), 0, data.byteLength);
    bytes.set(data);
    this.held.set(id, { bytes, passed: false, exposed: false });
    return bytes;
  }

  /** The bytes of object `id` to serve a pull, or undefined when this driver does not hold it. */
  bytes(id: string): Uint8Array | undefined {
    return this.held.get(id)?.bytes;
  }

  /** The bytes of object `id` for the caller of `get` (whose buffer is then never reused). */
  expose(id: string): Uint8Array | undefined {
    const h = this.held.get(id);
    if (h) h.exposed = true;
    return h?.bytes;
  }

  /** Object `id`'s ref went to a task or actor call. */
  passed(id: string): void {
    const h = this.held.get(id);
    if (h) h.passed = true;
  }

  /** The driver released its ref: the bytes go now unless a task or call was given the ref. */
  ownerReleased(id: string): void {
    if (this.held.get(id)?.passed === false) this.drop(id);
  }

  /** The head's `ReleaseObjects` (or a failed put): the bytes go. */
  drop(id: string): void {
    const h = this.held.get(id);
    if (!h) return;
    this.held.delete(id);
    const buffer = h.bytes.buffer as ArrayBuffer;
    if (h.exposed || this.pooledBytes + buffer.byteLength > this.maxPooledBytes) return;
    let list = this.free.get(buffer.byteLength);
    if (!list) this.free.set(buffer.byteLength, (list = []));
    list.push(buffer);
    this.pooledBytes += buffer.byteLength;
  }

  /** Everything goes (the connection closed). */
  clear(): void {
    this.held.clear();
    this.free.clear();
    this.pooledBytes = 0;
  }
}
