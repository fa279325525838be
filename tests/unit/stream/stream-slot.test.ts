// Slots of a stream job wired to each other as the node agents wire them, in one thread: the
// credit-based flow control keeps every channel at most `credits` batches ahead of its receiver —
// a receiver that returns no credit stops its senders, sources included — and, once credit flows,
// the slots finish with the same output as the reference runner. Aligned checkpoints: a run
// stopped after checkpoint 2 and restarted from its snapshots gives, with the output committed by
// checkpoint 2, exactly the undisturbed output — nothing lost, nothing twice — for every kind of
// stateful operator (windows, interval join, keyed process functions with timers, aggregates).
import test from 'ava';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { callConfigure } from '../../../runtime/sandbox/operator-call.js';
import { decodeJobGraph } from '../../../runtime/protocol/job-graph-codec.js';
import { planStreamJob, type StreamPlan } from '../../../runtime/stream/execution-graph.js';
import { runLocally, concatBytes } from '../../../runtime/stream/local-runner.js';
import { refusingKeyedState } from '../../../runtime/stream/keyed-state-imports.js';
import { StreamSlot } from '../../../runtime/stream/stream-slot.js';
import type { StreamElement } from '../../../runtime/stream/stream-subtask.js';

const root = join(import.meta.dirname, '../../../..');
const module = new WebAssembly.Module(readFileSync(join(root, 'samples/nexmark/build/pipeline.core.wasm')));
const instantiate = (imports: WebAssembly.Imports): WebAssembly.Instance =>
  new WebAssembly.Instance(module, { ...refusingKeyedState(module), ...imports });
const CREDITS = 3;

function planOf(query: string, events: number, parallelism: number): StreamPlan {
  const args = { query, events: String(events), seed: '3' };
  return planStreamJob(decodeJobGraph(callConfigure(instantiate({}), args)), args, parallelism);
}

/** Slots of one job connected as the agents connect them; credits can be held back. */
class Harness {
  readonly slots: StreamSlot[] = [];
  /** Batches sent minus credits returned, by channel. */
  readonly inFlight = new Map<string, number>();
  maxInFlight = 0;
  batchesSent = 0;
  holdCredits = true;
  readonly held: (() => void)[] = [];
  readonly parts = new Map<number, Uint8Array[]>();
  /** Sink pieces with the epoch they were written in. */
  readonly pieces: { partition: number; bytes: Uint8Array; epoch: number }[] = [];
  /** Snapshots by checkpoint id, by "vertex#index"; final states of finished subtasks. */
  readonly acks = new Map<number, Map<string, Uint8Array>>();
  readonly finals = new Map<string, Uint8Array>();
  /** Called after each batch sent between slots (to trigger checkpoints or stop mid-run). */
  onBatch: (() => void) | null = null;
  finished = 0;
  failure: unknown = null;
  failedVertex = '';
  private pending = 0;

  constructor(
    readonly plan: StreamPlan,
    restore?: Map<string, Uint8Array>,
    batchRows = 200,
  ) {
    const count = Math.max(...plan.vertices.map((v) => v.parallelism));
    for (let s = 0; s < count; s++) {
      this.slots.push(
        new StreamSlot(
          plan,
          s,
          {
            instantiate,
            outputCapBytes: 64 << 20,
            sendRemote: (edge, from, to, element) => this.deliver(edge, from, to, element),
            grantCredit: (edge, from, to, credits) => {
              const give = (): void => {
                const key = `${edge}/${from}/${to}`;
                this.inFlight.set(key, this.inFlight.get(key)! - credits);
                this.later(() => this.slots[from]!.credit(edge, from, to, credits));
              };
              if (this.holdCredits) this.held.push(give);
              else give();
            },
            sinkOutput: (partition, bytes, _rows, epoch) => {
              this.parts.set(partition, [...(this.parts.get(partition) ?? []), bytes]);
              this.pieces.push({ partition, bytes, epoch });
            },
            checkpointed: (vertexId, index, id, state) => {
              if (!this.acks.has(id)) this.acks.set(id, new Map());
              this.acks.get(id)!.set(`${vertexId}#${index}`, state);
            },
            subtaskDone: (vertexId, index, state) => this.finals.set(`${vertexId}#${index}`, state),
            finished: () => this.finished++,
            failed: (err, vertexId) => {
              this.failure = err;
              this.failedVertex = vertexId;
            },
            schedule: (fn) => this.later(fn),
          },
          { credits: CREDITS, batchRows },
        ),
      );
    }
    if (restore) {
      this.slots.forEach((slot, s) => {
        const mine = new Map<string, Uint8Array>();
        for (const [key, state] of restore) if (key.endsWith(`#${s}`)) mine.set(key.slice(0, key.lastIndexOf('#')), state);
        slot.restore(mine);
      });
    }
  }

  /** Every subtask's state in checkpoint `id`, when complete: its snapshot, or its final state if it finished first. */
  checkpoint(id: number): Map<string, Uint8Array> | null {
    const out = new Map<string, Uint8Array>();
    for (const pv of this.plan.vertices) {
      for (let i = 0; i < pv.parallelism; i++) {
        const key = `${pv.vertex.id}#${i}`;
        const state = this.acks.get(id)?.get(key) ?? this.finals.get(key);
        if (!state) return null;
        out.set(key, state);
      }
    }
    return out;
  }

  private deliver(edge: number, from: number, to: number, element: StreamElement): void {
    if (element.type === 'batch') {
      const key = `${edge}/${from}/${to}`;
      const n = (this.inFlight.get(key) ?? 0) + 1;
      this.inFlight.set(key, n);
      this.maxInFlight = Math.max(this.maxInFlight, n);
      this.batchesSent++;
      this.onBatch?.();
    }
    this.later(() => this.slots[to]!.receive(edge, from, to, element));
  }

  /** Runs `fn` in a later macrotask (messages between threads are asynchronous). */
  private later(fn: () => void): void {
    this.pending++;
    setImmediate(() => {
      this.pending--;
      fn();
    });
  }

  /** Resolves once every slot has finished (or one failed). */
  async run(): Promise<void> {
    this.slots.forEach((s) => s.start());
    while (this.finished < this.slots.length && this.failure === null) await new Promise((r) => setImmediate(r));
    assert.equal(this.failure, null);
  }

  /** Resolves once nothing is scheduled: every slot waits for a message. */
  async quiet(): Promise<void> {
    while (this.pending > 0) await new Promise((r) => setImmediate(r));
  }
}

test.serial(
  'a receiver that returns no credit stops its senders after `credits` batches per channel; then the job completes exactly',
  async () => {
    const plan = planOf('q5', 40_000, 2);
    const h = new Harness(plan);
    h.slots.forEach((s) => s.start());
    await h.quiet();
    assert.equal(h.failure, null);
    assert.equal(h.finished, 0, 'the job must not finish without credit');
    assert.equal(h.maxInFlight, CREDITS, 'a channel filled its credit and went no further');
    for (const [channel, n] of h.inFlight) assert.ok(n <= CREDITS, `${channel}: ${n} batches in flight`);
    const stalledAt = h.batchesSent;
    // 40,000 events in batches of 200 per source subtask: far more than the credit allows.
    assert.ok(stalledAt <= CREDITS * h.inFlight.size, `${stalledAt} batches sent while stalled`);
    // While stalled, the sources count the time as back-pressure (the wait itself is what is measured).
    const before = h.slots.map((slot) => slot.metrics().find((m) => m.vertexId === 'events')!.backPressuredMs);
    await new Promise((r) => setTimeout(r, 40));
    h.slots.forEach((slot, i) => {
      const m = slot.metrics().find((x) => x.vertexId === 'events')!;
      assert.ok(m.backPressuredMs - before[i]! >= 30, `slot ${i}: ${m.backPressuredMs - before[i]!} ms back-pressured in 40 ms`);
      assert.equal(m.index, i);
    });

    h.holdCredits = false;
    for (const give of h.held.splice(0)) give();
    while (h.finished < h.slots.length && h.failure === null) await new Promise((r) => setImmediate(r));
    assert.equal(h.failure, null);
    assert.ok(h.batchesSent > stalledAt * 4);
    assert.ok(h.maxInFlight <= CREDITS);
    for (const [channel, n] of h.inFlight) assert.equal(n, 0, `${channel}: every batch was credited back`);

    const reference = runLocally(plan, { instantiate, batchRows: 200 }).parts.get('sink')!;
    const lines = (b: Uint8Array): string[] => new TextDecoder().decode(b).split('\n').sort();
    assert.equal(h.parts.size, reference.length);
    reference.forEach((r, i) => assert.deepEqual(lines(concatBytes(h.parts.get(i)!)), lines(r.part), `part ${i}`));

    // Records in and out, summed over the slots: what each vertex sent on, the next took in.
    const sum = (vertex: string, k: 'recordsIn' | 'recordsOut'): number =>
      h.slots.reduce((n, slot) => n + slot.metrics().find((m) => m.vertexId === vertex)![k], 0);
    assert.equal(sum('events', 'recordsIn'), 0);
    assert.equal(sum('events', 'recordsOut'), 40_000, 'the source sends every event on');
    assert.equal(sum('auctionIds', 'recordsOut'), 36_800, 'q5 keeps the bids');
    for (const pv of plan.vertices)
      for (const e of pv.outputs) assert.equal(sum(e.to, 'recordsIn'), sum(e.from, 'recordsOut'), `${e.from} → ${e.to}`);
    const rows = reference.reduce((n, r) => n + lines(r.part).filter((l) => l && !l.startsWith('auction')).length, 0);
    assert.equal(sum('sink', 'recordsIn'), rows, 'the sink took in every output row');
    for (const slot of h.slots)
      for (const m of slot.metrics()) assert.ok(Number.isFinite(m.outputWatermark), `${m.vertexId} has a watermark`);
  },
);

test.serial('a batch that arrives corrupted fails the receiving subtask, which the failure names', async () => {
  const plan = planOf('q5', 5_000, 2);
  const h = new Harness(plan);
  h.holdCredits = false;
  const slot = h.slots[1]!;
  const receive = slot.receive.bind(slot);
  slot.receive = (edge, from, to, element) =>
    receive(edge, from, to, element.type === 'batch' ? { type: 'batch', bytes: element.bytes.slice(0, 10) } : element);
  h.slots.forEach((s) => s.start());
  while (h.failure === null && h.finished < h.slots.length) await new Promise((r) => setImmediate(r));
  assert.match(String(h.failure), /WRT_BAD_BATCH|truncated|row batch/i);
  const receiver = plan.byId.get(h.failedVertex);
  assert.ok(receiver, `"${h.failedVertex}" is a vertex of the job`);
  assert.ok(
    receiver.inputs.some((e) => e.partitioning === 'Hash'),
    `"${h.failedVertex}" reads a keyed channel, the only kind that crosses slots here`,
  );
  await h.quiet();
  assert.equal(h.finished, 0);
});

const lines = (parts: Iterable<Uint8Array>): string[] => {
  const out: string[] = [];
  for (const p of parts)
    out.push(
      ...new TextDecoder()
        .decode(p)
        .split('\n')
        .filter((l) => l.length > 0),
    );
  return out.sort();
};

for (const [query, events] of [
  ['q3', 150_000],
  ['q4', 30_000],
  ['q5', 30_000],
  ['q7', 30_000],
  ['q8', 150_000],
  ['q11', 30_000],
] as const) {
  test.serial(`${query}: stopped after checkpoint 2 and restored from it, the committed output equals an undisturbed run's`, async () => {
    const plan = planOf(query, events, 2);
    const undisturbed = new Harness(plan, undefined, 50);
    undisturbed.holdCredits = false;
    await undisturbed.run();
    const total = undisturbed.batchesSent;
    assert.ok(total > 40, `${query}: only ${total} batches cross slots; use more events`);

    // The first run: checkpoints 1 and 2 at 20% and 40% of the batches; stopped at 60% (once 2 is complete).
    const first = new Harness(plan, undefined, 50);
    first.holdCredits = false;
    let stopped = false;
    first.onBatch = () => {
      if (first.batchesSent === Math.floor(total * 0.2)) first.slots.forEach((s) => s.trigger(1));
      if (first.batchesSent === Math.floor(total * 0.4)) first.slots.forEach((s) => s.trigger(2));
      if (!stopped && first.batchesSent >= Math.floor(total * 0.6) && first.checkpoint(2)) {
        stopped = true;
        first.slots.forEach((s) => s.stop());
      }
    };
    first.slots.forEach((s) => s.start());
    while (!stopped && first.finished < first.slots.length && first.failure === null) await new Promise((r) => setImmediate(r));
    assert.equal(first.failure, null);
    assert.ok(stopped, `${query}: the first run ended before it could be stopped after checkpoint 2`);
    const states = first.checkpoint(2)!;
    // What checkpoint 2 commits: pieces written before each sink passed barrier 2 — all of a sink that finished first.
    const committed = first.pieces.filter((p) => p.epoch < 2 || first.acks.get(2)?.has(`sink#${p.partition}`) === false);

    const second = new Harness(plan, states, 50);
    second.holdCredits = false;
    await second.run();
    assert.ok(second.batchesSent < total, 'the restored run starts from the checkpoint, not from the beginning');
    const got = lines([...committed.map((p) => p.bytes), ...second.pieces.map((p) => p.bytes)]);
    assert.deepEqual(got, lines([...undisturbed.parts.values()].flat()));
  });
}

test.serial('a long alignment holds at most its credit per held channel; the sources behind it wait, and the output is exact', async () => {
  // q7 at parallelism 2: the join in each slot reads bids from both slots and the maxima from one.
  const plan = planOf('q7', 60_000, 2);
  const h = new Harness(plan, undefined, 100);
  h.holdCredits = false;
  let maxHeld = 0;
  let slot1Triggered = false;
  h.onBatch = () => {
    maxHeld = Math.max(maxHeld, h.slots[0]!.heldBatches + h.slots[1]!.heldBatches);
    // Checkpoint 1 starts in slot 0 at once, in slot 1 only after 300 more batches have crossed:
    // everything slot 0's sources send meanwhile reaches subtasks aligning on checkpoint 1.
    if (!slot1Triggered && h.batchesSent >= 320) {
      slot1Triggered = true;
      h.slots[1]!.trigger(1);
    }
  };
  h.slots.forEach((s) => s.start());
  await new Promise((r) => setImmediate(r));
  h.slots[0]!.trigger(1);
  while (h.finished < h.slots.length && h.failure === null) await new Promise((r) => setImmediate(r));
  assert.equal(h.failure, null);
  assert.ok(h.checkpoint(1), 'checkpoint 1 completed');
  // Per subtask that aligns: CREDITS batches per held channel from the other slot, and CREDITS
  // more within the slot before its senders stop (a batch or two over, from one drain of a sender).
  const aligning = plan.vertices.filter((v) => v.inputs.length > 0).length * 2;
  assert.ok(maxHeld <= aligning * CREDITS * 3, `held at most ${maxHeld} batches`);
  const reference = runLocally(plan, { instantiate, batchRows: 100 }).parts.get('sink')!;
  assert.deepEqual(lines([...h.parts.values()].flat()), lines(reference.map((r) => r.part)));
});
