/**
 * One slot of a stream job on a node: subtask `slot` of every vertex whose parallelism exceeds it
 * (Flink's slot sharing), run in one thread. Elements between two subtasks of the slot are handed
 * over at once (operator chaining: no serialisation, no queue that can grow); elements for a
 * subtask in another slot leave through the host, flow-controlled by credit.
 *
 * Credit-based flow control (after Flink's network stack, FLINK-7282): the sender of every
 * channel between slots starts with `credits` batches it may have in flight; the receiver returns
 * one credit for each batch it has processed. A batch that finds no credit waits in the channel's
 * queue, and watermarks and ends wait behind it, so order is kept. A subtask that has a waiting
 * batch on any of its channels — or that hands over to a subtask of this slot that has — is
 * *blocked*: it takes no input and, if a source, reads nothing, until credit comes back. Memory is
 * thus bounded by credits × channels plus one batch's output per subtask, and a slow sink slows its
 * sources down instead of filling memory. Blocking is per subtask, not per slot: the graph is
 * acyclic, so the most downstream blocked subtask can always make progress and slots that feed
 * each other both ways cannot deadlock.
 *
 * The slot works in slices of about `sliceMs` and then yields (`host.schedule`), so credits and
 * elements arriving from other slots are taken in between.
 */
import type { ConnectorAccess } from '../platform/platform.js';
import type { JobGraphEdge, SourceWatermark } from '../protocol/messages.js';
import type { StreamPlan } from './execution-graph.js';
import { StreamSubtask, type StreamElement, type SubtaskHost } from './stream-subtask.js';
import { WrtError } from '../errors.js';
import { OutboundChannel } from './outbound-channel.js';
import { SourceAlignment, type AlignedSource } from './watermark-alignment.js';

export interface StreamSlotHost {
  /** A fresh instance of the pipeline module with `imports` added. */
  instantiate(imports: WebAssembly.Imports): WebAssembly.Instance;
  outputCapBytes: number;
  /** What sources and sinks reach outside through (files, NATS; absent in browsers). */
  connectors?: ConnectorAccess;
  /** An element for subtask `to` of the target of edge `edge` (an index into `graph.edges`), in another slot. */
  sendRemote(edge: number, from: number, to: number, element: StreamElement): void;
  /** Gives the sender of channel (`edge`, `from` → `to`) `credits` more batches. */
  grantCredit(edge: number, from: number, to: number, credits: number): void;
  /**
   * A piece of sink output: part `partition` of the job's output (sink vertices in graph order);
   * `epoch` is the last checkpoint the sink passed before it (stream-subtask.ts).
   */
  sinkOutput(partition: number, bytes: Uint8Array, rows: number | null, epoch: number): void;
  /** Subtask `vertexId`#`index` took its snapshot for checkpoint `id`. */
  checkpointed(vertexId: string, index: number, id: number, state: Uint8Array): void;
  /** Subtask `vertexId`#`index` finished; `state` is its final snapshot (what a later checkpoint holds for it). */
  subtaskDone(vertexId: string, index: number, state: Uint8Array): void;
  /** The slot has finished: every subtask is done and every element has left. */
  finished(): void;
  /** The slot stopped on `err`, thrown while subtask `vertexId` of it ran ('' if none did). */
  failed(err: unknown, vertexId: string): void;
  /** Runs `fn` after pending messages have been taken (a macrotask). */
  schedule(fn: () => void): void;
  /** The watermarks of aligned sources changed (watermark-alignment.ts); absent: the slot aligns nothing. */
  reportWatermarks?(sources: SourceWatermark[]): void;
}

export interface StreamSlotOptions {
  /** Batches a sender may have in flight per channel. @default 8 */
  credits?: number;
  /** Rows a source subtask emits per batch. @default 1024 */
  batchRows?: number;
  /** Work between yields, ms. @default 5 */
  sliceMs?: number;
}

/** What one subtask of a slot has done since the slot started (reported with the node's heartbeats). */
export interface SubtaskMetrics {
  vertexId: string;
  index: number;
  /** Rows taken in and sent on (Flink's numRecordsIn / numRecordsOut). */
  recordsIn: number;
  recordsOut: number;
  /**
   * Milliseconds the subtask could not go on because a channel it (or a subtask chained after it
   * in this slot) sends on had no credit (Flink's backPressuredTimeMsPerSecond, summed).
   */
  backPressuredMs: number;
  /** The last watermark it sent on, event-time ms; -Infinity before the first. */
  outputWatermark: number;
}

interface Delivery {
  edge: JobGraphEdge;
  from: number;
  element: StreamElement;
}

export class StreamSlot {
  private readonly subtasks: StreamSubtask[] = [];
  /** Subtasks whose operators can set processing-time timers. */
  private readonly timed: StreamSubtask[] = [];
  /** Subtasks of this slot by vertex id. */
  private readonly byVertex = new Map<string, StreamSubtask>();
  private readonly edgeIndex = new Map<JobGraphEdge, number>();
  /** Elements from other slots waiting to be processed, by receiving subtask. */
  private readonly inbox = new Map<StreamSubtask, Delivery[]>();
  /** Handovers inside the slot, processed before anything else. */
  private readonly local: (Delivery & { to: StreamSubtask })[] = [];
  private readonly outbound = new Map<string, OutboundChannel>();
  /** Outbound channels of each subtask. */
  private readonly channelsOf = new Map<StreamSubtask, OutboundChannel[]>();
  private readonly sinkBase = new Map<string, number>();
  private readonly credits: number;
  private readonly batchRows: number;
  private readonly sliceMs: number;
  private scheduled = false;
  private readonly triggers: number[] = [];
  private stopped = false;
  private reportedDone = new Set<StreamSubtask>();
  /** The subtask running now (names the culprit of a failure). */
  private current: StreamSubtask | null = null;
  /** Back-pressure bookkeeping: ms blocked so far, and whether each subtask was blocked when last looked at, and when. */
  private readonly blockedMs = new Map<StreamSubtask, number>();
  private readonly wasBlocked = new Set<StreamSubtask>();
  private lookedAt = performance.now();
  /** Watermark alignment of this slot's aligned sources (null: none, or the host aligns nothing). */
  private readonly alignment: SourceAlignment | null = null;
  private readonly aligned = new Map<StreamSubtask, AlignedSource>();

  constructor(
    readonly plan: StreamPlan,
    readonly slot: number,
    private readonly host: StreamSlotHost,
    o: StreamSlotOptions = {},
  ) {
    this.credits = o.credits ?? 8;
    this.batchRows = o.batchRows ?? 1024;
    this.sliceMs = o.sliceMs ?? 5;
    plan.graph.edges.forEach((e, i) => this.edgeIndex.set(e, i));
    let partitions = 0;
    for (const pv of plan.vertices) {
      if (pv.vertex.kind === 'Sink') {
        this.sinkBase.set(pv.vertex.id, partitions);
        partitions += pv.parallelism;
      }
    }
    for (const pv of plan.vertices) {
      if (pv.parallelism <= slot) continue;
      let self: StreamSubtask | null = null;
      const subHost: SubtaskHost = {
        instantiate: (imports) => host.instantiate(imports),
        outputCapBytes: host.outputCapBytes,
        connectors: host.connectors,
        wake: () => this.wake(),
        send: (edge, from, to, element) => {
          if (to === slot) this.local.push({ edge, from, element, to: this.byVertex.get(edge.to)! });
          else this.channel(self!, edge, from, to).send(element);
        },
        sinkOutput: (id, index, bytes, rows, epoch) => host.sinkOutput(this.sinkBase.get(id)! + index, bytes, rows, epoch),
        checkpointed: (id, index, cp, state) => host.checkpointed(id, index, cp, state),
      };
      self = new StreamSubtask(plan, pv, slot, subHost);
      this.subtasks.push(self);
      if (self.hasProcessingTimers) this.timed.push(self);
      this.byVertex.set(pv.vertex.id, self);
      this.inbox.set(self, []);
      this.channelsOf.set(self, []);
      const spec = pv.vertex.kind === 'Source' ? pv.vertex.watermarkAlignment : undefined;
      const s = self; // a const the closure below sees as set
      if (spec)
        this.aligned.set(s, {
          vertexId: s.vertexId,
          index: slot,
          spec,
          watermark: () => (s.done || s.isIdle ? Infinity : s.outputWatermark),
        });
    }
    if (this.aligned.size > 0 && host.reportWatermarks)
      this.alignment = new SourceAlignment(
        [...this.aligned.values()],
        (w) => host.reportWatermarks!(w),
        () => this.wake(),
      );
  }

  /** The head announced `min` as the slowest watermark of alignment group `group` (watermark-alignment.ts). */
  align(group: string, min: number): void {
    this.alignment?.align(group, min);
  }

  /** Whether source `s` waits for the rest of its alignment group. */
  private paused(s: StreamSubtask): boolean {
    const a = this.alignment && this.aligned.get(s);
    return !!a && this.alignment.paused(a);
  }

  private channel(sender: StreamSubtask, edge: JobGraphEdge, from: number, to: number): OutboundChannel {
    const i = this.edgeIndex.get(edge)!;
    const key = `${i}/${from}/${to}`;
    let c = this.outbound.get(key);
    if (!c) {
      c = new OutboundChannel(this.credits, (element) => this.host.sendRemote(i, from, to, element));
      this.outbound.set(key, c);
      this.channelsOf.get(sender)!.push(c);
    }
    return c;
  }

  /** An element from another slot for this slot's subtask `to` of edge `edge`'s target. */
  receive(edge: number, from: number, to: number, element: StreamElement): void {
    const e = this.plan.graph.edges[edge];
    const target = e && to === this.slot ? this.byVertex.get(e.to) : undefined;
    if (!e || !target)
      throw new WrtError('WRT_PROTOCOL', `slot ${this.slot} has no subtask ${e?.to ?? `of edge ${edge}`}#${to} to take an element`);
    this.inbox.get(target)!.push({ edge: e, from, element });
    this.wake();
  }

  /** Credit for channel (`edge`, `from` → `to`) of one of this slot's senders. */
  credit(edge: number, from: number, to: number, credits: number): void {
    this.outbound.get(`${edge}/${from}/${to}`)?.grant(credits);
    this.wake();
  }

  /**
   * Takes the subtasks' states of a checkpoint (by vertex id) before {@link start};
   * `freshOutput`: the job starts from a savepoint and its sinks write new part files.
   */
  restore(states: Map<string, Uint8Array>, freshOutput = false): void {
    for (const s of this.subtasks) {
      const state = states.get(s.vertexId);
      if (state) s.restore(state, freshOutput);
    }
  }

  /** Starts checkpoint `id` at this slot's sources (barriers go out between two source batches). */
  trigger(id: number): void {
    this.triggers.push(id);
    this.wake();
  }

  /** Starts the sources (and anything already received). */
  start(): void {
    this.wake();
  }

  /** Stops at once; nothing more is sent. */
  stop(): void {
    this.stopped = true;
    this.alignment?.stop();
  }

  private wake(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    this.host.schedule(() => {
      this.scheduled = false;
      this.run();
    });
  }

  /**
   * True when `s` or a subtask of this slot downstream of it waits for credit, or a subtask of this
   * slot holds `credits` batches for an alignment and `s`'s channel to it is one it holds (a
   * channel within the slot has no credit: this is its limit). Only channels that have carried
   * the barrier are held, so the subtasks this stops have passed it on and no barrier waits on them.
   */
  private blocked(s: StreamSubtask): boolean {
    if (this.channelsOf.get(s)!.some((c) => c.blocked)) return true;
    for (const e of s.pv.outputs) {
      const next = this.byVertex.get(e.to);
      if (!next) continue;
      if (next.alignment.heldBatches >= this.credits && next.holds(e, this.slot)) return true;
      if (this.blocked(next)) return true;
    }
    return false;
  }

  private drainLocal(): void {
    for (let d = this.local.shift(); d; d = this.local.shift()) {
      this.current = d.to;
      d.to.receive(d.edge, d.from, d.element);
      this.grantReleased(d.to);
    }
  }

  /** Returns the credit of the batches `s` held for an alignment and has now processed (those from other slots). */
  private grantReleased(s: StreamSubtask): void {
    const released = s.alignment.released;
    if (released.length === 0) return;
    for (const r of released.splice(0)) if (r.from !== this.slot) this.host.grantCredit(this.edgeIndex.get(r.edge)!, r.from, this.slot, 1);
  }

  /** Batches held for checkpoint alignments by this slot's subtasks now. */
  get heldBatches(): number {
    let n = 0;
    for (const s of this.subtasks) n += s.alignment.heldBatches;
    return n;
  }

  /**
   * Adds the time since the last look to every subtask that was blocked then, and looks again.
   * Called at the start and end of every slice: a slot that waits for credit runs no slice, so the
   * wait is added when credit comes (or when {@link metrics} is read).
   */
  private observeBackPressure(): void {
    const now = performance.now();
    const elapsed = now - this.lookedAt;
    this.lookedAt = now;
    for (const s of this.subtasks) {
      if (this.wasBlocked.has(s)) this.blockedMs.set(s, (this.blockedMs.get(s) ?? 0) + elapsed);
      if (!s.done && this.blocked(s)) this.wasBlocked.add(s);
      else this.wasBlocked.delete(s);
    }
  }

  /** Every subtask's figures so far (cumulative since the slot started). */
  metrics(): SubtaskMetrics[] {
    if (!this.stopped) this.observeBackPressure();
    return this.subtasks.map((s) => ({
      vertexId: s.vertexId,
      index: this.slot,
      recordsIn: s.rowsIn,
      recordsOut: s.rowsOut,
      backPressuredMs: Math.round(this.blockedMs.get(s) ?? 0),
      outputWatermark: s.outputWatermark,
    }));
  }

  private run(): void {
    if (this.stopped) return;
    this.observeBackPressure();
    const until = performance.now() + this.sliceMs;
    try {
      for (let id = this.triggers.shift(); id !== undefined; id = this.triggers.shift()) {
        for (const s of this.subtasks) {
          if (s.pv.vertex.kind !== 'Source') continue;
          this.current = s;
          s.injectBarrier(id);
          this.drainLocal();
        }
      }
      for (;;) {
        let progressed = false;
        // Downstream first: what it frees lets the upstream go on.
        for (let i = this.subtasks.length - 1; i >= 0; i--) {
          const s = this.subtasks[i]!;
          const q = this.inbox.get(s)!;
          while (q.length > 0 && !this.blocked(s)) {
            const d = q.shift()!;
            this.current = s;
            const taken = s.receive(d.edge, d.from, d.element);
            this.grantReleased(s);
            this.drainLocal();
            if (taken && d.element.type === 'batch') this.host.grantCredit(this.edgeIndex.get(d.edge)!, d.from, this.slot, 1);
            progressed = true;
            if (performance.now() >= until) break;
          }
        }
        for (const s of this.timed) {
          if (this.blocked(s)) continue;
          this.current = s;
          if (s.fireProcessingTimers()) progressed = true;
          this.drainLocal();
        }
        for (const s of this.subtasks) {
          if (s.pv.vertex.kind !== 'Source' || s.done || this.blocked(s) || this.paused(s)) continue;
          this.current = s;
          if (s.pump(this.batchRows)) progressed = true;
          this.drainLocal();
        }
        this.reportDone();
        if (this.stopped) return;
        for (const s of this.timed) s.armProcessingTimer();
        this.alignment?.observe();
        if (!progressed) {
          this.observeBackPressure();
          return;
        }
        if (performance.now() >= until) {
          this.observeBackPressure();
          this.wake();
          return;
        }
      }
    } catch (err) {
      this.stop();
      this.host.failed(err, this.current?.vertexId ?? '');
    }
  }

  private reportDone(): void {
    for (const s of this.subtasks) {
      if (!s.done || this.reportedDone.has(s)) continue;
      this.reportedDone.add(s);
      this.host.subtaskDone(s.vertexId, this.slot, s.snapshot());
    }
    if (this.reportedDone.size === this.subtasks.length && [...this.outbound.values()].every((c) => !c.blocked)) {
      this.alignment?.flush();
      this.stop();
      this.host.finished();
    }
  }
}
