/**
 * The slots of a node: one worker thread each, mapping the node's arena. Calls queue until a slot
 * is free. A call past its deadline terminates its thread (the only way to stop running wasm) and a
 * fresh slot takes its place.
 */
import type { Platform, SlotThread } from '../platform/platform.js';
import type { ArenaRange, SlotReply } from './slot-messages.js';
import { WrtError, fromFailure } from '../errors.js';

export interface OperatorCall {
  moduleKey: string;
  module: WebAssembly.Module;
  operator: string;
  partitions: number;
  inputs: ArenaRange[];
  outputCapBytes: number;
  maxMemoryBytes: number;
  deadlineMs: number;
}

interface Slot {
  thread: SlotThread;
  ready: Promise<void>;
  loaded: Set<string>;
  pending: ((reply: SlotReply) => void) | null;
}

export class SlotPool {
  private readonly slots: Slot[] = [];
  private readonly idle: Slot[] = [];
  private readonly waiting: ((slot: Slot) => void)[] = [];
  private nextCallId = 1;
  private closed = false;

  constructor(
    private readonly platform: Platform,
    private readonly arena: WebAssembly.Memory,
    readonly size: number,
  ) {
    for (let i = 0; i < size; i++) this.release(this.spawn());
  }

  /** Calls currently running. */
  get busy(): number {
    return this.slots.length - this.idle.length;
  }

  private spawn(): Slot {
    const thread = this.platform.spawnSlot();
    let readyResolve!: () => void;
    const slot: Slot = { thread, ready: new Promise((r) => (readyResolve = r)), loaded: new Set(), pending: null };
    thread.onMessage = (m) => {
      const reply = m as SlotReply;
      if (reply.type === 'ready') readyResolve();
      else slot.pending?.(reply);
    };
    thread.onError = (err) => {
      slot.pending?.({
        type: 'failed',
        callId: 0,
        failure: { code: 'WRT_OPERATOR_TRAP', message: `slot thread died: ${err.message}`, retryable: true },
      });
      this.replace(slot);
    };
    thread.postMessage({ type: 'init', arena: this.arena });
    this.slots.push(slot);
    return slot;
  }

  private replace(slot: Slot): void {
    const i = this.slots.indexOf(slot);
    if (i < 0) return;
    this.slots.splice(i, 1);
    void slot.thread.terminate();
    if (!this.closed) this.release(this.spawn());
  }

  private release(slot: Slot): void {
    const next = this.waiting.shift();
    if (next) next(slot);
    else this.idle.push(slot);
  }

  private acquire(): Promise<Slot> {
    const slot = this.idle.pop();
    if (slot) return Promise.resolve(slot);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /**
   * Runs one operator call in a free slot.
   * @throws WrtError with the failure's code (`WRT_OPERATOR_TRAP`, `WRT_MEMORY_CAP`,
   *   `WRT_OPERATOR_ERROR`, `WRT_OUTPUT_CAP`) or `WRT_DEADLINE` after `deadlineMs`.
   */
  async call(c: OperatorCall): Promise<Uint8Array> {
    const slot = await this.acquire();
    await slot.ready;
    if (this.closed) throw new WrtError('WRT_CONNECTION', 'node is shutting down');
    const callId = this.nextCallId++;
    const send = !slot.loaded.has(c.moduleKey);
    slot.loaded.add(c.moduleKey);
    return new Promise<Uint8Array>((resolve, reject) => {
      const timer = setTimeout(() => {
        slot.pending = null;
        reject(new WrtError('WRT_DEADLINE', `operator "${c.operator}" ran past its deadline of ${c.deadlineMs} ms; its slot was replaced`));
        this.replace(slot);
      }, c.deadlineMs);
      slot.pending = (reply) => {
        clearTimeout(timer);
        slot.pending = null;
        if (reply.type === 'done') {
          this.release(slot);
          resolve(reply.output);
        } else if (reply.type === 'failed') {
          if (reply.callId !== 0) {
            slot.loaded.delete(c.moduleKey);
            this.release(slot);
          }
          reject(fromFailure(reply.failure));
        }
      };
      slot.thread.postMessage({
        type: 'call',
        callId,
        moduleKey: c.moduleKey,
        module: send ? c.module : null,
        operator: c.operator,
        partitions: c.partitions,
        inputs: c.inputs,
        outputCapBytes: c.outputCapBytes,
        maxMemoryBytes: c.maxMemoryBytes,
      });
    });
  }

  /** Stops every slot thread. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.thread.terminate()));
  }
}
