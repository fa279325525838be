/**
 * Kernel-only GPU time from timestamp queries (WebGPU § 20.4, feature `timestamp-query`): every
 * compute pass recorded while a {@link PassTimer} is active writes a timestamp at its beginning
 * and at its end (`timestampWrites`); each submit's passes count from the first pass's beginning
 * to the last pass's end (the gaps between dependent passes are the kernel's too), and the spans
 * of all submits add up. Timestamps are nanoseconds; Dawn quantizes them (to 100 µs) unless the
 * device was created with `disable-dawn-features=timestamp_quantization`, which wrt's Node
 * platform does (runtime/platform/node/gpu.ts). Browsers keep their quantization.
 */

const QUERY_RESOLVE = 0x200;
const COPY_SRC = 0x4;
const COPY_DST = 0x8;
const MAP_READ = 0x1;
const MAP_MODE_READ = 0x1;

/** Timestamp queries a timer holds: Dawn's largest query set (4096), 2 per pass. */
const CAPACITY = 4096;

/** Records pass timestamps between `start` and `total` (see the module comment). One at a time per device. */
export class PassTimer {
  private readonly querySet: GPUQuerySet;
  private used = 0;
  private submitted = 0;
  private readonly spans: Promise<number>[] = [];
  /** True when more passes ran than the query set holds; `total()` then undercounts. */
  overflowed = false;

  constructor(private readonly device: GPUDevice) {
    this.querySet = device.createQuerySet({ type: 'timestamp', count: CAPACITY });
  }

  /** The `timestampWrites` of the next compute pass (undefined once the set is full). */
  passWrites(): GPUComputePassTimestampWrites | undefined {
    if (this.used + 2 > CAPACITY) {
      this.overflowed = true;
      return undefined;
    }
    const at = this.used;
    this.used += 2;
    return { querySet: this.querySet, beginningOfPassWriteIndex: at, endOfPassWriteIndex: at + 1 };
  }

  /**
   * Records, at the end of `encoder`, the resolution of the passes written since the last submit.
   * Returns what to call once `encoder` is submitted (null when it recorded no pass).
   */
  resolve(encoder: GPUCommandEncoder): (() => void) | null {
    const first = this.submitted;
    const count = this.used - first;
    if (count === 0) return null;
    this.submitted = this.used;
    const bytes = count * 8;
    const resolved = this.device.createBuffer({ size: bytes, usage: QUERY_RESOLVE | COPY_SRC });
    const readable = this.device.createBuffer({ size: bytes, usage: MAP_READ | COPY_DST });
    encoder.resolveQuerySet(this.querySet, first, count, resolved, 0);
    encoder.copyBufferToBuffer(resolved, 0, readable, 0, bytes);
    return () => {
      this.spans.push(
        readable.mapAsync(MAP_MODE_READ).then(() => {
          const stamps = new BigUint64Array(readable.getMappedRange().slice(0));
          readable.destroy();
          resolved.destroy();
          let begin = stamps[0]!;
          let end = stamps[1]!;
          for (let i = 0; i < stamps.length; i += 2) {
            if (stamps[i]! < begin) begin = stamps[i]!;
            if (stamps[i + 1]! > end) end = stamps[i + 1]!;
          }
          return end > begin ? Number(end - begin) : 0;
        }),
      );
    };
  }

  /** Nanoseconds of GPU time of every submit recorded so far; frees the query set. */
  async total(): Promise<number> {
    const spans = await Promise.all(this.spans);
    this.querySet.destroy();
    return spans.reduce((a, b) => a + b, 0);
  }
}
