// Short ASCII strings bypass TextEncoder: the bytes must be exactly the library's, and every other
// string (long, non-ASCII, NUL inside) must still round-trip.
import test from 'ava';
import assert from 'node:assert/strict';
import * as flatbuffers from 'flatbuffers';
import { SHORT_STRING, WireBuilder } from '../../../runtime/protocol/ascii-strings.js';
import { decodeMessage, encodeMessage } from '../../../runtime/protocol/codec.js';
import type { Message } from '../../../runtime/protocol/messages.js';

const STRINGS = [
  '',
  't-1a2b3c4d-17',
  'x'.repeat(SHORT_STRING),
  'y'.repeat(SHORT_STRING + 1),
  'nul\u0000inside',
  'del\u007f',
  'héllo',
  '日本語',
  '\u{1f600} emoji',
  'a'.repeat(SHORT_STRING - 1) + 'é',
];

test('WireBuilder lays out every string byte for byte as the FlatBuffers library does', () => {
  for (const s of STRINGS) {
    const ours = new WireBuilder(16);
    const theirs = new flatbuffers.Builder(16);
    ours.finish(ours.createString(s));
    theirs.finish(theirs.createString(s));
    assert.deepEqual(ours.asUint8Array(), theirs.asUint8Array(), JSON.stringify(s));
  }
});

test('messages with ids and names of every kind round-trip through encode and decode', () => {
  for (const s of STRINGS) {
    const m: Message = { type: 'LookupActor', requestId: 7, name: s };
    assert.deepEqual(decodeMessage(encodeMessage(m)), m, JSON.stringify(s));
  }
});
