/**
 * Short ASCII strings into FlatBuffers without `TextEncoder`. Control messages carry several short
 * ids each (task, object, job and module ids, function names), and at tens of thousands of
 * messages a second the encoder's fresh `Uint8Array` per string cost more than the copy itself
 * (`TextEncoder.encode` was 8 % of the head's time under asynchronous tasks, `node --cpu-prof`;
 * 540 → 100 ns a 16-character id here). Anything longer than {@link SHORT_STRING} characters or
 * not ASCII takes the library's UTF-8 path, so the bytes are the same either way. (Decoding stays
 * with `TextDecoder`: Node's is quicker than a JavaScript loop even for short ids.)
 */
import * as flatbuffers from 'flatbuffers';

/** Strings up to this many UTF-16 code units (bytes, when ASCII) take the fast paths. */
export const SHORT_STRING = 64;

/** A FlatBuffers builder whose `createString` writes short ASCII strings byte by byte. */
export class WireBuilder extends flatbuffers.Builder {
  override createString(s: string | Uint8Array | null | undefined): flatbuffers.Offset {
    if (typeof s !== 'string' || s.length > SHORT_STRING) return super.createString(s);
    const n = s.length;
    for (let i = 0; i < n; i++) if (s.charCodeAt(i) > 0x7f) return super.createString(s);
    // As the library lays a string out: a NUL, then the bytes, then the length (built back to front).
    this.addInt8(0);
    this.startVector(1, n, 1);
    const bb = this.dataBuffer();
    const at = (this as unknown as { space: number }).space - n;
    (this as unknown as { space: number }).space = at;
    bb.setPosition(at);
    const bytes = bb.bytes();
    for (let i = 0; i < n; i++) bytes[at + i] = s.charCodeAt(i);
    return this.endVector();
  }
}
