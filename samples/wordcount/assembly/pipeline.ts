// The word-count pipeline (world `wrt:wordcount/wordcount`, samples/wordcount/wit/wordcount.wit).
// The tokenizer and the hash aggregation come from kernels/; this file wires them to the job graph.
import { ByteBuffer } from '../../../kernels/byte-buffer';
import { TokenCounts } from '../../../kernels/hash-aggregate';
import { countTokens } from '../../../kernels/utf8-tokenizer';
import { readInputFrame, writePartitioned, mergeCountsToTsv } from '../../../kernels/kv-batch';
import { returnOk, returnErr, returnStaticList, freeResult, freeList } from '../../../kernels/cabi';
import { GRAPH } from '../build/graph';

export { cabi_realloc } from '../../../kernels/cabi';

/** The job graph: FlatBuffers bytes encoded from graph.json at build time. */
export function graph(): usize {
  return returnStaticList(GRAPH);
}
export function cabi_post_graph(retptr: usize): void {
  freeList(retptr);
}

/** Map: one UTF-8 text chunk → partial counts split into `partitions` KV batches. */
export function tokenize(ptr: usize, len: usize): usize {
  const frame = readInputFrame(ptr, len);
  if (frame.error != null) return returnErr(frame.error!);
  if (frame.count != 1) return returnErr('tokenize takes exactly one input chunk');
  if (frame.partitions == 0) return returnErr('tokenize needs at least one downstream partition');
  const counts = new TokenCounts(1 << 14);
  countTokens(frame.inputPtr(0), frame.inputLen(0), counts);
  const out = new ByteBuffer(<usize>counts.keysLen + <usize>counts.size * 12 + 64);
  writePartitioned(out, counts, frame.partitions);
  counts.dispose();
  return returnOk(out.take(), out.len);
}
export function cabi_post_tokenize(retptr: usize): void {
  freeResult(retptr);
}

/** Reduce: KV batches of one partition → `token<TAB>count<LF>` lines, count desc then token asc. */
export function merge(ptr: usize, len: usize): usize {
  return mergeCountsToTsv(ptr, len, 1 << 14);
}
export function cabi_post_merge(retptr: usize): void {
  freeResult(retptr);
}
