// A Monte Carlo estimate of π as a batch pipeline (world `wrt:montecarlo/montecarlo`,
// samples/montecarlo/wit/montecarlo.wit): each input line `SEEDxSAMPLES` (one alphanumeric run,
// so input chunks never cut it: runtime/cli/input-chunks.ts) draws SAMPLES points in
// the unit square from its own xorshift64* stream and counts those inside the quarter circle.
// The map sums `inside` and `points` over its chunk's lines; the reduce sums the maps'.
import { ByteBuffer } from '../../../kernels/byte-buffer';
import { TokenCounts, fnv1a } from '../../../kernels/hash-aggregate';
import { readInputFrame, writePartitioned, mergeCountsToTsv } from '../../../kernels/kv-batch';
import { returnOk, returnErr, returnStaticList, freeResult, freeList } from '../../../kernels/cabi';
import { countInside } from '../../../kernels/monte-carlo';
import { GRAPH } from '../build/graph';

export { cabi_realloc } from '../../../kernels/cabi';

/** The job graph: FlatBuffers bytes encoded from graph.json at build time. */
export function graph(): usize {
  return returnStaticList(GRAPH);
}
export function cabi_post_graph(retptr: usize): void {
  freeList(retptr);
}

@inline function isSpace(c: u32): bool {
  return c == 0x20 || c == 0x0a || c == 0x0d || c == 0x09;
}

function addKey(counts: TokenCounts, key: string, count: u64): void {
  const buf = String.UTF8.encode(key);
  const p = changetype<usize>(buf);
  const n = <usize>buf.byteLength;
  counts.add(p, n, fnv1a(p, n), count);
}

/** Map: lines `SEEDxSAMPLES` (decimal integers) → the counts `inside` and `points`, partitioned. */
export function sample(ptr: usize, len: usize): usize {
  const frame = readInputFrame(ptr, len);
  if (frame.error != null) return returnErr(frame.error!);
  if (frame.count != 1) return returnErr('sample takes exactly one input chunk');
  if (frame.partitions == 0) return returnErr('sample needs at least one downstream partition');
  const src = frame.inputPtr(0);
  const end = src + frame.inputLen(0);
  let inside: u64 = 0;
  let points: u64 = 0;
  let at = src;
  while (at < end) {
    while (at < end && isSpace(<u32>load<u8>(at))) at++;
    if (at >= end) break;
    let seed: u64 = 0;
    let digits = 0;
    while (at < end && load<u8>(at) >= 0x30 && load<u8>(at) <= 0x39) {
      seed = seed * 10 + <u64>(load<u8>(at) - 0x30);
      at++;
      digits++;
    }
    if (digits == 0 || at >= end || load<u8>(at) != 0x78) return returnErr('sample: every line must be SEEDxSAMPLES (decimal integers)');
    at++;
    let n: u64 = 0;
    digits = 0;
    while (at < end && load<u8>(at) >= 0x30 && load<u8>(at) <= 0x39) {
      n = n * 10 + <u64>(load<u8>(at) - 0x30);
      at++;
      digits++;
    }
    if (digits == 0 || (at < end && !isSpace(<u32>load<u8>(at)))) return returnErr('sample: every line must be SEEDxSAMPLES (decimal integers)');
    inside += countInside(seed, n);
    points += n;
  }
  const counts = new TokenCounts(16);
  addKey(counts, 'inside', inside);
  addKey(counts, 'points', points);
  const out = new ByteBuffer(<usize>counts.keysLen + <usize>counts.size * 12 + 64);
  writePartitioned(out, counts, frame.partitions);
  counts.dispose();
  return returnOk(out.take(), out.len);
}
export function cabi_post_sample(retptr: usize): void {
  freeResult(retptr);
}

/** Reduce: KV batches of one partition → `key<TAB>count<LF>` lines, summed. */
export function sum(ptr: usize, len: usize): usize {
  return mergeCountsToTsv(ptr, len, 16);
}
export function cabi_post_sum(retptr: usize): void {
  freeResult(retptr);
}
