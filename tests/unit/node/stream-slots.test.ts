// The node's side of stream slots (runtime/node/stream-slots.ts): what a slot thread reports is
// relayed to the head — unless a subtask's state would not fit one message.
import test from 'ava';
import assert from 'node:assert/strict';
import { StreamSlots } from '../../../runtime/node/stream-slots.js';
import type { Platform, SlotThread } from '../../../runtime/platform/platform.js';
import type { Message, MessageOf } from '../../../runtime/protocol/messages.js';
import { SAMPLES } from '../../helpers/protocol-samples.js';

/** StreamSlots over a scripted slot thread: `reply` plays the thread, `sent` is what went to the head. */
async function deployed(maxStateBytes: number, warmThreads = 0) {
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
    slots.handle({ ...deploy, jobId, slotNodes: ['n-1', 'n-1', 'n-1'] });
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
