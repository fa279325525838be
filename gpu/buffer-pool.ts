/**
 * A pool of GPU buffers keyed by usage and a power-of-two size class, so repeated kernel calls
 * reuse buffers instead of creating and destroying them (buffer creation is one of the costlier
 * WebGPU calls). A released buffer is kept while the pool holds fewer than `maxBytes`; beyond
 * that it is destroyed.
 */
export class BufferPool {
  private readonly free = new Map<string, GPUBuffer[]>();
  private readonly sizeOf = new WeakMap<GPUBuffer, number>();
  private heldBytes = 0;
  /** Buffers handed out and not yet released. */
  inUse = 0;

  constructor(
    private readonly device: GPUDevice,
    private readonly maxBytes: number,
  ) {}

  /** A buffer of at least `byteLength` bytes with `usage` (contents undefined). */
  acquire(byteLength: number, usage: number): GPUBuffer {
    const size = sizeClass(byteLength);
    const list = this.free.get(`${usage}/${size}`);
    const reused = list?.pop();
    this.inUse++;
    if (reused) {
      this.heldBytes -= size;
      return reused;
    }
    const buffer = this.device.createBuffer({ size, usage });
    this.sizeOf.set(buffer, size);
    return buffer;
  }

  /** Gives `buffer` back for reuse (or destroys it when the pool is full). */
  release(buffer: GPUBuffer): void {
    const size = this.sizeOf.get(buffer) ?? buffer.size;
    this.inUse--;
    if (this.heldBytes + size > this.maxBytes) {
      buffer.destroy();
      return;
    }
    const key = `${buffer.usage}/${size}`;
    let list = this.free.get(key);
    if (!list) this.free.set(key, (list = []));
    list.push(buffer);
    this.heldBytes += size;
  }

  /** Bytes held by released buffers. */
  get pooledBytes(): number {
    return this.heldBytes;
  }

  /** Destroys every released buffer. */
  clear(): void {
    for (const list of this.free.values()) for (const b of list) b.destroy();
    this.free.clear();
    this.heldBytes = 0;
  }
}

/** The size class of a request: the next power of two from 256 bytes to 1 MiB, then whole MiB. */
export function sizeClass(byteLength: number): number {
  const MIB = 2 ** 20;
  if (byteLength > MIB) return Math.ceil(byteLength / MIB) * MIB;
  let size = 256;
  while (size < byteLength) size *= 2;
  return size;
}
