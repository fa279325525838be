// Watermark alignment (FLIP-182): the slots of Nexmark q1 (whose source aligns group "events"
// within 5 s; its subtasks exchange nothing, so only alignment holds the fed one back) run in one
// thread, slot 0 starved of time; the head's aligner (a WatermarkAligner) sits between their
// reports and announcements as on the head. Aligned, the two source subtasks stay within the
// drift (plus what a report interval lets pass); not aligned, the fed slot runs far ahead. Both
// give exactly the reference runner's output. (q7 showed it too, but there the shuffles' credits
// also bound how far a slot runs ahead, by an amount that moves with the operators' speed.) Also: the slot-side throttle and
// pause rule, and what the aligner refuses.
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
import { SourceAlignment, type AlignedSource } from '../../../runtime/stream/watermark-alignment.js';
import { WatermarkAligner } from '../../../runtime/scheduler/watermark-aligner.js';
import type { SourceWatermark } from '../../../runtime/protocol/messages.js';

const root = join(import.meta.dirname, '../../../..');
const module = new WebAssembly.Module(readFileSync(join(root, 'samples/nexmark/build/pipeline.core.wasm')));
const instantiate = (imports: WebAssembly.Imports): WebAssembly.Instance =>
  new WebAssembly.Instance(module, { ...refusingKeyedState(module), ...imports });

function planOf(query: string, events: number): StreamPlan {
  const args = { query, events: String(events), seed: '3' };
  return planStreamJob(decodeJobGraph(callConfigure(instantiate({}), args)), args, 2);
}

/** Runs the two slots of `plan` to the end, slot 0 given a sliver of time; returns the largest source drift seen and the output. */
async function runStarved(
  plan: StreamPlan,
  aligned: boolean,
): Promise<{ maxDrift: number; parts: Map<number, Uint8Array[]>; reports: number }> {
  const slots: StreamSlot[] = [];
  const parts = new Map<number, Uint8Array[]>();
  let finished = 0;
  let failure: unknown = null;
  let reports = 0;
  let maxDrift = 0;
  const aligner = new WatermarkAligner(
    plan,
    (i) => `n${i}`,
    (group, min) => setImmediate(() => slots.forEach((s) => s.align(group, min))),
    (why) => assert.fail(why),
  );
  const sourceWatermark = (s: StreamSlot): number => s.metrics().find((m) => m.vertexId === 'events')!.outputWatermark;
  const sample = (): void => {
    const [a, b] = slots.map(sourceWatermark) as [number, number];
    const done = slots.map((s) => s.metrics().find((m) => m.vertexId === 'events')!.outputWatermark >= Number.MAX_SAFE_INTEGER);
    if (Number.isFinite(a) && Number.isFinite(b) && !done.some(Boolean)) maxDrift = Math.max(maxDrift, Math.abs(a - b));
  };
  for (let s = 0; s < 2; s++) {
    const slot = new StreamSlot(
      plan,
      s,
      {
        instantiate,
        outputCapBytes: 64 << 20,
        sendRemote: (edge, from, to, element) => setImmediate(() => slots[to]!.receive(edge, from, to, element)),
        grantCredit: (edge, from, to, credits) => setImmediate(() => slots[from]!.credit(edge, from, to, credits)),
        sinkOutput: (partition, bytes) => parts.set(partition, [...(parts.get(partition) ?? []), bytes]),
        checkpointed: () => {},
        subtaskDone: () => {},
        finished: () => finished++,
        failed: (err) => (failure = err),
        // Slot 0 runs a slice only every few ms (and a short one): left alone, slot 1 runs ahead.
        schedule: (fn) => {
          if (s === 0) setTimeout(fn, 2);
          else setImmediate(fn);
        },
        reportWatermarks: aligned
          ? (sources: SourceWatermark[]) => {
              reports++;
              sample();
              setImmediate(() => aligner.report(`n${s}`, sources));
            }
          : undefined,
      },
      { credits: 4, batchRows: 200, sliceMs: s === 0 ? 0.5 : 5 },
    );
    slots.push(slot);
  }
  slots.forEach((s) => s.start());
  while (finished < 2 && failure === null) {
    sample();
    await new Promise((r) => setTimeout(r, 1));
  }
  assert.equal(failure, null);
  return { maxDrift, parts, reports };
}

test.serial(
  'aligned sources keep within the drift of each other; unaligned, the fed one runs ahead; the output is exact either way',
  async (t) => {
    const plan = planOf('q1', 300_000);
    const spec = plan.byId.get('events')!.vertex.watermarkAlignment!;
    assert.deepEqual(spec, { group: 'events', maxDriftMs: 5000, updateIntervalMs: 10 });

    const free = await runStarved(plan, false);
    const held = await runStarved(plan, true);
    // 300,000 events are 30 s of event time; a 200-row batch per subtask moves it 40 ms. Reports go
    // every 10 ms of processing time, in which the fed slot reads at most a few seconds of events.
    assert.ok(free.maxDrift > 10_000, `unaligned: the fed source ran only ${free.maxDrift} ms ahead; the test shows nothing`);
    assert.ok(held.maxDrift <= spec.maxDriftMs + 2500, `aligned: the sources drifted ${held.maxDrift} ms apart`);
    assert.ok(held.reports > 2);
    t.log(`largest drift: ${free.maxDrift} ms unaligned, ${held.maxDrift} ms aligned (${held.reports} reports)`);

    const reference = runLocally(plan, { instantiate, batchRows: 200 }).parts.get('sink')!;
    const lines = (b: Uint8Array): string[] => new TextDecoder().decode(b).split('\n').sort();
    for (const run of [free, held]) {
      assert.equal(run.parts.size, reference.length);
      reference.forEach((r, i) => assert.deepEqual(lines(concatBytes(run.parts.get(i)!)), lines(r.part), `part ${i}`));
    }
  },
);

test('a slot reports changed watermarks at most once an interval and pauses a source only past min + drift', async () => {
  let w = 1000;
  const source: AlignedSource = {
    vertexId: 'src',
    index: 1,
    spec: { group: 'g', maxDriftMs: 100, updateIntervalMs: 30 },
    watermark: () => w,
  };
  const sent: SourceWatermark[][] = [];
  let wakes = 0;
  const a = new SourceAlignment(
    [source],
    (c) => sent.push(c),
    () => wakes++,
  );

  assert.equal(a.paused(source), false, 'no minimum announced yet: nothing holds it');
  a.observe();
  assert.deepEqual(sent, [[{ vertex: 'src', index: 1, watermark: 1000 }]], 'the first change goes at once');
  w = 1200;
  a.observe();
  a.observe();
  assert.equal(sent.length, 1, 'the next waits for the interval');
  await new Promise((r) => setTimeout(r, 60));
  assert.deepEqual(sent[1], [{ vertex: 'src', index: 1, watermark: 1200 }], 'then goes with the latest value');
  a.observe();
  assert.equal(sent.length, 2, 'an unchanged watermark is not reported again');

  a.align('g', 1100);
  assert.equal(wakes, 1);
  assert.equal(a.paused(source), false, '1200 ≤ 1100 + 100');
  a.align('g', 1099);
  assert.equal(a.paused(source), true, '1200 > 1099 + 100');
  a.align('other', 0);
  assert.equal(a.paused(source), true, 'another group does not touch it');
  a.align('g', Infinity);
  assert.equal(a.paused(source), false, 'nothing holds the group back');

  w = Infinity;
  a.stop();
  a.observe();
  await new Promise((r) => setTimeout(r, 40));
  assert.equal(sent.length, 2, 'a stopped alignment reports nothing');
});

test('the head aligner announces the minimum of finite watermarks and refuses reports a node may not make', () => {
  const plan = planOf('q7', 1000);
  const announced: [string, number][] = [];
  const refused: string[] = [];
  const nodes = ['n-a', 'n-b'];
  const aligner = new WatermarkAligner(
    plan,
    (i) => nodes[i],
    (g, m) => announced.push([g, m]),
    (why) => refused.push(why),
  );
  assert.equal(aligner.active, true);

  aligner.report('n-a', [{ vertex: 'events', index: 0, watermark: 5000 }]);
  assert.deepEqual(announced, [['events', 5000]], 'one subtask reported: it is the slowest so far');
  aligner.report('n-b', [{ vertex: 'events', index: 1, watermark: -Infinity }]);
  assert.equal(announced.length, 1, 'a subtask without a watermark yet holds no one back');
  aligner.report('n-b', [{ vertex: 'events', index: 1, watermark: 3000 }]);
  assert.deepEqual(announced.at(-1), ['events', 3000]);
  aligner.report('n-b', [{ vertex: 'events', index: 1, watermark: 4000 }]);
  assert.deepEqual(announced.at(-1), ['events', 4000]);
  aligner.report('n-b', [{ vertex: 'events', index: 1, watermark: Infinity }]);
  assert.deepEqual(announced.at(-1), ['events', 5000], 'an ended subtask leaves the minimum to the others');
  const before = announced.length;
  aligner.report('n-a', [{ vertex: 'events', index: 0, watermark: 5000 }]);
  assert.equal(announced.length, before, 'an unchanged minimum is not announced again');

  // Attacks: another node's subtask, a vertex that is no aligned source, an index out of range, NaN.
  aligner.report('n-a', [{ vertex: 'events', index: 1, watermark: 0 }]);
  aligner.report('n-a', [{ vertex: 'sink', index: 0, watermark: 0 }]);
  aligner.report('n-a', [{ vertex: 'events', index: 7, watermark: 0 }]);
  aligner.report('n-a', [{ vertex: 'events', index: 0, watermark: Number.NaN }]);
  assert.equal(refused.length, 4, refused.join('\n'));
  assert.match(refused[0]!, /events#1, which runs on another node/);
  assert.match(refused[1]!, /sink#0, which is no aligned source subtask/);
  assert.match(refused[2]!, /events#7, which is no aligned source subtask/);
  assert.match(refused[3]!, /not a time/);
  assert.equal(announced.length, before, 'nothing refused moved the minimum');
  assert.equal(aligner.minima.get('events'), 5000);

  aligner.reset();
  assert.equal(aligner.minima.size, 0, 'a new attempt starts with no reports');
});
