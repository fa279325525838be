/**
 * Encoding and guarded decoding of wire messages: one FlatBuffers `Envelope` (file identifier
 * "WRT1", runtime/protocol/wire.fbs) per message, several messages per frame (frame.ts). The
 * bodies are encoded and decoded per message family: cluster-codec.ts (membership, errors),
 * job-codec.ts (jobs, deployments), task-codec.ts (tasks, actors), object-codec.ts (objects),
 * stream-codec.ts (stream execution), auth-codec.ts (the authentication handshake); wire-tables.ts holds what they share.
 *
 * {@link decodeMessage} is the only way messages are read. It never throws anything but a
 * `WrtError` with code `WRT_PROTOCOL`: a truncated, corrupted, oversized or unknown message becomes
 * that error, and the caller closes the connection.
 */
import type * as flatbuffers from 'flatbuffers';
import { WrtError } from '../errors.js';
import { CheckedByteBuffer, FrameBoundsError } from './checked-byte-buffer.js';
import { WireBuilder } from './ascii-strings.js';
import { copyBytes } from '../store/small-copy.js';
import type { Connection } from '../platform/platform.js';
import type { Message } from './messages.js';
import { WireReader, type B } from './wire-tables.js';
import { MAX_FRAME_BYTES, splitFrame } from './frame.js';
import { decodeStreamBody, encodeStreamBody, isStreamMessage } from './stream-codec.js';
import { decodeClusterBody, encodeClusterBody } from './cluster-codec.js';
import { decodeAuthBody, encodeAuthBody } from './auth-codec.js';
import { decodeJobBody, encodeJobBody } from './job-codec.js';
import { decodeTaskBody, encodeTaskBody } from './task-codec.js';
import { decodeObjectBody, encodeObjectBody } from './object-codec.js';
import { Envelope } from './generated/wrt/protocol/envelope.js';
import type { Message as Kind } from './generated/wrt/protocol/message.js';

export { MAX_FRAME_BYTES, encodeFrame, splitFrame } from './frame.js';

const FILE_IDENTIFIER = 'WRT1';

function encodeBody(b: B, m: Message): [Kind, flatbuffers.Offset] {
  if (isStreamMessage(m)) return encodeStreamBody(b, m);
  const body = encodeTaskBody(b, m) ?? encodeObjectBody(b, m) ?? encodeJobBody(b, m) ?? encodeClusterBody(b, m) ?? encodeAuthBody(b, m);
  if (!body) throw new WrtError('WRT_INVALID_ARGUMENT', `no encoder for message type ${(m as { type: string }).type}`);
  return body;
}

/**
 * Received object chunks, with the bytes they were decoded from: the head passes a chunk on to its
 * requester unchanged, so it sends those bytes again instead of encoding the chunk anew (a copy of
 * up to 1 MiB less per chunk per hop).
 */
const receivedBytes = new WeakMap<Message, Uint8Array>();

/**
 * Encoded messages whose 4 bytes before them in their buffer are free for a frame's length
 * prefix (frame.ts): a large message built here, or a received one (its own prefix is there), so a
 * connection can send it as a frame of its own without copying it ({@link withFramePrefix}).
 */
const prefixRoom = new WeakSet<Uint8Array>();

/**
 * `message` as a one-message frame (frame.ts) without a copy, when the 4 bytes before it are
 * free for the length prefix; else null.
 */
export function withFramePrefix(message: Uint8Array): Uint8Array | null {
  if (!prefixRoom.has(message) || message.byteOffset < 4) return null;
  const frame = new Uint8Array(message.buffer, message.byteOffset - 4, message.byteLength + 4);
  new DataView(frame.buffer, frame.byteOffset, 4).setUint32(0, message.byteLength, true);
  return frame;
}

/** Encodes one message (an Envelope with identifier "WRT1"); {@link encodeFrame} puts several in a frame. */
export function encodeMessage(m: Message): Uint8Array {
  let size = 'data' in m && m.data ? m.data.byteLength : 'module' in m ? m.module.byteLength : 0;
  if ('args' in m && Array.isArray(m.args)) for (const a of m.args) size += a.data?.byteLength ?? 0;
  // Small messages (most control messages) are built in one reused builder and copied out
  // (copyBytes: from a shared slab), instead of allocating a builder and its buffer each.
  const small = size <= SMALL_MESSAGE_BYTES;
  let b: flatbuffers.Builder;
  if (small) {
    b = sharedBuilder;
    b.clear();
  } else b = new WireBuilder(260 + size);
  const [kind, body] = encodeBody(b, m);
  Envelope.startEnvelope(b);
  Envelope.addMessageType(b, kind);
  Envelope.addMessage(b, body);
  b.finish(Envelope.endEnvelope(b), FILE_IDENTIFIER);
  if (!small) {
    // Built back to front in a buffer with room to spare: what precedes the message is the builder's.
    const bytes = b.asUint8Array();
    prefixRoom.add(bytes);
    return bytes;
  }
  const out = copyBytes(b.asUint8Array());
  // A builder grown by an unusually large small message does not stay that large.
  if (b.dataBuffer().capacity() > 64 * 1024) sharedBuilder = new WireBuilder(1024);
  return out;
}

/** Messages whose payload bytes are at most this go through the shared builder. */
const SMALL_MESSAGE_BYTES = 256;
let sharedBuilder = new WireBuilder(1024);

function decodeBody(r: WireReader, env: Envelope): Message {
  const m =
    decodeStreamBody(r, env) ??
    decodeTaskBody(r, env) ??
    decodeObjectBody(r, env) ??
    decodeJobBody(r, env) ??
    decodeClusterBody(r, env) ??
    decodeAuthBody(r, env);
  if (!m) throw new FrameBoundsError(`unknown message type ${String(env.messageType())}`);
  return m;
}

/**
 * Decodes every message of a frame made by {@link encodeFrame}; byte fields are views into `frame`.
 * @throws WrtError `WRT_PROTOCOL` when the frame is larger than {@link MAX_FRAME_BYTES}, a length
 *   runs past its end, or any message fails {@link decodeMessage}.
 */
export function decodeFrame(frame: Uint8Array): Message[] {
  if (frame.byteLength > MAX_FRAME_BYTES) {
    throw new WrtError('WRT_PROTOCOL', `frame of ${frame.byteLength} bytes exceeds the ${MAX_FRAME_BYTES}-byte limit`);
  }
  if (frame.byteLength === 0) throw new WrtError('WRT_PROTOCOL', 'empty frame');
  return splitFrame(frame, 'frame').map(decodeMessage);
}

/**
 * Decodes one message. The returned message's byte fields are views into `frame`.
 * @throws WrtError `WRT_PROTOCOL` when the frame is empty, larger than {@link MAX_FRAME_BYTES},
 *   lacks the "WRT1" identifier, or any table, vector or string in it lies outside its bytes.
 */
export function decodeMessage(frame: Uint8Array): Message {
  if (frame.byteLength > MAX_FRAME_BYTES) {
    throw new WrtError('WRT_PROTOCOL', `frame of ${frame.byteLength} bytes exceeds the ${MAX_FRAME_BYTES}-byte limit`);
  }
  if (frame.byteLength < 12) throw new WrtError('WRT_PROTOCOL', `frame of ${frame.byteLength} bytes is truncated`);
  const bb = new CheckedByteBuffer(frame);
  try {
    if (!Envelope.bufferHasIdentifier(bb)) throw new FrameBoundsError('frame lacks the "WRT1" identifier');
    const m = decodeBody(new WireReader(bb, frame), Envelope.getRootAsEnvelope(bb));
    if (m.type === 'ObjectChunk') {
      receivedBytes.set(m, frame);
      // Inside a received frame, the 4 bytes before a message are its own length prefix.
      if (frame.byteOffset >= 4) prefixRoom.add(frame);
    }
    return m;
  } catch (err) {
    if (err instanceof FrameBoundsError || err instanceof RangeError || err instanceof TypeError) {
      throw new WrtError('WRT_PROTOCOL', `malformed frame: ${err.message}`, { cause: err });
    }
    throw new WrtError('WRT_PROTOCOL', `malformed frame: ${String(err)}`, { cause: err });
  }
}

/**
 * Sends `m` on `conn`: as an object where the connection takes objects (in memory), else encoded
 * (a received object chunk passed on unchanged: the bytes it came in). The caller must not change
 * `m` or its buffers afterwards.
 */
export function sendMessage(conn: Connection, m: Message): void {
  if (conn.sendObject) conn.sendObject(m);
  else conn.send((m.type === 'ObjectChunk' && receivedBytes.get(m)) || encodeMessage(m));
}

/**
 * Feeds the messages of each frame `conn` receives to `handle`, in order; a frame that does not
 * decode ({@link decodeFrame}) closes the connection (1002) and goes to `fail`.
 */
export function onFrames(conn: Connection, handle: (m: Message) => void, fail: (err: Error) => void = () => {}): void {
  conn.onMessage = (frame) => {
    let msgs: Message[];
    try {
      msgs = decodeFrame(frame);
    } catch (err) {
      conn.close(1002, 'protocol error');
      fail(err as Error);
      return;
    }
    for (const msg of msgs) handle(msg);
  };
}
