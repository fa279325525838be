/**
 * Kernels over host arrays larger than one transfer chunk ({@link TRANSFER_CHUNK_BYTES}), run
 * chunk by chunk so the stages overlap: while the GPU copies in, computes and copies out chunk i,
 * the host fills the staging buffer of chunk i + 1 and copies chunk i − 1's result out of its
 * mapped read-back buffer. Each chunk is one submit: its staged input copied into place, the
 * kernel dispatched over the chunk's range of the device buffers (offsets are multiples of the
 * chunk size, so of the 256-byte binding alignment), and, for element-wise kernels, the chunk's
 * result copied into a read-back buffer that is mapped while later chunks run.
 */
import { Usage, WORKGROUP_SIZE, bytesOf, type GpuContext, type NumericArray } from '../context.js';
import { TRANSFER_CHUNK_BYTES } from '../transfer.js';

const MAP_MODE_READ = 0x1;

/** One chunk's read-back in flight. */
interface Pending {
  staging: GPUBuffer;
  mapped: Promise<void>;
  at: number;
  bytes: number;
}

/**
 * `p`, marked handled: it is awaited later (after other awaits), and a rejection before then must
 * not count as unhandled (Node ends the process on those).
 */
function handled<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  return p;
}

/** Elements of 4 bytes in one chunk. */
const CHUNK = TRANSFER_CHUNK_BYTES / 4;

/** One chunk of a streamed kernel: its first element, its element count, and its byte range. */
export interface Chunk {
  base: number;
  count: number;
  /** Byte offset of the chunk in the device buffers (a multiple of the chunk size). */
  at: number;
  bytes: number;
}

/**
 * Streams `input` through device buffers `src` and `dst` (4-byte elements, as long as `input`,
 * made here) into `out`, chunk by chunk: each chunk's staged bytes are copied into `src`, `record`
 * records the kernel for the chunk, and the chunk of `dst` goes to a read-back buffer, mapped while
 * later chunks run. Chunks run in order on the queue, so a kernel may carry state from chunk to
 * chunk (in buffers the caller puts on `held`, released with `src` and `dst` at the end).
 */
export async function streamThrough(
  ctx: GpuContext,
  input: NumericArray,
  out: Uint8Array,
  record: (encoder: GPUCommandEncoder, chunk: Chunk, buffers: { src: GPUBuffer; dst: GPUBuffer; held: GPUBuffer[] }) => void,
  held: GPUBuffer[] = [],
): Promise<void> {
  const n = input.length;
  const src = ctx.storage(n * 4);
  const dst = ctx.storage(n * 4);
  held.push(src, dst);
  try {
    await streamChunks(ctx, input, out, (encoder, chunk) => record(encoder, chunk, { src, dst, held }), src, dst, held);
  } finally {
    for (const b of held) ctx.pool.release(b);
  }
}

async function streamChunks(
  ctx: GpuContext,
  input: NumericArray,
  out: Uint8Array,
  record: (encoder: GPUCommandEncoder, chunk: Chunk) => void,
  src: GPUBuffer,
  dst: GPUBuffer,
  held: GPUBuffer[],
): Promise<void> {
  const n = input.length;
  const inBytes = bytesOf(input);
  let pending: Pending | null = null;
  const drain = async (p: Pending) => {
    await p.mapped;
    out.set(new Uint8Array(p.staging.getMappedRange(0, p.bytes)), p.at);
    p.staging.unmap();
  };
  ctx.traffic.uploads++;
  ctx.traffic.reads++;
  ctx.traffic.readBytes += n * 4;
  const checks: Promise<void>[] = [];
  for (let base = 0; base < n; base += CHUNK) {
    const count = Math.min(CHUNK, n - base);
    const chunk = { base, count, at: base * 4, bytes: count * 4 };
    const staged = ctx.stage(inBytes.subarray(chunk.at, chunk.at + chunk.bytes));
    const readBack = ctx.pool.acquire(chunk.bytes, Usage.MAP_READ | Usage.COPY_DST);
    held.push(readBack);
    const encoder = ctx.device.createCommandEncoder();
    encoder.copyBufferToBuffer(staged, 0, src, chunk.at, chunk.bytes);
    record(encoder, chunk);
    encoder.copyBufferToBuffer(dst, chunk.at, readBack, 0, chunk.bytes);
    checks.push(handled(ctx.submitChecked(encoder)));
    ctx.recycleStaging(staged);
    const next: Pending = { staging: readBack, mapped: handled(readBack.mapAsync(MAP_MODE_READ, 0, chunk.bytes)), at: chunk.at, bytes: chunk.bytes };
    // Copy the previous chunk out while this one is on the GPU.
    if (pending) await drain(pending);
    pending = next;
  }
  if (pending) await drain(pending);
  await Promise.all(checks);
  ctx.checkAlive();
}

/**
 * Runs the map `pipeline` (bindings: input, output, params `{ n, base }`) over `input` into `out`
 * (4-byte elements, as long), chunk by chunk, each chunk's range bound on its own.
 */
export async function streamMap(ctx: GpuContext, pipeline: GPUComputePipeline, input: NumericArray, out: Uint8Array): Promise<void> {
  await streamThrough(ctx, input, out, (encoder, c, { src, dst, held }) => {
    const params = ctx.uniform([c.count, c.base]);
    held.push(params);
    const range = (buffer: GPUBuffer) => ({ buffer, offset: c.at, size: c.bytes });
    ctx.dispatch(encoder, pipeline, [range(src), range(dst), params], Math.ceil(c.count / WORKGROUP_SIZE));
  });
}

/**
 * Runs the first pass of a reduction (`pipeline`: bindings input vectors, output partials, params
 * `{ n, identity, groups }`) over `input` chunk by chunk into `partials`: chunk c's `groups` values
 * at slots [c·stride, c·stride + groups); the slots of a chunk with fewer groups keep what the
 * caller put there (the identity). Temporary buffers go on `held`.
 */
export async function streamReducePartials(
  ctx: GpuContext,
  pipeline: GPUComputePipeline,
  input: NumericArray,
  identity: number,
  groupsOf: (count: number) => number,
  partials: GPUBuffer,
  stride: number,
  held: GPUBuffer[],
): Promise<void> {
  const checks: Promise<void>[] = [];
  const n = input.length;
  const src = ctx.storage(n * 4);
  held.push(src);
  const inBytes = bytesOf(input);
  ctx.traffic.uploads++;
  for (let base = 0, c = 0; base < n; base += CHUNK, c++) {
    const count = Math.min(CHUNK, n - base);
    const at = base * 4;
    const staged = ctx.stage(inBytes.subarray(at, at + count * 4));
    const groups = groupsOf(count);
    const params = ctx.uniform([count, identity, groups]);
    held.push(params);
    const encoder = ctx.device.createCommandEncoder();
    encoder.copyBufferToBuffer(staged, 0, src, at, count * 4);
    ctx.dispatch(
      encoder,
      pipeline,
      [
        // Whole 4-element vectors: the kernel masks the elements past `count`.
        { buffer: src, offset: at, size: Math.ceil((count * 4) / 16) * 16 },
        { buffer: partials, offset: c * stride * 4, size: groups * 4 },
        params,
      ],
      [groups, 1, 1],
    );
    checks.push(handled(ctx.submitChecked(encoder)));
    ctx.recycleStaging(staged);
  }
  await Promise.all(checks);
}
