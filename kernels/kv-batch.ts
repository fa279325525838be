// Batch layouts shared by operators and the host. The authoritative description is
// docs/batch-format.md; every integer is little-endian, every section 8-byte aligned.
import { ByteBuffer } from './byte-buffer';
import { TokenCounts } from './hash-aggregate';
import { writeTsv } from './sort-counts';
import { returnOk, returnErr } from './cabi';

export const INPUT_MAGIC: u32 = 0x3149_4f57; // "WOI1": operator input frame
export const KV_MAGIC: u32 = 0x3156_4b57; // "WKV1": key/count batch
export const PARTITIONED_MAGIC: u32 = 0x3142_5057; // "WPB1": partitioned batch

/** A decoded operator input frame: `partitions` and `count` inputs at (ptr, len). */
export class InputFrame {
  partitions: u32 = 0;
  count: u32 = 0;
  base: usize = 0;
  error: string | null = null;

  /** Byte offset of input `i`'s data, relative to the frame start. */
  inputPtr(i: u32): usize {
    let at = this.base + 16 + ((<usize>this.count * 4 + 7) & ~7);
    for (let k: u32 = 0; k < i; k++) at += (<usize>load<u32>(this.base + 16 + <usize>k * 4) + 7) & ~7;
    return at;
  }
  inputLen(i: u32): usize {
    return <usize>load<u32>(this.base + 16 + <usize>i * 4);
  }
}

/** Reads an operator input frame of `len` bytes at `ptr`; sets `error` when malformed. */
export function readInputFrame(ptr: usize, len: usize): InputFrame {
  const f = new InputFrame();
  f.base = ptr;
  if (len < 16 || load<u32>(ptr) != INPUT_MAGIC) {
    f.error = 'input is not an operator input frame (WOI1)';
    return f;
  }
  f.partitions = load<u32>(ptr, 4);
  f.count = load<u32>(ptr, 8);
  let need: usize = 16 + ((<usize>f.count * 4 + 7) & ~7);
  if (need > len) {
    f.error = 'operator input frame is truncated';
    return f;
  }
  for (let k: u32 = 0; k < f.count; k++) need += (<usize>load<u32>(ptr + 16 + <usize>k * 4) + 7) & ~7;
  if (need > len) f.error = 'operator input frame is truncated';
  return f;
}

/** Appends the entries of `counts` whose `hash % partitions == part` as one KV batch. */
export function writeKvBatch(out: ByteBuffer, counts: TokenCounts, partitions: u32, part: u32): void {
  let rows: u32 = 0;
  let keyBytes: usize = 0;
  const cap = counts.capacity();
  for (let i: u32 = 0; i < cap; i++) {
    if (counts.isUsed(i) && counts.hashAt(i) % partitions == part) {
      rows++;
      keyBytes += counts.keyLenAt(i);
    }
  }
  out.writeU32(KV_MAGIC);
  out.writeU32(rows);
  out.writeU32(<u32>keyBytes);
  out.writeU32(0);
  for (let i: u32 = 0; i < cap; i++) {
    if (counts.isUsed(i) && counts.hashAt(i) % partitions == part) out.writeU64(counts.countAt(i));
  }
  let end: u32 = 0;
  for (let i: u32 = 0; i < cap; i++) {
    if (counts.isUsed(i) && counts.hashAt(i) % partitions == part) {
      end += <u32>counts.keyLenAt(i);
      out.writeU32(end);
    }
  }
  for (let i: u32 = 0; i < cap; i++) {
    if (counts.isUsed(i) && counts.hashAt(i) % partitions == part) out.writeBytes(counts.keyPtrAt(i), counts.keyLenAt(i));
  }
  out.padTo(8);
}

/** Writes `counts` split by `hash % partitions` as one partitioned batch (WPB1). */
export function writePartitioned(out: ByteBuffer, counts: TokenCounts, partitions: u32): void {
  out.writeU32(PARTITIONED_MAGIC);
  out.writeU32(partitions);
  const endsAt = out.len;
  for (let p: u32 = 0; p < partitions; p++) out.writeU32(0);
  out.padTo(8);
  const dataStart = out.len;
  for (let p: u32 = 0; p < partitions; p++) {
    writeKvBatch(out, counts, partitions, p);
    store<u32>(out.ptr + endsAt + <usize>p * 4, <u32>(out.len - dataStart));
  }
}

/** Adds every row of the KV batch at `ptr` (`len` bytes) to `counts`; returns false when malformed. */
export function mergeKvBatch(ptr: usize, len: usize, counts: TokenCounts): bool {
  if (len < 16 || load<u32>(ptr) != KV_MAGIC) return false;
  const rows = <usize>load<u32>(ptr, 4);
  const keyBytes = <usize>load<u32>(ptr, 8);
  if (<usize>16 + rows * 12 + keyBytes > len) return false;
  const values = ptr + 16;
  const ends = values + rows * 8;
  const heapAt = ends + rows * 4;
  let start: usize = 0;
  for (let i: usize = 0; i < rows; i++) {
    const end = <usize>load<u32>(ends + i * 4);
    if (end < start || end > keyBytes) return false;
    const k = heapAt + start;
    const n = end - start;
    let h: u32 = 0x811c9dc5;
    for (let j: usize = 0; j < n; j++) h = (h ^ (<u32>load<u8>(k + j))) * 0x01000193;
    counts.add(k, n, h, load<u64>(values + i * 8));
    start = end;
  }
  return true;
}

/**
 * The body of a count-merging reduce operator: every input of the operator input frame at `ptr`
 * (`len` bytes) is a KV batch; their counts are summed per key and written as
 * `key<TAB>count<LF>` lines, count descending then key ascending. Returns the canonical-ABI
 * result pointer (`ok(list<u8>)` or `err(string)`; post-return frees it with `freeResult`).
 */
export function mergeCountsToTsv(ptr: usize, len: usize, initialCapacity: u32): usize {
  const frame = readInputFrame(ptr, len);
  if (frame.error != null) return returnErr(frame.error!);
  const counts = new TokenCounts(initialCapacity);
  for (let i: u32 = 0; i < frame.count; i++) {
    if (!mergeKvBatch(frame.inputPtr(i), frame.inputLen(i), counts)) {
      counts.dispose();
      return returnErr('merge input ' + i.toString() + ' is not a well-formed KV batch (WKV1)');
    }
  }
  const out = new ByteBuffer(<usize>counts.keysLen + <usize>counts.size * 12 + 64);
  writeTsv(out, counts);
  counts.dispose();
  return returnOk(out.take(), out.len);
}
