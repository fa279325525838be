/**
 * The frame layout of the wire: one WebSocket binary frame carries one or more encoded messages,
 * each a little-endian u32 byte length followed by its bytes (FlatBuffers' size-prefixed layout).
 * The same layout frames NATS sink pieces (runtime/stream/nats-connector.ts). Pure byte handling:
 * decoding the messages themselves is codec.ts's.
 */
import { WrtError } from '../errors.js';

/** Largest frame accepted, in bytes (64 MiB). Larger frames are protocol errors. */
export const MAX_FRAME_BYTES = 64 * 1024 * 1024;

/**
 * One WebSocket frame carrying `messages` (each an `encodeMessage` result). A connection batches
 * what it sends in one turn of the event loop into one frame: one write and one frame per burst
 * instead of per message.
 */
export function encodeFrame(messages: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const m of messages) size += 4 + m.byteLength;
  const frame = new Uint8Array(size);
  const dv = new DataView(frame.buffer);
  let at = 0;
  for (const m of messages) {
    dv.setUint32(at, m.byteLength, true);
    frame.set(m, at + 4);
    at += 4 + m.byteLength;
  }
  return frame;
}

/**
 * The pieces of bytes laid out as {@link encodeFrame} does (u32 little-endian byte length, then
 * the bytes; repeated), as views into `bytes`.
 * @throws WrtError `WRT_PROTOCOL` naming `what` when a length runs past the end.
 */
export function splitFrame(bytes: Uint8Array, what: string): Uint8Array[] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Uint8Array[] = [];
  for (let at = 0; at < bytes.byteLength;) {
    const n = at + 4 <= bytes.byteLength ? dv.getUint32(at, true) : -1;
    if (n < 0 || at + 4 + n > bytes.byteLength)
      throw new WrtError('WRT_PROTOCOL', `malformed ${what}: the piece at byte ${at} runs past its ${bytes.byteLength} bytes`);
    out.push(bytes.subarray(at + 4, at + 4 + n));
    at += 4 + n;
  }
  return out;
}
