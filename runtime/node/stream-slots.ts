/**
 * The node agent's side of stream jobs: one slot thread per deployed stream slot, and the routing
 * of what slots send. An element or credit for a slot of this node goes straight to its thread;
 * one for a slot elsewhere becomes a StreamData / StreamCredit message that the head relays to
 * that slot's node (browser nodes accept no connections, so slots talk through the head, as object
 * transfers do). Sink output goes to the head as JobOutput pieces; a finished subtask is reported
 * with TaskStatus (`task_id` "JOB/VERTEX#INDEX").
 *
 * The thread of a slot that finished is kept, up to `warmThreads`, and opens the next slot
 * deployed here (as Flink's TaskManager runs job after job in one JVM): its runtime code is
 * already compiled by the JIT, where a fresh thread starts cold. Its wasm instances go with the
 * finished slot; a slot that failed or was cancelled takes its thread with it.
 */
import type { Platform, SlotThread } from '../platform/platform.js';
import type { Message, MessageOf } from '../protocol/messages.js';
import { STREAM_PROGRESS_BYTES, streamOperators, type StreamSlotReply, type StreamSlotRequest } from './slot-messages.js';
import type { StreamElement } from '../stream/stream-subtask.js';
import { toFailure, type FailureRecord } from '../errors.js';
import { MAX_FRAME_BYTES } from '../protocol/frame.js';
import type { SubtaskMetrics } from '../stream/stream-slot.js';

/** What the slots need from their agent. */
export interface StreamSlotsHost {
  nodeId(): string;
  send(m: Message): void;
  /** The compiled module of a deployment, capped at `maxMemoryBytes`. */
  module(moduleHash: string, module: Uint8Array, maxMemoryBytes: number): Promise<WebAssembly.Module>;
  outputCapBytes: number;
  log(line: string): void;
  /** The largest subtask state sent to the head (bytes). @default {@link MAX_STATE_BYTES} */
  maxStateBytes?: number;
  /** Threads of slots that finished kept for the next deployment (the node's slots). @default 0 */
  warmThreads?: number;
}

/** A subtask state must fit one frame (MAX_FRAME_BYTES, 64 MiB) with room for its message. */
export const MAX_STATE_BYTES = MAX_FRAME_BYTES - 64 * 1024;

interface RunningSlot {
  thread: SlotThread;
  /** The thread's progress word (slot-messages.ts) and the deadline of one operator call, ms (0: none). */
  started: Float64Array;
  operator: Int32Array;
  operators: string[];
  deadlineMs: number;
  /** Messages for the thread until it has been opened (the module is still compiling). */
  backlog: StreamSlotRequest[] | null;
  /** The subtasks' figures as the thread last reported them. */
  metrics: SubtaskMetrics[];
}

interface StreamJobOnNode {
  slotNodes: string[];
  slots: Map<number, RunningSlot>;
  /**
   * Slots of this node whose DeployStreamSlot has not come yet, with what came for them meanwhile
   * (elements and credits from a slot deployed before them, checkpoint triggers, alignments): a
   * slot may send to another of its node as soon as it runs, and the node takes the deployments
   * one message at a time, so the next may come after.
   */
  early: Map<number, StreamSlotRequest[]>;
}

function elementOf(m: MessageOf<'StreamData'>): StreamElement {
  if (m.kind === 'Batch') return { type: 'batch', bytes: m.data!.slice() };
  if (m.kind === 'Watermark') return { type: 'watermark', time: m.time };
  if (m.kind === 'Barrier') return { type: 'barrier', id: m.time };
  if (m.kind === 'Status') return { type: 'status', idle: m.time === 1 };
  return { type: 'end' };
}

function dataOf(jobId: string, nodeId: string, r: Extract<StreamSlotRequest, { type: 'stream-in' }>): MessageOf<'StreamData'> {
  const e = r.element;
  const kinds = { batch: 'Batch', watermark: 'Watermark', barrier: 'Barrier', status: 'Status', end: 'End' } as const;
  const kind = kinds[e.type];
  return {
    type: 'StreamData',
    jobId,
    nodeId,
    edge: r.edge,
    from: r.from,
    to: r.to,
    kind,
    time: e.type === 'watermark' ? e.time : e.type === 'barrier' ? e.id : e.type === 'status' ? Number(e.idle) : 0,
    data: e.type === 'batch' ? e.bytes : null,
  };
}

/** A batch's buffer when the batch owns all of it (then it moves to the thread instead of being copied). */
function transferOf(m: StreamSlotRequest): Transferable[] {
  if (m.type !== 'stream-in' || m.element.type !== 'batch') return [];
  const b = m.element.bytes;
  return b.byteOffset === 0 && b.byteLength === b.buffer.byteLength ? [b.buffer as ArrayBuffer] : [];
}

export class StreamSlots {
  private readonly jobs = new Map<string, StreamJobOnNode>();
  /** Final figures of slots that finished since the last {@link metrics} call, by execution id. */
  private finals: { jobId: string; subtasks: SubtaskMetrics[] }[] = [];
  /** Threads of finished slots, ready to open the next one. */
  private readonly warm: SlotThread[] = [];
  /** The deadline watchdog: runs while any slot with a deadline does. */
  private watchdog: ReturnType<typeof setInterval> | null = null;

  constructor(
    private readonly platform: Platform,
    private readonly arena: WebAssembly.Memory,
    private readonly host: StreamSlotsHost,
  ) {}

  /** Slot threads running now. */
  get running(): number {
    let n = 0;
    for (const j of this.jobs.values()) n += j.slots.size;
    return n;
  }

  handle(m: MessageOf<'DeployStreamSlot' | 'StreamData' | 'StreamCredit' | 'CancelJob' | 'TriggerCheckpoint' | 'AlignWatermarks'>): void {
    switch (m.type) {
      case 'DeployStreamSlot':
        return this.deploy(m);
      case 'StreamData':
        return this.post(m.jobId, m.to, { type: 'stream-in', edge: m.edge, from: m.from, to: m.to, element: elementOf(m) });
      case 'StreamCredit':
        return this.post(m.jobId, m.from, { type: 'stream-credit', edge: m.edge, from: m.from, to: m.to, credits: m.credits });
      case 'CancelJob':
        return this.cancel(m.jobId);
      case 'TriggerCheckpoint':
        return this.toEverySlot(m.jobId, { type: 'stream-trigger', id: m.checkpointId });
      case 'AlignWatermarks':
        return this.toEverySlot(m.jobId, { type: 'stream-align', group: m.group, min: m.minWatermark });
    }
  }

  /**
   * Posts `r` to every slot of execution `jobId` on this node (queued behind the open of one that
   * is starting, kept for one not deployed yet).
   */
  private toEverySlot(jobId: string, r: StreamSlotRequest): void {
    const job = this.jobs.get(jobId);
    if (!job) return;
    for (const early of job.early.values()) early.push(r);
    for (const running of job.slots.values()) {
      if (running.backlog) running.backlog.push(r);
      else running.thread.postMessage(r);
    }
  }

  private deploy(d: MessageOf<'DeployStreamSlot'>): void {
    let job = this.jobs.get(d.jobId);
    if (!job) {
      const here = this.host.nodeId();
      const early = new Map<number, StreamSlotRequest[]>();
      d.slotNodes.forEach((n, s) => n === here && early.set(s, []));
      job = { slotNodes: d.slotNodes, slots: new Map(), early };
      this.jobs.set(d.jobId, job);
    }
    // What came for this slot before its deployment goes first, behind its open.
    const backlog = job.early.get(d.slot) ?? [];
    job.early.delete(d.slot);
    const reused = this.warm.pop();
    const thread = reused ?? this.platform.spawnSlot();
    const progress = new SharedArrayBuffer(STREAM_PROGRESS_BYTES);
    const running: RunningSlot = {
      thread,
      backlog,
      started: new Float64Array(progress, 0, 1),
      operator: new Int32Array(progress, 8, 1),
      operators: streamOperators(d.graph),
      deadlineMs: d.deadlineMs,
      metrics: [],
    };
    if (d.deadlineMs > 0) this.watch();
    job.slots.set(d.slot, running);
    thread.onMessage = (msg) => this.fromSlot(d.jobId, d.slot, msg as StreamSlotReply | { type: 'ready' });
    thread.onError = (err) => this.slotFailed(d.jobId, d.slot, { code: 'WRT_SLOT_DIED', message: err.message, retryable: true });
    if (!reused) thread.postMessage({ type: 'init', arena: this.arena });
    this.host.module(d.moduleHash, d.module, d.maxMemoryBytes).then(
      (module) => {
        if (job.slots.get(d.slot) !== running) return;
        running.thread.postMessage({
          type: 'stream-open',
          jobId: d.jobId,
          slot: d.slot,
          module,
          graph: d.graph,
          credits: d.channelCredits,
          outputCapBytes: this.host.outputCapBytes,
          maxMemoryBytes: d.maxMemoryBytes,
          restore: new Map(d.restore.filter((r) => r.index === d.slot).map((r) => [r.vertex, r.state.slice()])),
          freshOutput: !!d.freshOutput,
          progress,
        } satisfies StreamSlotRequest);
        for (const m of running.backlog ?? []) running.thread.postMessage(m, transferOf(m));
        running.backlog = null;
      },
      (err: unknown) => this.slotFailed(d.jobId, d.slot, toFailure(err, 'WRT_MISSING_EXPORT')),
    );
  }

  /** Delivers to slot `slot` of `jobId`: its thread when it runs here, else its node through the head. */
  private post(jobId: string, slot: number, m: StreamSlotRequest): void {
    const job = this.jobs.get(jobId);
    if (!job) return; // a late element or credit of a job that has ended here
    const node = job.slotNodes[slot];
    if (node !== this.host.nodeId()) {
      if (m.type === 'stream-in') this.host.send(dataOf(jobId, node ?? '', m));
      else if (m.type === 'stream-credit')
        this.host.send({ type: 'StreamCredit', jobId, nodeId: node ?? '', edge: m.edge, from: m.from, to: m.to, credits: m.credits });
      return;
    }
    const running = job.slots.get(slot);
    if (!running) {
      // Not deployed yet: kept until it is. Finished: dropped (a credit for a sender that is done).
      job.early.get(slot)?.push(m);
      return;
    }
    if (running.backlog) running.backlog.push(m);
    else running.thread.postMessage(m, transferOf(m));
  }

  private fromSlot(jobId: string, slot: number, r: StreamSlotReply | { type: 'ready' }): void {
    switch (r.type) {
      case 'ready':
        return;
      case 'stream-out':
        return this.post(jobId, r.to, { type: 'stream-in', edge: r.edge, from: r.from, to: r.to, element: r.element });
      case 'stream-grant':
        return this.post(jobId, r.from, { type: 'stream-credit', edge: r.edge, from: r.from, to: r.to, credits: r.credits });
      case 'stream-sink':
        this.host.send({ type: 'JobOutput', jobId, partition: r.partition, data: r.bytes, epoch: r.epoch });
        return;
      case 'stream-checkpointed':
        if (this.tooLarge(jobId, slot, r.vertexId, r.index, r.state, `checkpoint ${r.id}`)) return;
        this.host.send({ type: 'CheckpointAck', jobId, checkpointId: r.id, state: { vertex: r.vertexId, index: r.index, state: r.state } });
        return;
      case 'stream-subtask-done':
        if (this.tooLarge(jobId, slot, r.vertexId, r.index, r.state, 'its final state')) return;
        this.host.send({ ...this.status(jobId, `${jobId}/${r.vertexId}#${r.index}`, 'Finished', null), data: r.state });
        return;
      case 'stream-finished':
        this.finals.push({ jobId, subtasks: r.subtasks });
        this.stopSlot(jobId, slot, true);
        return;
      case 'stream-metrics': {
        const running = this.jobs.get(jobId)?.slots.get(slot);
        // (A reused thread may answer a request of its previous slot after the next one opened.)
        if (running && r.jobId === jobId) running.metrics = r.subtasks;
        return;
      }
      case 'stream-failed':
        this.slotFailed(jobId, slot, r.failure);
        return;
      case 'stream-watermarks':
        this.host.send({ type: 'ReportWatermarks', jobId, sources: r.sources });
        return;
    }
  }

  private status(jobId: string, taskId: string, state: 'Finished' | 'Failed', failure: FailureRecord | null): MessageOf<'TaskStatus'> {
    return {
      type: 'TaskStatus',
      jobId,
      taskId,
      state,
      outputs: [],
      data: null,
      failure,
      inputBytes: 0,
      returnId: '',
      returnBytes: 0,
      returnInline: false,
    };
  }

  /**
   * A subtask state travels to the head in one message: one over {@link MAX_STATE_BYTES} fails
   * the slot with `WRT_OVER_LIMIT` (the job restarts from its last checkpoint, as Flink fails over
   * on a declined checkpoint) instead of a frame the head would refuse by closing the connection.
   */
  private tooLarge(jobId: string, slot: number, vertex: string, index: number, state: Uint8Array, what: string): boolean {
    const limit = this.host.maxStateBytes ?? MAX_STATE_BYTES;
    if (state.byteLength <= limit) return false;
    this.slotFailed(jobId, slot, {
      code: 'WRT_OVER_LIMIT',
      message:
        `${what}: the state of subtask ${vertex}#${index} is ${state.byteLength} bytes, over the ${limit}-byte limit of one ` +
        `message to the head; keep less state per subtask (a higher parallelism, a shorter window or join interval)`,
      retryable: true,
    });
    return true;
  }

  private slotFailed(jobId: string, slot: number, failure: FailureRecord): void {
    if (!this.jobs.get(jobId)?.slots.has(slot)) return;
    this.host.log(`wrt node: stream job ${jobId} slot ${slot} failed: ${failure.code}: ${failure.message}`);
    this.host.send(this.status(jobId, `${jobId}/slot#${slot}`, 'Failed', failure));
    this.stopSlot(jobId, slot);
  }

  /** Stops slot `slot` of `jobId`: its thread ends, or waits for the next slot when `finished` cleanly and there is room. */
  private stopSlot(jobId: string, slot: number, finished = false): void {
    const job = this.jobs.get(jobId);
    const running = job?.slots.get(slot);
    if (!job || !running) return;
    job.slots.delete(slot);
    const t = running.thread;
    if (finished && this.warm.length < (this.host.warmThreads ?? 0)) {
      t.onMessage = () => {};
      t.onError = () => {
        const i = this.warm.indexOf(t);
        if (i >= 0) this.warm.splice(i, 1);
        void t.terminate();
      };
      this.warm.push(t);
    } else void t.terminate();
    // Credits that arrive for a slot that has finished here are dropped (post finds no job).
    if (job.slots.size === 0 && job.early.size === 0) this.jobs.delete(jobId);
  }

  /**
   * The figures of every subtask running here, by execution id (`JOB@ATTEMPT`), as each slot
   * thread last reported them, and the final figures of slots that finished since the last call;
   * asks every open slot for fresh ones (answered within a slice, about 5 ms), so each call returns
   * what the previous call asked for.
   */
  metrics(): { jobId: string; subtasks: SubtaskMetrics[] }[] {
    const out = this.finals;
    this.finals = [];
    for (const [jobId, job] of this.jobs) {
      const subtasks: SubtaskMetrics[] = [];
      for (const r of job.slots.values()) {
        subtasks.push(...r.metrics);
        if (!r.backlog) r.thread.postMessage({ type: 'stream-metrics' } satisfies StreamSlotRequest);
      }
      out.push({ jobId, subtasks });
    }
    return out;
  }

  /** Stops every slot of `jobId` on this node. */
  cancel(jobId: string): void {
    const job = this.jobs.get(jobId);
    if (!job) return;
    for (const slot of [...job.slots.keys()]) this.stopSlot(jobId, slot);
    this.jobs.delete(jobId);
  }

  /** Stops every slot (the node is stopping). */
  stopAll(): void {
    for (const id of [...this.jobs.keys()]) this.cancel(id);
    for (const t of this.warm.splice(0)) void t.terminate();
    this.unwatch();
  }

  /**
   * Starts the deadline watchdog: every 100 ms it reads each slot's progress word, and a slot whose
   * operator call has run past its deadline is stopped (its thread terminated, even mid-call, as a
   * task slot's is) and reported failed with `WRT_DEADLINE` naming the operator. The failure is not
   * retryable: the call would loop again after a restart, so the job fails and its checkpoints stop.
   */
  private watch(): void {
    if (this.watchdog) return;
    this.watchdog = setInterval(() => {
      const now = performance.timeOrigin + performance.now();
      let watched = 0;
      for (const [jobId, job] of [...this.jobs]) {
        for (const [slot, r] of [...job.slots]) {
          if (r.deadlineMs <= 0) continue;
          watched++;
          const started = r.started[0]!;
          if (started === 0 || now - started <= r.deadlineMs) continue;
          const op = r.operators[Atomics.load(r.operator, 0) - 1] ?? 'an operator';
          this.slotFailed(jobId, slot, {
            code: 'WRT_DEADLINE',
            message: `operator "${op}" ran past its deadline of ${r.deadlineMs} ms in stream slot ${slot}; the slot was stopped`,
            retryable: false,
          });
        }
      }
      if (watched === 0) this.unwatch();
    }, 100);
  }

  private unwatch(): void {
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = null;
  }
}
