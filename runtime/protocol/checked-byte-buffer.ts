/**
 * A FlatBuffers ByteBuffer that refuses to read outside its bytes. The JavaScript FlatBuffers
 * library has no verifier and reads out-of-range bytes as `undefined` (→ 0); every primitive read
 * here checks its range first and throws {@link FrameBoundsError}, which the guarded decoder turns
 * into a `WRT_PROTOCOL` error.
 */
import * as flatbuffers from 'flatbuffers';

export class FrameBoundsError extends Error {}

export class CheckedByteBuffer extends flatbuffers.ByteBuffer {
  private check(offset: number, size: number): void {
    if (!Number.isInteger(offset) || offset < 0 || offset + size > this.capacity()) {
      throw new FrameBoundsError(`read of ${size} bytes at ${offset} is outside the ${this.capacity()}-byte frame`);
    }
  }
  override readInt8(offset: number): number {
    this.check(offset, 1);
    return super.readInt8(offset);
  }
  override readUint8(offset: number): number {
    this.check(offset, 1);
    return super.readUint8(offset);
  }
  override readInt16(offset: number): number {
    this.check(offset, 2);
    return super.readInt16(offset);
  }
  override readUint16(offset: number): number {
    this.check(offset, 2);
    return super.readUint16(offset);
  }
  override readInt32(offset: number): number {
    this.check(offset, 4);
    return super.readInt32(offset);
  }
  override readUint32(offset: number): number {
    this.check(offset, 4);
    return super.readUint32(offset);
  }
  override readInt64(offset: number): bigint {
    this.check(offset, 8);
    return super.readInt64(offset);
  }
  override readUint64(offset: number): bigint {
    this.check(offset, 8);
    return super.readUint64(offset);
  }
  override readFloat32(offset: number): number {
    this.check(offset, 4);
    return super.readFloat32(offset);
  }
  override readFloat64(offset: number): number {
    this.check(offset, 8);
    return super.readFloat64(offset);
  }
  override __vector_len(offset: number): number {
    const len = super.__vector_len(offset);
    if (len < 0) throw new FrameBoundsError(`negative vector length at ${offset}`);
    return len;
  }
  override __string(offset: number, encoding?: flatbuffers.Encoding): string | Uint8Array {
    const start = offset + this.readInt32(offset);
    const len = this.readInt32(start);
    this.check(start + 4, Math.max(0, len));
    if (len < 0) throw new FrameBoundsError(`negative string length at ${start}`);
    return super.__string(offset, encoding);
  }
  /** A byte vector's bytes, checked to lie inside the frame (a view, not a copy). */
  byteVector(vectorStart: number, len: number): Uint8Array {
    this.check(vectorStart, len);
    return this.bytes().subarray(vectorStart, vectorStart + len);
  }
}
