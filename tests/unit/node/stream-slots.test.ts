// The node's side of stream slots (runtime/node/stream-slots.ts): what a slot thread reports is
// relayed to the head — unless a subtask's state would not fit one message.
import test from 'ava';
import assert from 'node:assert/strict';
import { StreamSlots } from '../../../runtime/node/stream-slots.js';
import type { Platform, SlotThread } from '../../../runtime/platform/platform.js';
import type { Message, MessageOf } from '../../../runtime/protocol/messages.js';
import { SAMPLES } from '../../helpers/protocol-samples.js';

/** StreamSlots over a scripted slot thread: `reply` plays the thread, `sent` is what went to the head. */
async function deployed(maxStateBytes: number) {
  const threads: SlotThread[] = [];
  const platform = {
    spawnSlot: (): SlotThread => {
      const t: SlotThread = { postMessage: () => {}, onMessage: null, onError: null, terminate: async () => {} };
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
  });
  const deploy = SAMPLES.find((m) => m.type === 'DeployStreamSlot') as MessageOf<'DeployStreamSlot'>;
  slots.handle({ ...deploy, slotNodes: ['n-1', 'n-1', 'n-1'] });
  await new Promise((r) => setImmediate(r));
  const reply = (r: unknown): void => threads[0]!.onMessage!(r);
  return { slots, sent, reply, jobId: deploy.jobId, slot: deploy.slot };
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
