/**
 * The wasm Process operator: keyed, with keyed state and event- and processing-time timers reached
 * through the `wrt:runtime/keyed-state` imports; timers fire on ports {@link TIMER_PORT} and
 * {@link PROCESSING_TIMER_PORT} as batches of (key, time) rows.
 */
import type { ColumnType, JobGraphVertex, StateSpec } from '../../protocol/messages.js';
import { RowBatch, RowBatchBuilder } from '../row-batch.js';
import { TimerQueue } from '../timer-queue.js';
import { KeyedStateBackend, type StateKey } from '../keyed-state.js';
import type { KeyGroupRange } from '../key-groups.js';
import { keyedStateImports, KEYED_STATE_MODULE, type KeyedStateContext } from '../keyed-state-imports.js';
import { callOperator } from '../../sandbox/operator-call.js';
import { type Output, type StreamOperator, checkOutput, keyOfRow, keyValues } from './operator.js';

/** Identifies a (key, time) timer among those deleted before they fired. */
const timerId = (key: StateKey, time: number): string => `${time}\u0000${String(key)}`;

/** Port of the event-time timer batches a Process operator gets. */
export const TIMER_PORT = 2;
/** Port of the processing-time timer batches a Process operator gets. */
export const PROCESSING_TIMER_PORT = 3;

interface ProcessSnapshot {
  backend: string;
  timers: [number, StateKey][];
  deleted: string[];
  watermark: number;
  /** Processing-time timers (absent in snapshots taken before they existed). */
  processing?: { timers: [number, StateKey][]; deleted: string[] };
}

/** One timer domain of a Process operator: timers per (key, time), deletions remembered until due. */
class KeyedTimers {
  private readonly queue = new TimerQueue<StateKey, null>((k) => String(k));
  private readonly deleted = new Set<string>();

  register(key: StateKey, time: number): void {
    this.deleted.delete(timerId(key, time));
    this.queue.add(time, key, null);
  }

  remove(key: StateKey, time: number): void {
    this.deleted.add(timerId(key, time));
  }

  /** The earliest pending time (deleted timers included: they are skipped when due). */
  get next(): number | null {
    return this.queue.peekTime();
  }

  /** Takes the timers due at `upTo`, in time order, leaving out deleted ones. */
  due(upTo: number): { key: StateKey; time: number }[] {
    const fired: { key: StateKey; time: number }[] = [];
    for (let timer = this.queue.pollUpTo(upTo); timer; timer = this.queue.pollUpTo(upTo)) {
      if (this.deleted.delete(timerId(timer.key, timer.time))) continue;
      fired.push({ key: timer.key, time: timer.time });
    }
    return fired;
  }

  snapshot(): { timers: [number, StateKey][]; deleted: string[] } {
    return { timers: this.queue.entries().map(([t, k]) => [t, k]), deleted: [...this.deleted] };
  }

  restore(s: { timers: [number, StateKey][]; deleted: string[] }): void {
    for (const [t, k] of s.timers) this.queue.add(t, k, null);
    for (const d of s.deleted) this.deleted.add(d);
  }
}

/**
 * A wasm keyed process function (Flink's KeyedProcessFunction): batches go to the export with
 * their port; event-time timers that the watermark passes go as a batch (the key columns, row time
 * = timer time) on port 2, processing-time timers whose time the clock (Date.now(), ms) has
 * reached likewise on port 3. Both kinds are in checkpoints; processing-time timers still pending
 * when the input ends are dropped (the job is over; nothing would wait for them).
 */
export class WasmProcessOperator implements StreamOperator {
  readonly ctx: KeyedStateContext;
  private readonly timers = new KeyedTimers();
  private readonly processingTimers = new KeyedTimers();
  private instance!: WebAssembly.Instance;

  /**
   * @param keys key columns of each input port (from the edges' `key`).
   * @param keyTypes types of the key columns (the timer batch's columns).
   */
  constructor(
    private readonly v: JobGraphVertex,
    private readonly keys: number[][],
    private readonly keyTypes: ColumnType[],
    range: KeyGroupRange,
    maxParallelism: number,
    private readonly out: Output,
    private readonly outputCapBytes: number,
  ) {
    this.ctx = {
      backend: new KeyedStateBackend(range, maxParallelism),
      states: v.states ?? ([] as StateSpec[]),
      keyOf: null,
      currentKey: null,
      watermark: -Infinity,
      registerTimer: (k, t) => this.timers.register(k, t),
      deleteTimer: (k, t) => this.timers.remove(k, t),
      registerProcessingTimer: (k, t) => this.processingTimers.register(k, t),
      deleteProcessingTimer: (k, t) => this.processingTimers.remove(k, t),
    };
  }

  /** The `wrt:runtime/keyed-state` imports for this operator's instance. */
  imports(guest: () => WebAssembly.Instance | undefined): WebAssembly.Imports {
    return { [KEYED_STATE_MODULE]: keyedStateImports(this.ctx, () => guest()?.exports as never) };
  }

  bind(instance: WebAssembly.Instance): void {
    this.instance = instance;
  }

  private call(port: number, batch: RowBatch, keyOf: (r: number) => StateKey): void {
    this.ctx.keyOf = keyOf;
    this.ctx.currentKey = null;
    try {
      const result = callOperator(this.instance, this.v.operator, 0, [batch.bytes], this.outputCapBytes, port);
      if (checkOutput(this.v, result).rows > 0) this.out.emit(result);
    } finally {
      this.ctx.keyOf = null;
    }
  }

  processBatch(port: number, batch: RowBatch): void {
    const cols = this.keys[port] ?? [];
    this.call(port, batch, (r) => keyOfRow(batch, cols, r));
  }

  advanceWatermark(t: number): void {
    this.ctx.watermark = t;
    // Timers set by fired timers at or before `t` fire in the same advance.
    for (let fired = this.timers.due(t); fired.length > 0; fired = this.timers.due(t)) this.fire(TIMER_PORT, fired);
  }

  /** Calls the operator with a batch of fired timers: their key columns, row time = timer time. */
  private fire(port: number, fired: { key: StateKey; time: number }[]): void {
    const b = new RowBatchBuilder(this.keyTypes);
    for (const f of fired) b.add(f.time, keyValues(f.key, this.keyTypes.length));
    this.call(port, new RowBatch(b.finish()), (r) => fired[r]!.key);
  }

  nextProcessingTime(): number | null {
    return this.processingTimers.next;
  }

  onProcessingTime(now: number): boolean {
    const fired = this.processingTimers.due(now);
    if (fired.length > 0) this.fire(PROCESSING_TIMER_PORT, fired);
    return fired.length > 0;
  }

  endInput(): void {}

  /** Keyed state (the backend's own snapshot, by key group), timers and the watermark; not the wasm memory. */
  snapshot(): ProcessSnapshot {
    const t = this.timers.snapshot();
    return {
      backend: new TextDecoder().decode(this.ctx.backend.snapshot()),
      timers: t.timers,
      deleted: t.deleted,
      watermark: this.ctx.watermark,
      processing: this.processingTimers.snapshot(),
    };
  }

  restore(state: unknown): void {
    const s = state as ProcessSnapshot;
    this.ctx.backend.restore([new TextEncoder().encode(s.backend)]);
    this.timers.restore(s);
    if (s.processing) this.processingTimers.restore(s.processing);
    this.ctx.watermark = s.watermark;
  }
}
