/**
 * The body of a slot thread: keeps one wasm instance per module key and runs operator calls on
 * inputs it reads straight from the node's shared arena (one copy, into the instance's memory).
 * A trapped instance is dropped; a call past its deadline is stopped by the node agent, which
 * terminates this thread and starts another. Calls granted a GPU reach the agent's device through
 * the `wrt:runtime/gpu` import (gpu-bridge.ts).
 */
import type { SlotParent } from '../platform/platform.js';
import type { CallReply, CallRequest, SlotReply, SlotRequest } from './slot-messages.js';
import { PROGRESS_CALL, PROGRESS_STARTED, REPLY_FLUSH_MS } from './slot-pool.js';
import { callOperator, classifyFailure } from '../sandbox/operator-call.js';
import { WrtError } from '../errors.js';
import { gpuImports } from './gpu-bridge.js';
import { streamSlotHandler } from './stream-slot-thread.js';

/** Outputs up to this many bytes share one buffer per reply message. */
const SHARED_OUTPUT_BYTES = 4096;

/**
 * How long a task slot thread looks for its next batch after a batch of one call, in ms (see
 * `runSlot`). Long enough to cover a synchronous caller's round trip to the head and back (0.2 ms
 * caught in-process drivers only), short enough that an idle slot costs at most this much CPU
 * after its last batch.
 */
export const IDLE_POLL_MS = 1;

export function runSlot(parent: SlotParent): void {
  let arena: WebAssembly.Memory | null = null;
  let progressCall: Int32Array | null = null;
  let gpuBytesPerCall: number | undefined;
  let progressStarted: Float64Array | null = null;
  const modules = new Map<string, WebAssembly.Module>();
  const instances = new Map<string, WebAssembly.Instance>();
  const reply = (m: SlotReply, transfer?: Transferable[]): void => parent.postMessage(m, transfer);
  let stream: ReturnType<typeof streamSlotHandler> | null = null;

  /** Runs one call; a trapped instance is dropped (the next call of its module makes a new one). */
  const run = (msg: CallRequest): CallReply => {
    const started = performance.now();
    if (msg.module) modules.set(msg.moduleKey, msg.module);
    let instance = instances.get(msg.moduleKey);
    try {
      if (!instance) {
        const module = modules.get(msg.moduleKey);
        if (!module) throw new WrtError('WRT_MISSING_EXPORT', `slot has no module for ${msg.moduleKey}`);
        // The sandbox: no imports but `wrt:runtime/gpu` (an `err` unless the call was granted a
        // GPU). A module that imports anything else fails here.
        const made: { instance?: WebAssembly.Instance } = {};
        const imports = gpuImports(
          module,
          msg.gpu,
          () => made.instance,
          (m, transfer) => parent.postMessage(m, transfer),
          gpuBytesPerCall,
        );
        instance = made.instance = new WebAssembly.Instance(module, imports);
        instances.set(msg.moduleKey, instance);
      }
      const buffer = arena!.buffer;
      const inputs = msg.inputs.map((r) => new Uint8Array(buffer, r.offset, r.length));
      const output = callOperator(instance, msg.operator, msg.partitions, inputs, msg.outputCapBytes);
      return { type: 'done', callId: msg.callId, output, elapsedMs: performance.now() - started };
    } catch (err) {
      // An error result leaves the instance as it was; anything else (a trap) may have broken it.
      if (!(err instanceof WrtError && (err.code === 'WRT_OPERATOR_ERROR' || err.code === 'WRT_OUTPUT_CAP')))
        instances.delete(msg.moduleKey);
      return { type: 'failed', callId: msg.callId, failure: classifyFailure(err, msg.operator, instance, msg.maxMemoryBytes) };
    }
  };

  /**
   * Posts replies; small outputs share one transferred buffer (each a view of it), large ones
   * travel in their own: a transferred buffer costs both threads an allocation.
   */
  const post = (replies: CallReply[]): void => {
    let small = 0;
    for (const r of replies) if (r.type === 'done' && r.output.byteLength <= SHARED_OUTPUT_BYTES) small += r.output.byteLength;
    const shared = new Uint8Array(small);
    const transfer: ArrayBuffer[] = [shared.buffer];
    let at = 0;
    for (const r of replies) {
      if (r.type !== 'done') continue;
      if (r.output.byteLength <= SHARED_OUTPUT_BYTES) {
        shared.set(r.output, at);
        r.output = shared.subarray(at, at + r.output.byteLength);
        at += r.output.byteLength;
      } else transfer.push(r.output.buffer as ArrayBuffer);
    }
    reply({ type: 'replies', replies }, transfer);
  };

  const handle = (raw: unknown): void => {
    const msg = raw as SlotRequest;
    if (msg.type === 'init') {
      arena = msg.arena;
      if (msg.gpuBytesPerCall) gpuBytesPerCall = msg.gpuBytesPerCall;
      if (msg.progress) {
        progressCall = new Int32Array(msg.progress);
        progressStarted = new Float64Array(msg.progress);
      }
      reply({ type: 'ready' });
      return;
    }
    if (msg.type !== 'calls') {
      // This thread runs one slot of a stream job from now on.
      stream ??= streamSlotHandler(parent);
      stream(msg);
      return;
    }
    let replies: CallReply[] = [];
    let flushed = performance.now();
    for (const call of msg.calls) {
      if (progressCall) {
        progressStarted![PROGRESS_STARTED] = performance.timeOrigin + performance.now();
        Atomics.store(progressCall, PROGRESS_CALL, call.callId);
      }
      replies.push(run(call));
      if (performance.now() - flushed >= REPLY_FLUSH_MS) {
        post(replies);
        replies = [];
        flushed = performance.now();
      }
    }
    if (progressCall) Atomics.store(progressCall, PROGRESS_CALL, 0);
    if (replies.length > 0) post(replies);
  };

  parent.onMessage((raw) => {
    handle(raw);
    // After a batch of one call — a synchronous caller's pattern — look for the next one for a
    // moment before going back to the event loop: waking a sleeping thread costs tens to hundreds
    // of microseconds (about 70 µs of a 100 µs round trip on the 2-core CI machine), and such a
    // caller's next call often comes sooner than IDLE_POLL_MS. Not after larger batches: their
    // callers keep the slot fed anyway, and on a 2-core machine the polling took the CPU the node
    // and head needed (asynchronous tasks across processes: ~11.5K/s polling, ~16.5K/s not).
    while (
      parent.poll &&
      !stream &&
      (raw as SlotRequest).type === 'calls' &&
      (raw as Extract<SlotRequest, { type: 'calls' }>).calls.length === 1
    ) {
      const until = performance.now() + IDLE_POLL_MS;
      let next: unknown;
      while ((next = parent.poll()) === undefined && performance.now() < until);
      if (next === undefined) return;
      handle(next);
      raw = next;
    }
  });
}
