/**
 * One parallel instance of a stream vertex: its input channels (one per upstream subtask and
 * edge), their watermark valve, its operator, and the partitioners of its output edges. It is fed
 * stream elements — row batches, watermarks, end of input — and produces them; how they travel
 * (in one thread, between slots, between nodes) is its host's business ({@link SubtaskHost}).
 *
 * Watermarks follow Flink: a subtask's event time is the minimum over its input channels; it
 * advances its operator (windows and timers fire), then forwards the watermark on every output.
 * A source emits `max timestamp − bound − 1` after each batch and {@link MAX_WATERMARK} when it
 * is done; a channel's end counts as that maximum.
 *
 * Idleness (Flink's WatermarkStatus): a source with `idleTimeoutMs` that has had no data for that
 * long sends an *idle* status on its outputs, and *active* again before its next batch. A
 * receiving valve leaves idle channels out of its minimum; a subtask whose input channels are all
 * idle (or ended) passes idle on, and active once one of them is active again.
 */
import type { JobGraphEdge } from '../protocol/messages.js';
import type { PlannedVertex, StreamPlan } from './execution-graph.js';
import { RowBatch } from './row-batch.js';
import { WatermarkValve } from './watermarks.js';
import type { Output, StreamOperator } from './operators.js';
import type { StreamSink, StreamSource } from './connectors.js';
import { WrtError } from '../errors.js';
import { subtaskParts } from './subtask-parts.js';
import { decodeState, encodeState } from './state-codec.js';
import { rowsOf } from './row-batch.js';

/** What a subtask's snapshot holds (state-codec.ts writes it). */
interface SubtaskSnapshot {
  v: 1;
  lastWatermark: number;
  valve: { watermarks: number[]; output: number };
  ended: boolean[];
  finished: boolean;
  lastCheckpoint: number;
  /** Absent (written before 2026-12: null) when the subtask has none. */
  operator?: unknown;
  source?: unknown;
  sinkRows: number;
}

import { MAX_WATERMARK, SINK_PIECE_BYTES, type StreamElement, type SubtaskHost } from './stream-element.js';
import { Partitioner } from './partitioner.js';
import { BarrierAlignment } from './barrier-alignment.js';

export { SINK_PIECE_BYTES, MAX_WATERMARK, type StreamElement, type SubtaskHost } from './stream-element.js';

export class StreamSubtask {
  readonly vertexId: string;
  private readonly operator: StreamOperator | null;
  private readonly source: StreamSource | null;
  private readonly sink: StreamSink | null;
  private readonly outputs: Partitioner[];
  /** Channel index of (edge index in `inputs`, upstream subtask). */
  private readonly channelBase: number[] = [];
  private readonly valve: WatermarkValve;
  private readonly ended: boolean[];
  private endedCount = 0;
  private finished = false;
  private lastWatermark = -Infinity;
  /** Id of the last checkpoint this subtask took part in (0: none). */
  private lastCheckpoint = 0;
  /** Checkpoint barrier alignment at the input channels (barrier-alignment.ts). */
  readonly alignment: BarrierAlignment;
  /** Whether this subtask told its receivers it is idle. */
  private idle = false;
  /** Sources with an idle timeout: when data last came (performance.now() ms), and the pending wake-up. */
  private lastDataAt = -1;
  private idleTimer: ReturnType<typeof setTimeout> | null = null;
  /** The wake-up armed for the operator's next processing-time timer, and its time (ms since the epoch). */
  private processingWake: ReturnType<typeof setTimeout> | null = null;
  private processingWakeAt = Infinity;
  /** Rows taken in from the subtask's input channels (Flink's numRecordsIn). */
  rowsIn = 0;
  /** Rows sent on: a source's rows read, an operator's results (Flink's numRecordsOut; late rows not counted). */
  rowsOut = 0;

  constructor(
    readonly plan: StreamPlan,
    readonly pv: PlannedVertex,
    readonly index: number,
    private readonly host: SubtaskHost,
  ) {
    const v = pv.vertex;
    this.vertexId = v.id;
    let channels = 0;
    for (const e of pv.inputs) {
      this.channelBase.push(channels);
      // A Forward edge is one channel (from the subtask of equal index); the others, one per sender.
      channels += e.partitioning === 'Forward' ? 1 : plan.byId.get(e.from)!.parallelism;
    }
    this.valve = new WatermarkValve(Math.max(1, channels));
    this.ended = new Array<boolean>(channels).fill(false);
    this.alignment = new BarrierAlignment(channels);
    this.outputs = pv.outputs.map((e) => new Partitioner(e, index, plan.byId.get(e.to)!.parallelism, plan.maxParallelism, host));
    const results = this.outputs.filter((o) => (o.edge.output ?? 0) === 0);
    const late = this.outputs.filter((o) => o.edge.output === 1);
    const out: Output = {
      emit: (bytes) => {
        this.rowsOut += rowsOf(bytes);
        results.forEach((o) => o.batch(bytes));
      },
      emitLate: late.length > 0 ? (bytes) => late.forEach((o) => o.batch(bytes)) : undefined,
    };
    const parts = subtaskParts(plan, pv, index, host, out);
    this.source = parts.source;
    this.sink = parts.sink;
    this.operator = parts.operator;
  }

  get done(): boolean {
    return this.finished;
  }

  /** Sources with an idle timeout: whether it is idle now (it sent an idle status). */
  get isIdle(): boolean {
    return this.idle;
  }

  /** The last watermark this subtask sent on, event-time ms (-Infinity before the first; Flink's currentOutputWatermark). */
  get outputWatermark(): number {
    return this.lastWatermark;
  }

  /**
   * Sources: emits up to `maxRows` rows and a watermark. Returns false when there was nothing to
   * do: the source is done, or it waits for data (it wakes the slot when data comes).
   */
  pump(maxRows: number): boolean {
    if (!this.source || this.finished) return false;
    const step = this.source.next(maxRows);
    this.trackIdleness(step.batch !== null || step.done);
    if (step.batch) {
      this.rowsOut += rowsOf(step.batch);
      this.outputs.forEach((o) => o.batch(step.batch!));
    }
    const bound = this.pv.vertex.watermarkBoundMs ?? 0;
    if (step.done) {
      this.forwardWatermark(MAX_WATERMARK);
      this.finish();
      return true;
    }
    if (Number.isFinite(step.maxTimestamp)) this.forwardWatermark(step.maxTimestamp - bound - 1);
    return step.batch !== null;
  }

  /** Whether the operator can have processing-time timers (wasm Process operators). */
  get hasProcessingTimers(): boolean {
    return !!this.operator?.onProcessingTime;
  }

  /** Fires the operator's processing-time timers that are due; true when any fired. */
  fireProcessingTimers(): boolean {
    if (this.finished || !this.operator?.onProcessingTime) return false;
    return this.operator.onProcessingTime(Date.now());
  }

  /** Makes sure the slot wakes when the operator's earliest processing-time timer is due. */
  armProcessingTimer(): void {
    if (this.finished || !this.operator?.nextProcessingTime) return;
    const next = this.operator.nextProcessingTime();
    if (next === null || next >= this.processingWakeAt) return;
    if (this.processingWake) clearTimeout(this.processingWake);
    this.processingWakeAt = next;
    this.processingWake = setTimeout(
      () => {
        this.processingWake = null;
        this.processingWakeAt = Infinity;
        this.host.wake?.();
      },
      Math.max(0, next - Date.now()),
    );
  }

  /** Sources with an idle timeout: goes idle after that long without data, active again with data. */
  private trackIdleness(data: boolean): void {
    const timeout = this.pv.vertex.idleTimeoutMs ?? 0;
    if (timeout <= 0) return;
    const now = performance.now();
    if (data || this.lastDataAt < 0) {
      this.lastDataAt = now;
      if (data) this.setIdle(false);
      return;
    }
    const quiet = now - this.lastDataAt;
    if (quiet >= timeout) this.setIdle(true);
    else if (!this.idleTimer)
      // Nothing may wake the slot before then: look again when the timeout is up.
      this.idleTimer = setTimeout(() => {
        this.idleTimer = null;
        this.host.wake?.();
      }, timeout - quiet);
  }

  private setIdle(idle: boolean): void {
    if (idle === this.idle) return;
    this.idle = idle;
    for (const o of this.outputs) o.broadcast({ type: 'status', idle });
  }

  private channel(edge: JobGraphEdge, from: number): number {
    const i = this.pv.inputs.indexOf(edge);
    if (i < 0) throw new WrtError('WRT_PROTOCOL', `subtask ${this.vertexId}#${this.index} got an element of an edge it does not read`);
    return this.channelBase[i]! + (edge.partitioning === 'Forward' ? 0 : from);
  }

  /**
   * Delivers one element from subtask `from` of `edge`'s sender. Checkpoint barriers are aligned
   * (barrier-alignment.ts). Returns false when `element` was held back: a held batch's credit is
   * due only once it is processed (it then appears in `alignment.released`).
   */
  receive(edge: JobGraphEdge, from: number, element: StreamElement): boolean {
    const c = this.channel(edge, from);
    if (this.alignment.holds(c)) {
      this.alignment.hold({ edge, from, element });
      return false;
    }
    if (element.type === 'barrier') {
      this.alignment.barrier(element.id, c);
      this.completeAlignment();
    } else if (element.type === 'batch') {
      const batch = new RowBatch(element.bytes);
      this.rowsIn += batch.rows;
      if (this.sink) {
        this.sink.write(batch);
        if (this.sink.buffered >= SINK_PIECE_BYTES)
          this.host.sinkOutput(this.vertexId, this.index, this.sink.drain(), null, this.lastCheckpoint);
      } else this.operator!.processBatch(edge.input ?? 0, batch);
    } else if (element.type === 'watermark') {
      const w = this.valve.onWatermark(c, element.time);
      if (w !== null) this.advance(w);
      this.setIdle(false);
    } else if (element.type === 'status') {
      const w = this.valve.onIdle(c, element.idle);
      if (w !== null) this.advance(w);
      this.setIdle(this.valve.allIdle(this.ended));
    } else {
      if (this.ended[c]) return true;
      this.ended[c] = true;
      this.endedCount++;
      const w = this.valve.onWatermark(c, MAX_WATERMARK);
      if (w !== null) this.advance(w);
      this.completeAlignment();
      if (this.endedCount === this.ended.length) {
        this.operator?.endInput();
        this.finish();
      }
    }
    return true;
  }

  /** Whether what channel (`edge`, upstream subtask `from`) sends is held now (its barrier came, others' not yet). */
  holds(edge: JobGraphEdge, from: number): boolean {
    return this.alignment.holds(this.channel(edge, from));
  }

  /** Ends an alignment once every channel has sent its barrier or ended. */
  private completeAlignment(): void {
    const done = this.alignment.complete(this.ended);
    if (!done) return;
    this.checkpoint(done.id);
    // A held element may be held again (a barrier of the next checkpoint among them).
    for (const d of done.held)
      if (this.receive(d.edge, d.from, d.element) && d.element.type === 'batch') this.alignment.release(d.edge, d.from);
  }

  /** Sources: checkpoint `id` starts here (between two batches); a finished source has no part in it. */
  injectBarrier(id: number): void {
    if (!this.finished) this.checkpoint(id);
  }

  /** Snapshots this subtask for checkpoint `id` and passes the barrier on. */
  private checkpoint(id: number): void {
    if (this.sink && this.sink.buffered > 0) this.host.sinkOutput(this.vertexId, this.index, this.sink.drain(), null, this.lastCheckpoint);
    this.lastCheckpoint = id;
    this.host.checkpointed?.(this.vertexId, this.index, id, this.snapshot());
    for (const o of this.outputs) o.broadcast({ type: 'barrier', id });
  }

  /** The subtask's state now (what a checkpoint holds; after the end, its final state). */
  snapshot(): Uint8Array {
    const s: SubtaskSnapshot = {
      v: 1,
      lastWatermark: this.lastWatermark,
      valve: this.valve.snapshot(),
      ended: this.ended,
      finished: this.finished,
      lastCheckpoint: this.lastCheckpoint,
      // Absent rather than null: a snapshot without null tokens is written without a walk (state-codec.ts).
      operator: this.operator?.snapshot(),
      source: this.source?.snapshot(),
      sinkRows: this.sink?.rows ?? 0,
    };
    return encodeState(s);
  }

  /**
   * Takes a {@link snapshot} into this fresh subtask (a restart from a checkpoint). A subtask that
   * had finished stays finished and sends nothing: its receivers' snapshots have its end.
   * `freshOutput` (a job started from a savepoint): a sink starts a new part file, header first.
   * @throws WrtError `WRT_BAD_CHECKPOINT` when the bytes are not a snapshot of this vertex's shape.
   */
  restore(bytes: Uint8Array, freshOutput = false): void {
    let s: SubtaskSnapshot;
    try {
      s = decodeState<SubtaskSnapshot>(bytes);
    } catch (err) {
      throw new WrtError(
        'WRT_BAD_CHECKPOINT',
        `subtask ${this.vertexId}#${this.index}: its checkpoint state is not readable: ${(err as Error).message}`,
      );
    }
    if (s.v !== 1 || s.ended.length !== this.ended.length)
      throw new WrtError('WRT_BAD_CHECKPOINT', `subtask ${this.vertexId}#${this.index}: its checkpoint state is of another job shape`);
    this.lastWatermark = s.lastWatermark;
    this.valve.restore(s.valve);
    s.ended.forEach((e, c) => (this.ended[c] = e));
    this.endedCount = s.ended.filter(Boolean).length;
    this.finished = s.finished;
    this.lastCheckpoint = s.lastCheckpoint;
    if (s.operator != null) this.operator?.restore(s.operator);
    if (s.source != null) this.source?.restore(s.source);
    this.sink?.restore(s.sinkRows, freshOutput);
    // A sink that had finished writes nothing more: its new part file is the header alone.
    if (freshOutput && this.sink && this.finished)
      this.host.sinkOutput(this.vertexId, this.index, this.sink.drain(), this.sink.rows, this.lastCheckpoint);
  }

  private advance(w: number): void {
    if (w <= this.lastWatermark) return;
    this.operator?.advanceWatermark(w);
    this.forwardWatermark(w);
  }

  private forwardWatermark(w: number): void {
    if (w <= this.lastWatermark) return;
    this.lastWatermark = w;
    for (const o of this.outputs) o.broadcast({ type: 'watermark', time: w });
  }

  private finish(): void {
    this.finished = true;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    if (this.processingWake) clearTimeout(this.processingWake);
    for (const o of this.outputs) o.broadcast({ type: 'end' });
    if (this.sink) this.host.sinkOutput(this.vertexId, this.index, this.sink.drain(), this.sink.rows, this.lastCheckpoint);
  }
}
