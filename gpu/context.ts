/**
 * A WebGPU device as wrt's kernels use it: the adapter's description, a buffer pool, a cache of
 * compiled compute pipelines and helpers to upload, dispatch and read back. The same code runs on
 * Dawn in Node (npm `webgpu`) and on `navigator.gpu` in a browser; the caller hands in the `GPU`
 * object (see `runtime/platform/<platform>/gpu.ts`).
 */
import { WrtError } from '../runtime/errors.js';
import { BufferPool } from './buffer-pool.js';
import type { GpuAdapterSummary } from './adapter.js';
import { PassTimer } from './timing.js';
import { StagingUploader, TRANSFER_CHUNK_BYTES, type UploadMode } from './transfer.js';

/**
 * GPUBufferUsage and GPUMapMode flag values from the WebGPU specification (§ 5.1, § 5.2), so the
 * code needs no globals (Dawn in Node does not install them).
 */
export const Usage = { MAP_READ: 0x1, MAP_WRITE: 0x2, COPY_SRC: 0x4, COPY_DST: 0x8, UNIFORM: 0x40, STORAGE: 0x80 } as const;
const MAP_MODE_READ = 0x1;

/** Threads per workgroup of every 1-D kernel here (SwiftShader and the WebGPU defaults allow 256). */
export const WORKGROUP_SIZE = 256;

export { describeAdapter, guaranteesForwardProgress, type GpuAdapterSummary } from './adapter.js';
export { arrayOf, bytesOf, elementTypeOf, type ElementType, type NumericArray } from './elements.js';

/** A buffer to copy back after a submit: its first `byteLength` bytes, into `into` when given. */
export interface ReadBack {
  buffer: GPUBuffer;
  byteLength: number;
  into?: Uint8Array;
}

/** One binding of a dispatch: a whole buffer, or a range of one (offset a multiple of 256 bytes). */
export type Binding = GPUBuffer | GPUBufferBinding;

/** Options of `requestGpu()` / `GpuContext.create`. */
export interface GpuContextOptions {
  /** Requested optional features that the adapter has are enabled (`shader-f16`, `timestamp-query`). */
  features?: GPUFeatureName[];
  /** Largest number of bytes kept in released pool buffers. @default 256 MiB */
  poolBytes?: number;
  /** How host arrays reach the device (gpu/transfer.ts). @default 'staging' */
  upload?: UploadMode;
}

/**
 * One WebGPU device and what the kernels share on it: compiled pipelines (by WGSL source) and a
 * pool of storage buffers (`pool`). Made by `requestGpu()` (wrt/gpu) on the platform's adapter;
 * `destroy()` frees the device. Kernel calls fail with `WRT_GPU_ERROR` once the device is lost.
 */
export class GpuContext {
  /** Released storage buffers by size class, reused by later kernel calls (at most `poolBytes` kept). */
  readonly pool: BufferPool;
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  private readonly uploader: StagingUploader;
  /** Host ↔ device traffic since the context was made: uploads and read-backs, and their bytes. */
  readonly traffic = { uploads: 0, uploadedBytes: 0, reads: 0, readBytes: 0 };
  private timer: PassTimer | null = null;
  private lost: string | null = null;
  /** Settles when the device is lost, with the reason ("destroyed: …" or "unknown: …"). */
  readonly whenLost: Promise<string>;

  private constructor(
    readonly device: GPUDevice,
    readonly adapter: GpuAdapterSummary,
    poolBytes: number,
    upload: UploadMode,
  ) {
    this.pool = new BufferPool(device, poolBytes);
    this.uploader = new StagingUploader(device, upload);
    this.whenLost = device.lost.then((info) => {
      this.lost = `${info.reason}: ${info.message || 'no message'}`;
      return this.lost;
    });
  }

  /**
   * Whether kernels use subgroup operations: true when the device has `subgroups`; set it false
   * to run the portable paths (every kernel has one).
   */
  useSubgroups = false;

  /** Why the device was lost, or null while it works. */
  get lostReason(): string | null {
    return this.lost;
  }

  /**
   * Requests an adapter and a device from `gpu` with the adapter's largest buffer limits.
   * Throws `WRT_GPU_UNAVAILABLE` when there is no adapter or the device cannot be created.
   */
  static async create(gpu: GPU, options: GpuContextOptions = {}): Promise<GpuContext> {
    const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (!adapter) throw new WrtError('WRT_GPU_UNAVAILABLE', 'WebGPU found no adapter (no GPU and no software driver)');
    const wanted = new Set<GPUFeatureName>(['shader-f16', 'timestamp-query', 'subgroups', ...(options.features ?? [])]);
    const features = [...wanted].filter((f) => adapter.features.has(f));
    let device: GPUDevice;
    try {
      device = await adapter.requestDevice({
        requiredFeatures: features,
        requiredLimits: {
          maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
          maxBufferSize: adapter.limits.maxBufferSize,
          maxComputeWorkgroupStorageSize: adapter.limits.maxComputeWorkgroupStorageSize,
        },
      });
    } catch (err) {
      throw new WrtError('WRT_GPU_UNAVAILABLE', `the adapter refused a device: ${(err as Error).message}`, { cause: err });
    }
    const info = adapter.info;
    const summary: GpuAdapterSummary = {
      vendor: info.vendor,
      architecture: info.architecture,
      device: info.device,
      description: info.description,
      software: /swiftshader|llvmpipe|lavapipe|fallback/i.test(`${info.vendor} ${info.architecture} ${info.description}`),
      features,
      maxStorageBufferBindingSize: device.limits.maxStorageBufferBindingSize,
      maxComputeWorkgroupStorageSize: device.limits.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: device.limits.maxComputeInvocationsPerWorkgroup,
    };
    const ctx = new GpuContext(device, summary, options.poolBytes ?? 256 * 2 ** 20, options.upload ?? 'staging');
    ctx.useSubgroups = features.includes('subgroups');
    return ctx;
  }

  /** Whether the device has `feature` enabled. */
  has(feature: GPUFeatureName): boolean {
    return this.device.features.has(feature);
  }

  /** Throws `WRT_GPU_ERROR` once the device is lost. */
  checkAlive(): void {
    if (this.lost) throw new WrtError('WRT_GPU_ERROR', `the GPU device was lost (${this.lost})`);
  }

  /**
   * A compute pipeline for `source` (cached by source text). A shader that does not compile throws
   * `WRT_GPU_ERROR` with the compiler's messages.
   */
  async pipeline(source: string, entryPoint = 'main'): Promise<GPUComputePipeline> {
    this.checkAlive();
    const key = `${entryPoint}\n${source}`;
    const cached = this.pipelines.get(key);
    if (cached) return cached;
    const module = this.device.createShaderModule({ code: source });
    const info = await module.getCompilationInfo();
    const errors = info.messages.filter((m) => m.type === 'error');
    if (errors.length > 0) {
      const text = errors.map((m) => `line ${m.lineNum}:${m.linePos}: ${m.message}`).join('; ');
      throw new WrtError('WRT_GPU_ERROR', `WGSL did not compile: ${text}`);
    }
    // Error scopes are one stack for the device: push and pop with no await between, so work of
    // other calls (GPU tasks and operators share the device) never lands in this scope.
    this.device.pushErrorScope('validation');
    const created = this.device.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint } });
    const checked = this.device.popErrorScope();
    const pipeline = await created.catch((err: Error) => {
      throw new WrtError('WRT_GPU_ERROR', `compute pipeline "${entryPoint}" failed: ${err.message}`);
    });
    const failure = await checked;
    if (failure) throw new WrtError('WRT_GPU_ERROR', `compute pipeline "${entryPoint}" failed: ${failure.message}`);
    this.pipelines.set(key, pipeline);
    return pipeline;
  }

  /**
   * Copies `data` into a pooled storage buffer through the staging path of gpu/transfer.ts (one
   * host-side copy; `data` may be a view of a SharedArrayBuffer such as the object-store arena).
   * The buffer is at least 4 bytes, padded with zeros to a multiple of 4.
   */
  upload(data: ArrayBufferView, extraUsage = 0): GPUBuffer {
    const bytes = Math.max(4, align4(data.byteLength));
    const buffer = this.pool.acquire(bytes, Usage.STORAGE | Usage.COPY_DST | Usage.COPY_SRC | extraUsage);
    this.uploader.write(buffer, 0, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    this.traffic.uploads++;
    this.traffic.uploadedBytes += data.byteLength;
    return buffer;
  }

  /**
   * A staging buffer holding `bytes` (one host copy, zero-padded to a multiple of 4), to copy from
   * with `copyBufferToBuffer` in work submitted next; hand it to {@link recycleStaging} right after
   * that submit. For pipelines that interleave uploads with their own dispatches (kernels/streamed.ts).
   */
  stage(bytes: Uint8Array): GPUBuffer {
    this.traffic.uploadedBytes += bytes.byteLength;
    return this.uploader.stage(bytes);
  }

  /** Takes back a buffer from {@link stage} once the work copying from it is submitted. */
  recycleStaging(buffer: GPUBuffer): void {
    this.uploader.recycle(buffer);
  }

  /** A pooled storage buffer of at least `byteLength` bytes (contents undefined). */
  storage(byteLength: number): GPUBuffer {
    return this.pool.acquire(Math.max(4, align4(byteLength)), Usage.STORAGE | Usage.COPY_DST | Usage.COPY_SRC);
  }

  /** A uniform buffer holding `words` (u32 values or f32 bit patterns). */
  uniform(words: ArrayLike<number>, floats?: ArrayLike<number>): GPUBuffer {
    const n = words.length + (floats?.length ?? 0);
    const data = new ArrayBuffer(align16(Math.max(16, n * 4)));
    new Uint32Array(data).set(Array.from(words));
    if (floats) new Float32Array(data, words.length * 4, floats.length).set(Array.from(floats));
    const buffer = this.pool.acquire(data.byteLength, Usage.UNIFORM | Usage.COPY_DST);
    this.device.queue.writeBuffer(buffer, 0, data);
    return buffer;
  }

  /** A bind group for group 0 of `pipeline` with `bindings` at bindings 0, 1, … in order. */
  bindGroup(pipeline: GPUComputePipeline, bindings: Binding[]): GPUBindGroup {
    return this.device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: bindings.map((b, binding) => ({ binding, resource: 'buffer' in b ? b : { buffer: b } })),
    });
  }

  /**
   * Records one dispatch of `pipeline` into `encoder`, with `bindings` (buffers for group 0 in
   * order, or a ready bind group). `workgroups` is a count — more than one dimension allows
   * (65535) spill into a second dimension, and kernels recover the linear id as
   * `wid.x + wid.y * nwg.x` — or an explicit `[x, y, z]` grid, used as it is.
   */
  dispatch(
    encoder: GPUCommandEncoder,
    pipeline: GPUComputePipeline,
    bindings: Binding[] | GPUBindGroup,
    workgroups: number | readonly [number, number, number],
  ): void {
    const [x, y, z] =
      typeof workgroups === 'number' ? [...grid(workgroups, this.device.limits.maxComputeWorkgroupsPerDimension), 1] : workgroups;
    if (x * y * z === 0) return;
    const timestampWrites = this.timer?.passWrites();
    const pass = encoder.beginComputePass(timestampWrites ? { timestampWrites } : undefined);
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, Array.isArray(bindings) ? this.bindGroup(pipeline, bindings) : bindings);
    pass.dispatchWorkgroups(x, y, z);
    pass.end();
  }

  /**
   * Submits `encoder` and copies each of `readBacks` out after the work: `byteLength` bytes of its
   * buffer, into its `into` view when given (one copy from the mapped range) or a new array. Reads
   * go in chunks of {@link TRANSFER_CHUNK_BYTES}, mapped together and copied out in order.
   * Validation and out-of-memory errors raised by the work, a failed map and a lost device become
   * `WRT_GPU_ERROR`.
   */
  async submit(encoder: GPUCommandEncoder, ...readBacks: ReadBack[]): Promise<Uint8Array[]> {
    this.checkAlive();
    const staged = readBacks.map((r) => {
      if (r.into && r.into.byteLength < r.byteLength)
        throw new WrtError('WRT_INVALID_ARGUMENT', `output view holds ${r.into.byteLength} bytes, ${r.byteLength} needed`);
      const chunks: { at: number; size: number; staging: GPUBuffer }[] = [];
      const total = Math.max(4, align4(r.byteLength));
      for (let at = 0; at < total; at += TRANSFER_CHUNK_BYTES) {
        const size = Math.min(TRANSFER_CHUNK_BYTES, total - at);
        const staging = this.pool.acquire(size, Usage.MAP_READ | Usage.COPY_DST);
        encoder.copyBufferToBuffer(r.buffer, at, staging, 0, size);
        chunks.push({ at, size, staging });
      }
      this.traffic.reads++;
      this.traffic.readBytes += r.byteLength;
      return { r, chunks };
    });
    const timed = this.timer?.resolve(encoder);
    try {
      const checked = this.submitChecked(encoder);
      timed?.();
      await checked;
      if (staged.length === 0) await this.device.queue.onSubmittedWorkDone();
      const outs: Uint8Array[] = [];
      for (const { r, chunks } of staged) {
        // Every map is marked handled now: they are awaited in turn, and one may fail while an earlier one is awaited.
        const mapped = chunks.map((c) => {
          const p = c.staging.mapAsync(MAP_MODE_READ, 0, c.size);
          p.catch(() => undefined);
          return p;
        });
        const out = r.into ? r.into.subarray(0, r.byteLength) : new Uint8Array(r.byteLength);
        for (const [i, c] of chunks.entries()) {
          await mapped[i]!.catch((err: Error) => {
            this.checkAlive();
            throw new WrtError('WRT_GPU_ERROR', `reading the result back failed: ${err.message}`, { cause: err });
          });
          const n = Math.min(c.size, r.byteLength - c.at);
          if (n > 0) out.set(new Uint8Array(c.staging.getMappedRange(0, c.size), 0, n), c.at);
          c.staging.unmap();
        }
        outs.push(out);
      }
      this.checkAlive();
      return outs;
    } finally {
      for (const { chunks } of staged) for (const c of chunks) this.pool.release(c.staging);
    }
  }

  /**
   * Submits `encoder` inside its own validation and out-of-memory error scopes, pushed and popped
   * with no await between (the scopes are one stack for the device, which concurrent kernel calls
   * share). The promise rejects with `WRT_GPU_ERROR` when the work raised either error.
   */
  submitChecked(encoder: GPUCommandEncoder): Promise<void> {
    this.device.pushErrorScope('out-of-memory');
    this.device.pushErrorScope('validation');
    this.device.queue.submit([encoder.finish()]);
    const validation = this.device.popErrorScope();
    const oom = this.device.popErrorScope();
    return Promise.all([validation, oom]).then(([v, o]) => {
      if (v) throw new WrtError('WRT_GPU_ERROR', `validation error: ${v.message}`);
      if (o) throw new WrtError('WRT_GPU_ERROR', `out of GPU memory: ${o.message}`);
    });
  }

  /** Reads `byteLength` bytes of `buffer` back (into `into` when given). */
  async read(buffer: GPUBuffer, byteLength: number, into?: Uint8Array): Promise<Uint8Array> {
    const [out] = await this.submit(this.device.createCommandEncoder(), { buffer, byteLength, into });
    return out!;
  }

  /**
   * Starts recording kernel-only GPU time (gpu/timing.ts): every compute pass dispatched until
   * {@link stopTiming} writes timestamps. Returns false (and records nothing) when the device has
   * no `timestamp-query`. Run one kernel at a time while timing.
   */
  startTiming(): boolean {
    if (!this.has('timestamp-query')) return false;
    this.timer = new PassTimer(this.device);
    return true;
  }

  /** Stops timing; the GPU nanoseconds of the passes since {@link startTiming}, or null when none were recorded. */
  async stopTiming(): Promise<number | null> {
    const timer = this.timer;
    this.timer = null;
    if (!timer) return null;
    const ns = await timer.total();
    return timer.overflowed ? null : ns;
  }

  /** Releases pooled buffers and destroys the device. */
  destroy(): void {
    this.uploader.close();
    this.pool.clear();
    this.pipelines.clear();
    this.device.destroy();
  }
}

/** Splits `workgroups` into an (x, y) grid with x ≤ `maxPerDimension`. */
export function grid(workgroups: number, maxPerDimension: number): [number, number] {
  if (workgroups <= maxPerDimension) return [workgroups, 1];
  const y = Math.ceil(workgroups / maxPerDimension);
  if (y > maxPerDimension) throw new WrtError('WRT_INVALID_ARGUMENT', `${workgroups} workgroups exceed one dispatch`);
  return [Math.ceil(workgroups / y), y];
}

export function align4(n: number): number {
  return Math.ceil(n / 4) * 4;
}

function align16(n: number): number {
  return Math.ceil(n / 16) * 16;
}

/** Throws `WRT_INVALID_ARGUMENT` when an array is too large for one storage binding. */
export function checkBindingSize(ctx: GpuContext, byteLength: number, what: string): void {
  if (byteLength > ctx.adapter.maxStorageBufferBindingSize)
    throw new WrtError(
      'WRT_INVALID_ARGUMENT',
      `${what} is ${byteLength} bytes; this adapter binds at most ${ctx.adapter.maxStorageBufferBindingSize} bytes per buffer`,
    );
}

/** WGSL lines shared by 1-D kernels: the linear invocation index over a 2-D grid of workgroups. */
export const LINEAR_INDEX = /* wgsl */ `
fn linear_workgroup(wid: vec3u, nwg: vec3u) -> u32 { return wid.x + wid.y * nwg.x; }
`;
