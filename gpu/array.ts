/**
 * Arrays that live on the device. A {@link GpuArray} is a typed array (f32, u32 or i32, 4 bytes an
 * element, little-endian) held in a GPU storage buffer: kernels take one as input without an
 * upload and give one back with `{ resident: true }`, so a chain of kernels (`sort(map(x))`)
 * uploads once and reads back once. `read()` copies it to the host; `release()` gives the buffer
 * back to the context's pool (reading or using a released array throws `WRT_INVALID_ARGUMENT`).
 */
import { WrtError } from '../runtime/errors.js';
import { arrayOf, bytesOf, elementTypeOf, type ElementType, type GpuContext, type NumericArray } from './context.js';

/**
 * A typed array on the device: `length` elements of `type` (f32, u32 or i32; 4 bytes each,
 * little-endian) at the start of a pooled storage buffer of `ctx`. Made by {@link GpuArray.from}
 * (an upload), {@link GpuArray.allocate}, or a kernel called with `resident: true`; released with
 * {@link GpuArray.release}. @throws WRT_INVALID_ARGUMENT when used after release or on another context
 */
export class GpuArray {
  private released = false;

  /**
   * Wraps `buffer` (at least `length` · 4 bytes, owned by `ctx`'s pool from now on), or, with
   * `aliasOf`, views another array's buffer (releasing an alias does nothing).
   */
  constructor(
    readonly ctx: GpuContext,
    private readonly storage: GPUBuffer,
    readonly type: ElementType,
    /** Elements. */
    readonly length: number,
    private readonly aliasOf: GpuArray | null = null,
  ) {}

  /** The same bytes seen as `length` elements of `type` (an alias; `this` keeps owning the buffer). */
  as(type: ElementType, length = this.length): GpuArray {
    if (length > this.length) throw new WrtError('WRT_INVALID_ARGUMENT', `an alias of ${this.length} elements cannot hold ${length}`);
    return type === this.type && length === this.length ? this : new GpuArray(this.ctx, this.buffer, type, length, this.aliasOf ?? this);
  }

  /** Uploads `data` (any typed-array view, a SharedArrayBuffer's included) to a new device array. */
  static from(ctx: GpuContext, data: NumericArray): GpuArray {
    const type = elementTypeOf(data);
    return new GpuArray(ctx, ctx.upload(data), type, data.length);
  }

  /** A device array of `length` elements of `type`, contents undefined. */
  static allocate(ctx: GpuContext, type: ElementType, length: number): GpuArray {
    return new GpuArray(ctx, ctx.storage(length * 4), type, length);
  }

  /** Bytes of the elements (`length` · 4); the buffer may be larger (pool size classes). */
  get byteLength(): number {
    return this.length * 4;
  }

  /** The storage buffer. @throws WRT_INVALID_ARGUMENT once released */
  get buffer(): GPUBuffer {
    if (this.released || this.aliasOf?.released) throw new WrtError('WRT_INVALID_ARGUMENT', 'this GpuArray was released');
    return this.storage;
  }

  /** Copies the elements to the host: into `into` when given (at least `length` elements of the same type), or a new array. */
  async read(into?: NumericArray): Promise<NumericArray> {
    const out = into ?? arrayOf(this.type, new ArrayBuffer(this.byteLength), 0, this.length);
    if (elementTypeOf(out) !== this.type || out.length < this.length)
      throw new WrtError('WRT_INVALID_ARGUMENT', `read into needs ${this.length} ${this.type} elements`);
    await this.ctx.read(this.buffer, this.byteLength, bytesOf(out));
    return out;
  }

  /** Gives the buffer back to the pool; later calls do nothing. */
  release(): void {
    if (this.released || this.aliasOf) return;
    this.released = true;
    this.ctx.pool.release(this.storage);
  }
}

/** A kernel's input, a host array or a device array. */
export type KernelInput = NumericArray | GpuArray;

/**
 * The device array of a kernel input: `x` itself (not owned: the caller releases it) or an
 * upload of a host array (owned: the kernel releases it).
 */
export function onDevice(ctx: GpuContext, x: KernelInput): { array: GpuArray; owned: boolean } {
  if (x instanceof GpuArray) {
    if (x.ctx !== ctx) throw new WrtError('WRT_INVALID_ARGUMENT', 'a GpuArray can only be used on the context that made it');
    return { array: x, owned: false };
  }
  return { array: GpuArray.from(ctx, x), owned: true };
}

/** Element type of a kernel input. */
export function typeOfInput(x: KernelInput): ElementType {
  return x instanceof GpuArray ? x.type : elementTypeOf(x);
}
