// The head's object relay (runtime/head/object-relay.ts) passes a chunk on only from the holder a
// pull was sent to: a driver or node cannot answer (or forge) pulls of others.
import test from 'ava';
import assert from 'node:assert/strict';
import { ObjectRelay } from '../../../runtime/head/object-relay.js';
import { ObjectDirectory } from '../../../runtime/scheduler/object-directory.js';
import type { Message, MessageOf } from '../../../runtime/protocol/messages.js';

test('a chunk reaches the requester only from the holder the pull went to, for that object; a forged one is dropped', () => {
  const objects = new ObjectDirectory();
  objects.create('o-1', 'd-1', null);
  objects.ready('o-1', 'd-1', 2, null); // held by driver d-1 (ADR 0010)
  const sent: [string, Message][] = [];
  const relay = new ObjectRelay({ objects, reachable: () => true, sendTo: (id, m) => sent.push([id, m]) });
  relay.routePull('n-1', { type: 'ObjectPull', requestId: 5, objectId: 'o-1', nodeId: '', requester: '', offset: 0, length: 2 });
  assert.deepEqual(
    sent.map(([to, m]) => [to, m.type]),
    [['d-1', 'ObjectPull']],
    'routed to the driver holding it',
  );
  const chunk = (objectId: string, data: number[]): MessageOf<'ObjectChunk'> => ({
    type: 'ObjectChunk',
    requestId: 5,
    objectId,
    requester: 'n-1',
    offset: 0,
    totalBytes: data.length,
    data: new Uint8Array(data),
    failure: null,
  });
  assert.equal(relay.relayChunk('d-2', chunk('o-1', [6, 6])), false, 'another driver');
  assert.equal(relay.relayChunk('n-2', chunk('o-1', [6, 6])), false, 'a node');
  assert.equal(relay.relayChunk('d-1', chunk('o-2', [6, 6])), false, 'the holder, for another object');
  assert.equal(sent.length, 1, 'nothing forged reached n-1');
  assert.equal(relay.relayChunk('d-1', chunk('o-1', [1, 2])), true);
  assert.deepEqual(sent[1], ['n-1', chunk('o-1', [1, 2])]);
  assert.equal(relay.relayChunk('d-1', chunk('o-1', [1, 2])), false, 'the pull is over: nothing more passes');
});
