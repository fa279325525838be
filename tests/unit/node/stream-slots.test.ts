// The node's side of stream slots (runtime/node/stream-slots.ts): what a slot thread reports is
// relayed to the head — unless a subtask's state would not fit one message.
import test from 'ava';
import assert from 'node:assert/strict';
import { StreamSlots } from '../../../runtime/node/stream-slots.js';
import type { Platform, SlotThread } from '../../../runtime/platform/platform.js';
import type { Message, MessageOf } from '../../../runtime/protocol/messages.js';
import { SAMPLES } from '../../helpers/protocol-samples.js';

/**
 * StreamSlots over scripted slot threads: `reply` plays a thread, `sent` is what went to the head.
 * The sample deployment is of slot 2; `slotNodes` says which slots are this node's ('n-1').
 */
async function deployed(maxStateBytes: number, warmThreads = 0, slotNodes = ['n-0', 'n-0', 'n-1']) {
  const threads: SlotThread[] = [];
  /** What each thread was sent (by thread index), and which threads were terminated. */
  const posted: { type: string }[][] = [];
  const terminated = new Set<number>();
  const platform = {
    spawnSlot: (): SlotThread => {
      const i = threads.length;
      posted.push([]);
      const t: SlotThread = {
        postMessage: (m) => posted[i]!.push(m as { type: string }),
        onMessage: null,
        onError: null,
        terminate: async () => void terminated.add(i),
      };
      threads.push(t);
      return t;
    },
  } as unknown as Platform;
  const sent: Message[] = [];
  const slots = new StreamSlots(platform, new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }), {
    nodeId: () => 'n-1',
    send: (m) => sent.push(m),
    module: async () => new WebAssembly.Module(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0])),
    outputCapBytes: 1 << 20,
    log: () => {},
    maxStateBytes,
    warmThreads,
  });
  const deploy = SAMPLES.find((m) => m.type === 'DeployStreamSlot') as MessageOf<'DeployStreamSlot'>;
  const open = async (jobId: string): Promise<void> => {
    slots.handle({ ...deploy, jobId, slotNodes });
    await new Promise((r) => setImmediate(r));
  };
  await open(deploy.jobId);
  const reply = (r: unknown, thread = 0): void => threads[thread]!.onMessage!(r);
  return { slots, sent, reply, jobId: deploy.jobId, slot: deploy.slot, threads, posted, terminated, open };
}

test('a checkpoint state within the limit goes to the head; one over it fails the slot with WRT_OVER_LIMIT, naming the subtask', async () => {
  const { slots, sent, reply, jobId, slot } = await deployed(1000);
  reply({ type: 'stream-checkpointed', vertexId: 'window', index: slot, id: 3, state: new Uint8Array(1000) });
  assert.deepEqual(
    sent.map((m) => m.type),
    ['CheckpointAck'],
  );
  reply({ type: 'stream-checkpointed', vertexId: 'window', index: slot, id: 4, state: new Uint8Array(1001) });
  assert.equal(sent.length, 2, 'no CheckpointAck for checkpoint 4');
  const status = sent[1]!;
  assert.equal(status.type, 'TaskStatus');
  if (status.type !== 'TaskStatus') return;
  assert.equal(status.state, 'Failed');
  assert.equal(status.jobId, jobId);
  assert.equal(status.failure?.code, 'WRT_OVER_LIMIT');
  assert.match(status.failure?.message ?? '', /checkpoint 4: the state of subtask window#2 is 1001 bytes, over the 1000-byte limit/);
  assert.equal(slots.running, 0, 'the slot stopped');
});

test("a finished slot's thread opens the next slot deployed (kept warm); a failed slot's thread is terminated", async () => {
  const { slots, sent, reply, threads, posted, terminated, open } = await deployed(1 << 20, 1);
  reply({ type: 'stream-finished', subtasks: [] });
  assert.equal(slots.running, 0);
  assert.equal(terminated.size, 0, 'kept, not terminated');

  await open('j-next@1');
  assert.equal(threads.length, 1, 'no new thread');
  assert.deepEqual(
    posted[0]!.map((m) => m.type),
    ['init', 'stream-open', 'stream-open'],
    'the second open goes to the same thread, without a second init',
  );
  // A late answer for the previous slot is not taken as the new one's figures.
  assert.deepEqual(
    slots.metrics().map((m) => m.jobId),
    ['j-2', 'j-next@1'],
    "the finished slot's final figures, then the new one's",
  );
  reply({
    type: 'stream-metrics',
    jobId: 'j-2',
    subtasks: [{ vertexId: 'old', index: 2, recordsIn: 9, recordsOut: 9, backPressuredMs: 0, outputWatermark: 0 }],
  });
  assert.deepEqual(slots.metrics(), [{ jobId: 'j-next@1', subtasks: [] }]);

  // This slot fails: its thread goes with it, and the next deployment gets a fresh one.
  reply({ type: 'stream-failed', failure: { code: 'WRT_OPERATOR_TRAP', message: 'trap', retryable: false } });
  assert.ok(terminated.has(0));
  assert.equal(sent.at(-1)?.type, 'TaskStatus');
  await open('j-third@1');
  assert.equal(threads.length, 2);
  assert.deepEqual(
    posted[1]!.map((m) => m.type),
    ['init', 'stream-open'],
  );
  slots.stopAll();
  assert.ok(terminated.has(1));
});

test("without warm threads (the default) a finished slot's thread is terminated", async () => {
  const { reply, terminated } = await deployed(1 << 20);
  reply({ type: 'stream-finished', subtasks: [] });
  assert.ok(terminated.has(0));
});

test('what comes for a slot of this node before its deployment waits for it (a slot deployed earlier may already send to it)', async () => {
  const { slots, reply, jobId, threads, posted } = await deployed(1 << 20, 0, ['n-1', 'n-1', 'n-1']);
  const deploy = SAMPLES.find((m) => m.type === 'DeployStreamSlot') as MessageOf<'DeployStreamSlot'>;
  // Thread 0 runs slot 2 (the sample's); slots 0 and 1 are this node's too and not deployed yet.
  const batch = new Uint8Array([1, 2, 3]);
  reply({ type: 'stream-out', edge: 1, from: 2, to: 0, element: { type: 'batch', bytes: batch } });
  reply({ type: 'stream-out', edge: 1, from: 2, to: 0, element: { type: 'watermark', time: 7 } });
  slots.handle({ type: 'TriggerCheckpoint', jobId, checkpointId: 1 });
  assert.equal(threads.length, 1, 'no thread before the deployment');

  slots.handle({ ...deploy, slot: 0, slotNodes: ['n-1', 'n-1', 'n-1'] });
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(
    posted[1]!.map((m) => m.type + ('element' in m ? `:${(m.element as { type: string }).type}` : '')),
    ['init', 'stream-open', 'stream-in:batch', 'stream-in:watermark', 'stream-trigger'],
    'in the order they came, behind the open',
  );
  assert.deepEqual((posted[1]![2] as unknown as { element: { bytes: Uint8Array } }).element.bytes, batch);

  // Slots 2 and 0 finish; slot 1 is still to come, so the job stays and keeps what comes for it.
  reply({ type: 'stream-finished', subtasks: [] }, 0);
  reply({ type: 'stream-out', edge: 1, from: 0, to: 1, element: { type: 'end' } }, 1);
  reply({ type: 'stream-grant', edge: 1, from: 2, to: 0, credits: 1 }, 1);
  reply({ type: 'stream-finished', subtasks: [] }, 1);
  slots.handle({ ...deploy, slot: 1, slotNodes: ['n-1', 'n-1', 'n-1'] });
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(
    posted[2]!.map((m) => m.type),
    ['init', 'stream-open', 'stream-trigger', 'stream-in'],
    'the trigger and the end came through; the credit for the finished slot 2 was dropped',
  );
  reply({ type: 'stream-finished', subtasks: [] }, 2);
  assert.equal(slots.running, 0);
  // The job is gone here: what comes for it now is dropped.
  slots.handle({ ...deploy, type: 'StreamCredit', jobId, edge: 1, from: 1, to: 1, credits: 1 } as unknown as MessageOf<'StreamCredit'>);
  assert.equal(posted[2]!.length, 4);
});
