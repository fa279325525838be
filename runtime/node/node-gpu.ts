/**
 * A node's WebGPU device over its life: opened at start, watched for loss, re-acquired after one.
 * When the device is lost (a driver reset, a GPU fault, `device.destroy()`), the kernels running
 * on it fail with `WRT_GPU_ERROR` (gpu-tasks.ts), the node stays up, and a new device is requested
 * from the same adapter lookup; GPU work that arrives meanwhile waits for it ({@link NodeGpu.device}),
 * so the node keeps offering its GPU. After {@link REACQUIRE_ATTEMPTS} failed requests the node
 * has no GPU, and GPU work fails with `WRT_GPU_UNAVAILABLE` saying why.
 */
import { GpuContext, describeAdapter } from '../../gpu/context.js';
import type { Platform } from '../platform/platform.js';

/** Requests for a new device after a loss, 1 s apart. */
export const REACQUIRE_ATTEMPTS = 5;
const REACQUIRE_DELAY_MS = 1000;

/** What {@link NodeGpu.device} resolves to: the device, or null and why there is none. */
export interface GpuDevice {
  gpu: GpuContext | null;
  why: string;
}

export class NodeGpu {
  /** The device now (null while there is none or while one is re-acquired). */
  current: GpuContext | null = null;
  /** The adapter's one-line description, or why there is no GPU. */
  adapter = '';
  /** Devices lost so far. */
  losses = 0;
  private recovering: Promise<void> | null = null;
  private closed = false;
  private readonly lostListeners: ((reason: string) => void)[] = [];

  constructor(
    private readonly platform: Platform,
    /** Told of losses and recoveries (the node's log). */
    private readonly log: (line: string) => void,
  ) {}

  /** Looks for an adapter and opens a device (`enabled` false: none, "disabled (--no-gpu)"). */
  async open(enabled: boolean): Promise<void> {
    if (!enabled) {
      this.adapter = 'disabled (--no-gpu)';
      return;
    }
    const found = await this.platform.gpu();
    if (!found.gpu) {
      this.adapter = found.reason;
      return;
    }
    try {
      this.watch(await GpuContext.create(found.gpu));
    } catch (err) {
      this.adapter = (err as Error).message;
    }
  }

  /** Calls `listener` with the reason each time a device is lost (before a new one is requested). */
  onLost(listener: (reason: string) => void): void {
    this.lostListeners.push(listener);
  }

  /** The device for the next kernel: waits while a lost one is being re-acquired. */
  async device(): Promise<GpuDevice> {
    if (this.recovering) await this.recovering;
    return { gpu: this.current, why: this.adapter };
  }

  private watch(ctx: GpuContext): void {
    this.current = ctx;
    this.adapter = describeAdapter(ctx.adapter);
    void ctx.whenLost.then((reason) => {
      if (this.closed || this.current !== ctx) return;
      this.losses++;
      this.current = null;
      this.adapter = `lost (${reason}); re-acquiring`;
      this.log(`wrt node: the GPU device was lost (${reason}); requesting a new one`);
      for (const l of this.lostListeners) l(reason);
      this.recovering = this.reacquire().finally(() => (this.recovering = null));
    });
  }

  private async reacquire(): Promise<void> {
    let last = '';
    for (let attempt = 1; attempt <= REACQUIRE_ATTEMPTS && !this.closed; attempt++) {
      const found = await this.platform.gpu();
      if (found.gpu) {
        try {
          this.watch(await GpuContext.create(found.gpu));
          this.log(`wrt node: GPU device re-acquired: ${this.adapter}`);
          return;
        } catch (err) {
          last = (err as Error).message;
        }
      } else last = found.reason;
      await new Promise((resolve) => setTimeout(resolve, REACQUIRE_DELAY_MS));
    }
    this.adapter = `lost, and no new device after ${REACQUIRE_ATTEMPTS} requests: ${last}`;
    this.log(`wrt node: ${this.adapter}`);
  }

  /** Destroys the device; no re-acquiring after this. */
  close(): void {
    this.closed = true;
    const ctx = this.current;
    this.current = null;
    ctx?.destroy();
  }
}
