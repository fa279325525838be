/**
 * Moving bytes between host memory and GPU buffers.
 *
 * Host → device goes through **mapped staging buffers** by default: the bytes are copied once,
 * into a `MAP_WRITE | COPY_SRC` buffer's mapped range, and the GPU copies them on with
 * `copyBufferToBuffer`. On an NVIDIA H200 through Dawn this measured 7–10 GB/s where
 * `queue.writeBuffer` gave 2.4–2.9 GB/s (../shared/TOOLCHAIN.md). Large inputs go in chunks of
 * {@link TRANSFER_CHUNK_BYTES}, each submitted as soon as it is filled, so the host fills chunk
 * i + 1 while the GPU copies chunk i. Staging buffers are recycled: once the GPU is done with one
 * it is mapped again (`mapAsync(WRITE)`) and kept for the next upload. Views of a
 * `SharedArrayBuffer` (the object-store arena) go the same way, with the same single copy.
 *
 * Device → host reads go through `MAP_READ` buffers from the context's pool, in chunks too: all
 * chunk copies are recorded in one submit, then the chunks are mapped together and copied out in
 * order.
 */
import { WrtError } from '../runtime/errors.js';

/** Bytes one staging chunk carries (16 MiB). */
export const TRANSFER_CHUNK_BYTES = 16 * 2 ** 20;

/** How {@link StagingUploader} moves bytes to the device. */
export type UploadMode = 'staging' | 'write-buffer';

const MAP_WRITE = 0x2;
const COPY_SRC = 0x4;
const MAP_MODE_WRITE = 0x2;

/** Rounds `n` up to a multiple of 4 (WebGPU copies move whole 4-byte words). */
function align4(n: number): number {
  return Math.ceil(n / 4) * 4;
}

/**
 * Uploads host bytes into GPU buffers (see the module comment). Keeps at most `maxBytes` of
 * mapped staging buffers for reuse.
 */
export class StagingUploader {
  private readonly free: GPUBuffer[] = [];
  private heldBytes = 0;
  private closed = false;

  constructor(
    private readonly device: GPUDevice,
    /** `staging` (default) or `write-buffer` (`queue.writeBuffer`, for comparison). */
    readonly mode: UploadMode = 'staging',
    private readonly maxBytes = 4 * TRANSFER_CHUNK_BYTES,
  ) {}

  /**
   * Copies `src` into `target` at byte `offset` (a multiple of 4); a length that is not a multiple
   * of 4 is padded with zero bytes. The copies are submitted on the device's queue, so work
   * submitted after this call sees the bytes.
   */
  write(target: GPUBuffer, offset: number, src: Uint8Array): void {
    if (offset % 4 !== 0) throw new WrtError('WRT_INVALID_ARGUMENT', `upload offset ${offset} is not a multiple of 4`);
    if (this.mode === 'write-buffer' && src.buffer instanceof ArrayBuffer) {
      this.writeBuffer(target, offset, src);
      return;
    }
    for (let at = 0; at < src.byteLength; at += TRANSFER_CHUNK_BYTES) {
      const n = Math.min(TRANSFER_CHUNK_BYTES, src.byteLength - at);
      const size = align4(n);
      const staging = this.stage(src.subarray(at, at + n));
      const encoder = this.device.createCommandEncoder();
      encoder.copyBufferToBuffer(staging, 0, target, offset + at, size);
      this.device.queue.submit([encoder.finish()]);
      this.recycle(staging);
    }
  }

  /** `queue.writeBuffer` of whole words, then the zero-padded tail. */
  private writeBuffer(target: GPUBuffer, offset: number, src: Uint8Array): void {
    const whole = src.byteLength - (src.byteLength % 4);
    if (whole > 0) this.device.queue.writeBuffer(target, offset, src as Uint8Array<ArrayBuffer>, 0, whole);
    if (whole < src.byteLength) {
      const tail = new Uint8Array(4);
      tail.set(src.subarray(whole));
      this.device.queue.writeBuffer(target, offset + whole, tail);
    }
  }

  /** A staging buffer holding `bytes` (zero-padded to a multiple of 4), unmapped, ready to copy from; {@link recycle} it after the submit. */
  stage(bytes: Uint8Array): GPUBuffer {
    const size = align4(bytes.byteLength);
    const staging = this.acquire(size);
    const range = new Uint8Array(staging.getMappedRange(0, size));
    range.set(bytes);
    if (size > bytes.byteLength) range.fill(0, bytes.byteLength);
    staging.unmap();
    return staging;
  }

  /** A mapped staging buffer of at least `size` bytes: a recycled one, or a new one mapped at creation. */
  private acquire(size: number): GPUBuffer {
    const at = this.free.findIndex((b) => b.size >= size && b.size <= 2 * size);
    if (at >= 0) {
      const [buffer] = this.free.splice(at, 1);
      this.heldBytes -= buffer!.size;
      return buffer!;
    }
    const chunk = size <= TRANSFER_CHUNK_BYTES / 4 ? Math.max(256, 2 ** Math.ceil(Math.log2(size))) : TRANSFER_CHUNK_BYTES;
    return this.device.createBuffer({ size: Math.max(chunk, size), usage: MAP_WRITE | COPY_SRC, mappedAtCreation: true });
  }

  /** Maps `buffer` again once the GPU has copied out of it and keeps it, or destroys it. */
  recycle(buffer: GPUBuffer): void {
    if (this.closed || this.heldBytes + buffer.size > this.maxBytes) {
      buffer.destroy();
      return;
    }
    this.heldBytes += buffer.size;
    void buffer
      .mapAsync(MAP_MODE_WRITE)
      .then(() => {
        if (this.closed) buffer.destroy();
        else this.free.push(buffer);
      })
      .catch(() => {
        this.heldBytes -= buffer.size;
        buffer.destroy();
      });
  }

  /** Destroys the kept staging buffers. */
  close(): void {
    this.closed = true;
    for (const b of this.free) b.destroy();
    this.free.length = 0;
    this.heldBytes = 0;
  }
}
