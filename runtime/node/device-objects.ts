/**
 * Objects that stay on the node's GPU. A GPU task's array result (map, scan, sort, matmul) larger
 * than the inline limit is kept in device memory as the task's return object instead of being read
 * back into the arena: the next GPU task on this node takes it as it is (no read-back, no upload),
 * and only when a CPU task, another node or the driver asks for it is it read back into the
 * arena — once — and becomes an ordinary object (LocalObjectManager). So `sort(map(x))` on one
 * node uploads `x` once and reads the sorted result back once.
 *
 * An object is one or more device arrays (a sort with values: keys, then values) of `bytes` in
 * all. It lives until the head releases it (the owner's reference) and no GPU task still borrows
 * it. At most `maxBytes` are kept; results beyond that go to the arena as before. A lost device
 * loses its objects: asking for one then fails with `WRT_OBJECT_LOST` (retryable).
 */
import type { GpuArray } from '../../gpu/array.js';

interface DeviceObject {
  segments: GpuArray[];
  bytes: number;
  /** GPU tasks using it now. */
  borrows: number;
  /** False once the head released it (or it moved to the arena): freed when borrows reach 0. */
  live: boolean;
}

export class DeviceObjects {
  private readonly objects = new Map<string, DeviceObject>();
  /** Objects lost with a device, and why, until the head releases them. */
  private readonly lost = new Map<string, string>();
  /** Bytes of device memory held by objects now. */
  heldBytes = 0;
  /** Objects kept on the device, and read back into the arena, since the node started. */
  readonly counts = { kept: 0, readBack: 0 };

  constructor(
    /** Most bytes kept at once. */
    readonly maxBytes: number,
  ) {}

  /** Whether `bytes` more fit under the limit. */
  fits(bytes: number): boolean {
    return this.heldBytes + bytes <= this.maxBytes;
  }

  /** Keeps `segments` as object `id` (the owner's reference). */
  keep(id: string, segments: GpuArray[], bytes: number): void {
    this.objects.set(id, { segments, bytes, borrows: 0, live: true });
    this.heldBytes += bytes;
    this.counts.kept++;
  }

  /** Whether object `id` is on the device. */
  has(id: string): boolean {
    return this.objects.get(id)?.live ?? false;
  }

  /**
   * The object as one device array for a GPU task (borrowed until {@link giveBack}), or null when
   * it is not here, is in several segments, or belongs to another (lost) device context.
   */
  borrow(id: string, ctx: unknown): GpuArray | null {
    const o = this.objects.get(id);
    if (!o?.live || o.segments.length !== 1 || o.segments[0]!.ctx !== ctx) return null;
    o.borrows++;
    return o.segments[0]!;
  }

  /** Ends one {@link borrow}. */
  giveBack(id: string): void {
    const o = this.objects.get(id);
    if (!o) return;
    o.borrows--;
    this.freeIfDone(id, o);
  }

  /** The object's arrays and size, for reading it back (borrowed until {@link moved} or {@link giveBack}). */
  readBack(id: string): { segments: GpuArray[]; bytes: number } | null {
    const o = this.objects.get(id);
    if (!o?.live) return null;
    o.borrows++;
    return { segments: o.segments, bytes: o.bytes };
  }

  /**
   * The object now lives in the arena: the device copy goes once no task borrows it. Returns false
   * when the head released it while it was read back (the arena copy is then not wanted either).
   */
  moved(id: string): boolean {
    const o = this.objects.get(id);
    if (!o) return false;
    const wanted = o.live;
    o.live = false;
    o.borrows--;
    this.counts.readBack++;
    this.freeIfDone(id, o);
    return wanted;
  }

  /** Why object `id` is gone, when it was lost with a device (null otherwise). */
  lostReason(id: string): string | null {
    return this.lost.get(id) ?? null;
  }

  /** The head released object `id`; false when it is not here. */
  release(id: string): boolean {
    if (this.lost.delete(id)) return true;
    const o = this.objects.get(id);
    if (!o?.live) return false;
    o.live = false;
    this.freeIfDone(id, o);
    return true;
  }

  private freeIfDone(id: string, o: DeviceObject): void {
    if (o.live || o.borrows > 0) return;
    this.objects.delete(id);
    this.heldBytes -= o.bytes;
    for (const s of o.segments) s.release();
  }

  /** Frees everything: the node stops, or (with `lostReason`) its device was lost and the objects with it. */
  clear(lostReason?: string): void {
    for (const [id, o] of this.objects) {
      for (const s of o.segments) s.release();
      if (lostReason && o.live) this.lost.set(id, lostReason);
    }
    this.objects.clear();
    this.heldBytes = 0;
  }
}
