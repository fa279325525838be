/**
 * Slots: worker threads that run wasm calls. A {@link SlotWorker} owns one thread and runs one call
 * at a time; a call past its deadline, or a cancelled one, terminates the thread (the only way to
 * stop running wasm) and a fresh thread takes its place — with its wasm instances gone, which is
 * why actors, whose state is their instance, are told through `onReset`. A {@link SlotPool} hands
 * calls to whichever of its workers is free.
 */
import type { Platform, SlotThread } from '../platform/platform.js';
import type { ArenaRange, SlotReply } from './slot-messages.js';
import { WrtError, fromFailure } from '../errors.js';
import { failGpuRequest, type GpuRequest, type GpuRequestHandler } from './gpu-bridge.js';

export interface OperatorCall {
  moduleKey: string;
  module: WebAssembly.Module;
  operator: string;
  partitions: number;
  inputs: ArenaRange[];
  outputCapBytes: number;
  maxMemoryBytes: number;
  deadlineMs: number;
  /** Granted a GPU (the task or vertex asked for `gpus`); see gpu-bridge.ts. @default false */
  gpu?: boolean;
}

/** Handle on a running call, to stop it early. */
export interface CallControl {
  cancel(reason: WrtError): void;
}

export class SlotWorker {
  private thread!: SlotThread;
  private ready!: Promise<void>;
  private loaded = new Set<string>();
  private pending: ((reply: Exclude<SlotReply, GpuRequest>) => void) | null = null;
  private abort: ((err: WrtError) => void) | null = null;
  private nextCallId = 1;
  private closed = false;
  /** Called after the thread was replaced (its wasm instances are gone). */
  onReset: ((reason: WrtError) => void) | null = null;

  /**
   * @param gpu runs the thread's `wrt:runtime/gpu` requests; without it they fail with
   *   `WRT_GPU_UNAVAILABLE`.
   */
  constructor(
    private readonly platform: Platform,
    private readonly arena: WebAssembly.Memory,
    private readonly gpu: GpuRequestHandler | null = null,
  ) {
    this.spawn();
  }

  private spawn(): void {
    const thread = this.platform.spawnSlot();
    this.thread = thread;
    this.loaded = new Set();
    let readyResolve!: () => void;
    this.ready = new Promise((r) => (readyResolve = r));
    thread.onMessage = (m) => {
      const reply = m as SlotReply;
      if (reply.type === 'ready') readyResolve();
      else if (reply.type === 'gpu') {
        if (this.gpu) void this.gpu(reply);
        else failGpuRequest(reply.reply, 'WRT_GPU_UNAVAILABLE: this node has no GPU');
      } else this.pending?.(reply);
    };
    thread.onError = (err) => this.reset(new WrtError('WRT_SLOT_DIED', `slot thread died: ${err.message}`, { retryable: true }));
    thread.postMessage({ type: 'init', arena: this.arena });
  }

  /** Stops the current call with `reason`, terminates the thread and starts a new one. */
  private reset(reason: WrtError): void {
    const abort = this.abort;
    this.pending = null;
    this.abort = null;
    void this.thread.terminate();
    if (!this.closed) this.spawn();
    abort?.(reason);
    this.onReset?.(reason);
  }

  /**
   * Runs one call; the caller must not start another before this one settles.
   * @throws WrtError with the failure's code (`WRT_OPERATOR_TRAP`, `WRT_MEMORY_CAP`,
   *   `WRT_OPERATOR_ERROR`, `WRT_OUTPUT_CAP`), `WRT_DEADLINE` after `deadlineMs`, or the reason
   *   given to `control.cancel`.
   */
  async run(c: OperatorCall, control?: (ctl: CallControl) => void): Promise<Uint8Array> {
    await this.ready;
    if (this.closed) throw new WrtError('WRT_CONNECTION', 'node is shutting down');
    const callId = this.nextCallId++;
    const send = !this.loaded.has(c.moduleKey);
    this.loaded.add(c.moduleKey);
    return new Promise<Uint8Array>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          this.reset(
            new WrtError('WRT_DEADLINE', `operator "${c.operator}" ran past its deadline of ${c.deadlineMs} ms; its slot was replaced`),
          ),
        c.deadlineMs,
      );
      const abort = (err: WrtError): void => {
        clearTimeout(timer);
        reject(err);
      };
      this.abort = abort;
      // Cancelling resets the thread only while this call is the one running.
      control?.({ cancel: (reason) => (this.abort === abort ? this.reset(reason) : undefined) });
      // Cancelled from inside `control`: the thread was replaced, so the call must not be sent
      // (the fresh thread would run it and its reply would settle the next call).
      if (this.abort !== abort) return;
      this.pending = (reply) => {
        // A reply to another call (one sent before a reset) is not this call's result.
        if (reply.type !== 'ready' && reply.callId !== callId) return;
        clearTimeout(timer);
        this.pending = null;
        this.abort = null;
        if (reply.type === 'done') resolve(reply.output);
        else if (reply.type === 'failed') {
          this.loaded.delete(c.moduleKey);
          reject(fromFailure(reply.failure));
        }
      };
      this.thread.postMessage({
        type: 'call',
        callId,
        moduleKey: c.moduleKey,
        module: send ? c.module : null,
        operator: c.operator,
        partitions: c.partitions,
        inputs: c.inputs,
        outputCapBytes: c.outputCapBytes,
        maxMemoryBytes: c.maxMemoryBytes,
        gpu: c.gpu === true,
      });
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.abort?.(new WrtError('WRT_CONNECTION', 'node is shutting down'));
    await this.thread.terminate();
  }
}

export class SlotPool {
  private readonly workers: SlotWorker[] = [];
  private readonly idle: SlotWorker[] = [];
  private readonly waiting: ((w: SlotWorker) => void)[] = [];

  constructor(
    platform: Platform,
    arena: WebAssembly.Memory,
    readonly size: number,
    gpu: GpuRequestHandler | null = null,
  ) {
    for (let i = 0; i < size; i++) {
      const w = new SlotWorker(platform, arena, gpu);
      this.workers.push(w);
      this.idle.push(w);
    }
  }

  private release(w: SlotWorker): void {
    const next = this.waiting.shift();
    if (next) next(w);
    else this.idle.push(w);
  }

  /** Runs one call in the next free slot (see {@link SlotWorker.run}). */
  async call(c: OperatorCall, control?: (ctl: CallControl) => void): Promise<Uint8Array> {
    const w = this.idle.pop() ?? (await new Promise<SlotWorker>((resolve) => this.waiting.push(resolve)));
    try {
      return await w.run(c, control);
    } finally {
      this.release(w);
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.close()));
  }
}
