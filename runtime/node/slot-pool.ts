/**
 * Slots: worker threads that run wasm calls. A {@link SlotWorker} owns one thread and runs its
 * calls one after another, in the order given; a call past its deadline, or a cancelled one,
 * terminates the thread (the only way to stop running wasm) and a fresh thread takes its place —
 * with its wasm instances gone, which is why actors, whose state is their instance, are told
 * through `onReset`. A {@link SlotPool} hands calls to whichever of its workers is free.
 *
 * Calls travel in batches: while a worker's thread runs one batch, later calls gather, and the
 * next batch is one structured-clone message; the thread answers with one message per batch (or
 * every {@link REPLY_FLUSH_MS} while a batch runs long). Small calls (a no-op task costs
 * microseconds) would otherwise spend most of their time in `postMessage`. The thread writes the
 * call it is running and when it started into a shared progress word, which the worker's
 * watchdog reads to enforce deadlines and to know which call a cancel or a crash hit.
 */
import type { Platform, SlotThread } from '../platform/platform.js';
import type { ArenaRange, CallReply, CallRequest, SlotReply } from './slot-messages.js';
import { WrtError, fromFailure } from '../errors.js';
import { failGpuRequest, type GpuRequestHandler } from './gpu-bridge.js';

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

/** Most calls in one batch message. */
export const MAX_BATCH_CALLS = 256;
/**
 * Batches a thread may hold at once: while it runs one, the next waits in its port, so it never
 * idles for a round trip between them.
 */
export const MAX_BATCHES_IN_FLIGHT = 2;
/** A thread running a batch posts the replies it has after this many milliseconds. */
export const REPLY_FLUSH_MS = 2;

interface QueuedCall {
  callId: number;
  call: OperatorCall;
  resolve: (output: Uint8Array) => void;
  reject: (err: WrtError) => void;
}

/** The progress word's layout (a SharedArrayBuffer of {@link PROGRESS_BYTES}). */
export const PROGRESS_BYTES = 16;
/** Int32 index: the id of the call the thread is running (0: none). */
export const PROGRESS_CALL = 0;
/** Float64 index: when it started, ms since the epoch (`performance.timeOrigin + performance.now()`). */
export const PROGRESS_STARTED = 1;

export class SlotWorker {
  private thread!: SlotThread;
  private ready = false;
  /** Module keys whose module the current thread has been sent. */
  private loaded = new Set<string>();
  /** Calls not yet sent, in order. */
  private queue: QueuedCall[] = [];
  /** The calls the thread has (its batches, in order); replies settle them from the front. */
  private inFlight: QueuedCall[] = [];
  /** The last call id of each batch the thread has. */
  private batchEnds: number[] = [];
  private progressCall!: Int32Array;
  private progressStarted!: Float64Array;
  private watchdog: ReturnType<typeof setTimeout> | null = null;
  private pumpScheduled = false;
  private nextCallId = 1;
  private closed: WrtError | null = null;
  /** Called after the thread was replaced (its wasm instances are gone). */
  onReset: ((reason: WrtError) => void) | null = null;
  /** Called when the worker can take more calls (see {@link hasRoom}). */
  onRoom: (() => void) | null = null;
  /** Called each time a (re)spawned thread has booted and can take calls. */
  onReady: (() => void) | null = null;
  /** Mean milliseconds of recent calls (for batch sizing). */
  meanCallMs = 0;

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

  /**
   * Nothing waits to be sent, and the thread has no batch — or one of calls fast enough (recent
   * mean under 1 ms) that a second batch behind it will not keep another slot waiting long.
   */
  get hasRoom(): boolean {
    if (this.closed || this.queue.length > 0) return false;
    return this.batchEnds.length === 0 || (this.batchEnds.length < MAX_BATCHES_IN_FLIGHT && this.meanCallMs < 1);
  }

  private spawn(): void {
    const thread = this.platform.spawnSlot();
    this.thread = thread;
    this.loaded = new Set();
    this.ready = false;
    const progress = new SharedArrayBuffer(PROGRESS_BYTES);
    this.progressCall = new Int32Array(progress);
    this.progressStarted = new Float64Array(progress);
    thread.onMessage = (m) => {
      if (thread !== this.thread) return;
      const reply = m as SlotReply;
      if (reply.type === 'ready') {
        this.ready = true;
        this.onReady?.();
        this.pump();
      } else if (reply.type === 'gpu') {
        if (this.gpu) void this.gpu(reply);
        else failGpuRequest(reply.reply, 'WRT_GPU_UNAVAILABLE: this node has no GPU');
      } else if (reply.type === 'replies') this.settle(reply.replies);
    };
    thread.onError = (err) => {
      if (thread === this.thread) this.reset(new WrtError('WRT_SLOT_DIED', `slot thread died: ${err.message}`, { retryable: true }));
    };
    thread.postMessage({ type: 'init', arena: this.arena, progress, gpuBytesPerCall: this.gpu?.maxBytesPerCall });
  }

  private settle(replies: CallReply[]): void {
    for (const r of replies) {
      const q = this.inFlight[0];
      if (!q || q.callId !== r.callId) continue; // not this thread's batch (sent before a reset)
      this.inFlight.shift();
      if (q.callId === this.batchEnds[0]) this.batchEnds.shift();
      if (r.type === 'done') {
        this.meanCallMs = this.meanCallMs === 0 ? r.elapsedMs : this.meanCallMs * 0.8 + r.elapsedMs * 0.2;
        q.resolve(r.output);
      } else q.reject(fromFailure(r.failure));
    }
    this.disarm();
    this.pump();
    if (this.inFlight.length > 0) this.arm();
    if (this.hasRoom) this.onRoom?.();
  }

  /**
   * Stops the running call with `reason`, terminates the thread and starts a new one. The other
   * calls of the batch go back to the front of the queue, to run on the fresh thread (calls of the
   * batch that had finished run again: their replies were lost with the thread).
   * @param culprit the call `reason` is for; without one, the call the thread was running
   */
  private reset(reason: WrtError, culprit?: QueuedCall): void {
    const running = this.running();
    const hit = culprit ?? running ?? this.inFlight[0];
    const requeue = this.inFlight.filter((q) => q !== hit);
    this.inFlight = [];
    this.batchEnds = [];
    this.disarm();
    void this.thread.terminate();
    this.queue.unshift(...requeue);
    if (!this.closed) this.spawn();
    hit?.reject(reason);
    this.onReset?.(reason);
    if (this.hasRoom) this.onRoom?.();
  }

  /** The in-flight call the thread is running now, per its progress word. */
  private running(): QueuedCall | undefined {
    const id = Atomics.load(this.progressCall, PROGRESS_CALL);
    return id === 0 ? undefined : this.inFlight.find((q) => q.callId === id);
  }

  /**
   * Arms the watchdog for the earliest moment a call of the batch may pass its deadline: the
   * running call's start plus its deadline, or now plus the deadline of a call not started yet.
   */
  private arm(): void {
    if (this.watchdog) return;
    const now = performance.timeOrigin + performance.now();
    const r = this.running();
    let due = Infinity;
    for (const q of this.inFlight) {
      if (q === r) due = Math.min(due, this.progressStarted[PROGRESS_STARTED]! + q.call.deadlineMs - now);
      else due = Math.min(due, q.call.deadlineMs);
    }
    if (!Number.isFinite(due)) return;
    this.watchdog = setTimeout(
      () => {
        this.watchdog = null;
        const late = this.running();
        if (late && performance.timeOrigin + performance.now() >= this.progressStarted[PROGRESS_STARTED]! + late.call.deadlineMs) {
          this.reset(
            new WrtError(
              'WRT_DEADLINE',
              `operator "${late.call.operator}" ran past its deadline of ${late.call.deadlineMs} ms; its slot was replaced`,
            ),
            late,
          );
        } else if (this.inFlight.length > 0) this.arm();
      },
      Math.max(1, Math.ceil(due)),
    );
  }

  private disarm(): void {
    if (this.watchdog) clearTimeout(this.watchdog);
    this.watchdog = null;
  }

  /** Sends queued calls, a batch at a time, while the thread has room for one. */
  private pump(): void {
    while (this.ready && !this.closed && this.queue.length > 0 && this.batchEnds.length < MAX_BATCHES_IN_FLIGHT) this.send();
  }

  private send(): void {
    const batch = this.queue.splice(0, MAX_BATCH_CALLS);
    this.inFlight.push(...batch);
    this.batchEnds.push(batch[batch.length - 1]!.callId);
    const calls = batch.map((q): CallRequest => {
      const c = q.call;
      const send = !this.loaded.has(c.moduleKey);
      this.loaded.add(c.moduleKey);
      return {
        callId: q.callId,
        moduleKey: c.moduleKey,
        module: send ? c.module : null,
        operator: c.operator,
        partitions: c.partitions,
        inputs: c.inputs,
        outputCapBytes: c.outputCapBytes,
        maxMemoryBytes: c.maxMemoryBytes,
        gpu: c.gpu === true,
      };
    });
    this.thread.postMessage({ type: 'calls', calls });
    this.disarm();
    this.arm();
  }

  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    queueMicrotask(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  /**
   * Queues one call behind the worker's earlier ones; calls queued in one turn leave together.
   * @throws WrtError with the failure's code (`WRT_OPERATOR_TRAP`, `WRT_MEMORY_CAP`,
   *   `WRT_OPERATOR_ERROR`, `WRT_OUTPUT_CAP`), `WRT_DEADLINE` after `deadlineMs` of running, or
   *   the reason given to `control.cancel`.
   */
  run(c: OperatorCall, control?: (ctl: CallControl) => void): Promise<Uint8Array> {
    if (this.closed) return Promise.reject(this.closed);
    return new Promise<Uint8Array>((resolve, reject) => {
      const q: QueuedCall = { callId: this.nextCallId++, call: c, resolve, reject };
      this.queue.push(q);
      this.schedulePump();
      control?.({ cancel: (reason) => this.cancel(q, reason) });
    });
  }

  /** A queued call is dropped; a sent one is stopped by replacing the thread (so it never runs on). */
  private cancel(q: QueuedCall, reason: WrtError): void {
    const at = this.queue.indexOf(q);
    if (at >= 0) {
      this.queue.splice(at, 1);
      q.reject(reason);
      if (this.hasRoom) this.onRoom?.();
    } else if (this.inFlight.includes(q)) this.reset(reason, q);
  }

  /** Stops the thread; every queued or running call fails with `reason`. */
  async close(reason = new WrtError('WRT_CONNECTION', 'node is shutting down')): Promise<void> {
    if (this.closed) return;
    this.closed = reason;
    this.disarm();
    this.batchEnds = [];
    for (const q of [...this.inFlight.splice(0), ...this.queue.splice(0)]) q.reject(reason);
    await this.thread.terminate();
  }
}

export class SlotPool {
  private readonly workers: SlotWorker[] = [];
  /** Calls waiting for a worker, in order. */
  private readonly waiting: {
    call: OperatorCall;
    /** Takes the worker's control of the call once it is handed over. */
    handed: (ctl: CallControl) => void;
    resolve: (o: Uint8Array) => void;
    reject: (e: unknown) => void;
  }[] = [];

  constructor(
    platform: Platform,
    arena: WebAssembly.Memory,
    readonly size: number,
    gpu: GpuRequestHandler | null = null,
  ) {
    for (let i = 0; i < size; i++) {
      const w = new SlotWorker(platform, arena, gpu);
      w.onRoom = () => this.feed(w);
      this.workers.push(w);
    }
  }

  /**
   * Gives an idle worker its share of the waiting calls: as many as run in about
   * {@link REPLY_FLUSH_MS} at the worker's recent pace, at most an even split of the queue.
   */
  private feed(w: SlotWorker, share = Math.ceil(this.waiting.length / this.workers.length)): void {
    if (!w.hasRoom || this.waiting.length === 0) return;
    // A worker that has not run a call yet gets one: its pace is unknown.
    const pace = w.meanCallMs > 0 ? Math.floor(REPLY_FLUSH_MS / w.meanCallMs) : 1;
    const n = Math.max(1, Math.min(share, pace, MAX_BATCH_CALLS));
    for (const c of this.waiting.splice(0, n)) w.run(c.call, c.handed).then(c.resolve, c.reject);
  }

  /**
   * Runs one call in the next free slot (see {@link SlotWorker.run}). `control` gets the call's
   * control at once: cancelling a call that still waits for a slot drops it; one handed to a slot
   * is stopped there.
   */
  call(c: OperatorCall, control?: (ctl: CallControl) => void): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      let onWorker: CallControl | null = null;
      const entry = { call: c, handed: (ctl: CallControl) => (onWorker = ctl), resolve, reject };
      this.waiting.push(entry);
      control?.({
        cancel: (reason) => {
          if (onWorker) return onWorker.cancel(reason);
          const at = this.waiting.indexOf(entry);
          if (at < 0) return;
          this.waiting.splice(at, 1);
          reject(reason);
        },
      });
      this.scheduleFeed();
    });
  }

  private feedScheduled = false;

  /** Feeds the idle workers once this turn's calls have all arrived (so a burst is split evenly). */
  private scheduleFeed(): void {
    if (this.feedScheduled) return;
    this.feedScheduled = true;
    queueMicrotask(() => {
      this.feedScheduled = false;
      const idle = this.workers.filter((w) => w.hasRoom);
      const share = Math.ceil(this.waiting.length / Math.max(1, idle.length));
      for (const w of idle) this.feed(w, share);
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.close()));
    for (const c of this.waiting.splice(0)) c.reject(new WrtError('WRT_CONNECTION', 'node is shutting down'));
  }
}
