// A batch pipeline with a GPU operator (world `wrt:sample-gpu/word-lengths`, samples/gpu/word-lengths.wit):
// how long are the words of a text? The map operator tokenizes its chunk on the CPU (kernels/),
// then calls the node's GPU through the `wrt:runtime/gpu` import: a map kernel with the module's
// own WGSL expression clamps lengths to MAX_LENGTH, and the histogram kernel counts them. The
// reduce sums the per-chunk counts. Its vertex asks for `gpus: 1`, so the scheduler places the
// map subtasks only on nodes with a WebGPU adapter.
import { ByteBuffer } from '../../../kernels/byte-buffer';
import { TokenCounts, fnv1a } from '../../../kernels/hash-aggregate';
import { countTokens } from '../../../kernels/utf8-tokenizer';
import { readInputFrame, writePartitioned, mergeCountsToTsv } from '../../../kernels/kv-batch';
import { returnOk, returnErr, returnStaticList, freeResult, freeList } from '../../../kernels/cabi';
import { GRAPH } from '../build/word-lengths-graph';

export { cabi_realloc } from '../../../kernels/cabi';

/** Lengths above this are counted as MAX_LENGTH (key "32+"). */
const MAX_LENGTH: u32 = 32;

// wrt:runtime/gpu.run(kernel: string, params: string, inputs: list<list<u8>>) -> result<list<u8>, string>,
// lowered by the canonical ABI: six flat i32 parameters, the result written at `retptr`
// (u8 discriminant @0, u32 pointer @4, u32 length @8; the host allocates with cabi_realloc).
@external('wrt:runtime/gpu@0.1.0', 'run')
declare function gpuRun(kernelPtr: usize, kernelLen: usize, paramsPtr: usize, paramsLen: usize, inputsPtr: usize, inputsLen: usize, retptr: usize): void;

const GPU_RET: usize = memory.data(16, 8);

/** Result of one GPU call: `ok` bytes at ptr/len (free with heap.free), or an error message. */
class GpuResult {
  constructor(public ptr: usize, public len: usize, public error: string | null) {}
}

function gpu(kernel: string, params: string, dataPtr: usize, dataLen: usize): GpuResult {
  const k = String.UTF8.encode(kernel);
  const p = String.UTF8.encode(params);
  const list = heap.alloc(8);
  store<u32>(list, <u32>dataPtr);
  store<u32>(list, <u32>dataLen, 4);
  gpuRun(changetype<usize>(k), <usize>k.byteLength, changetype<usize>(p), <usize>p.byteLength, list, 1, GPU_RET);
  heap.free(list);
  const ptr = <usize>load<u32>(GPU_RET, 4);
  const len = <usize>load<u32>(GPU_RET, 8);
  if (load<u8>(GPU_RET) == 0) return new GpuResult(ptr, len, null);
  const message = String.UTF8.decodeUnsafe(ptr, len);
  heap.free(ptr);
  return new GpuResult(0, 0, message);
}

/** Code points of UTF-8 bytes [ptr, ptr + len): bytes that are not continuation bytes. */
function codePoints(ptr: usize, len: usize): u32 {
  let n: u32 = 0;
  for (let i: usize = 0; i < len; i++) if ((load<u8>(ptr + i) & 0xc0) != 0x80) n++;
  return n;
}

export function graph(): usize {
  return returnStaticList(GRAPH);
}
export function cabi_post_graph(retptr: usize): void {
  freeList(retptr);
}

/** Map: one UTF-8 text chunk → counts of word lengths ("01" … "31", "32+") in KV batches. */
export function lengths(ptr: usize, len: usize): usize {
  const frame = readInputFrame(ptr, len);
  if (frame.error != null) return returnErr(frame.error!);
  if (frame.count != 1) return returnErr('lengths takes exactly one input chunk');
  const tokens = new TokenCounts(1 << 14);
  countTokens(frame.inputPtr(0), frame.inputLen(0), tokens);
  // One u32 per word occurrence: its length in code points.
  let total: usize = 0;
  for (let i: u32 = 0; i < tokens.capacity(); i++) if (tokens.isUsed(i)) total += <usize>tokens.countAt(i);
  const lens = heap.alloc(total * 4 + 4);
  let at = lens;
  for (let i: u32 = 0; i < tokens.capacity(); i++) {
    if (!tokens.isUsed(i)) continue;
    const l = codePoints(tokens.keyPtrAt(i), tokens.keyLenAt(i));
    for (let c: u64 = 0; c < tokens.countAt(i); c++) {
      store<u32>(at, l);
      at += 4;
    }
  }
  tokens.dispose();

  // GPU: clamp (a WGSL expression this module carries), then histogram over 1 … MAX_LENGTH.
  const clamped = gpu('map', '{"type":"u32","expression":"min(x, ' + MAX_LENGTH.toString() + 'u)"}', lens, total * 4);
  heap.free(lens);
  if (clamped.error != null) return returnErr('GPU map failed: ' + clamped.error!);
  const hist = gpu('histogram', '{"type":"u32","bins":' + MAX_LENGTH.toString() + ',"min":1,"max":' + MAX_LENGTH.toString() + '}', clamped.ptr, clamped.len);
  heap.free(clamped.ptr);
  if (hist.error != null) return returnErr('GPU histogram failed: ' + hist.error!);

  const counts = new TokenCounts(64);
  for (let b: u32 = 0; b < MAX_LENGTH; b++) {
    const c = load<u32>(hist.ptr + <usize>b * 4);
    if (c == 0) continue;
    const key = String.UTF8.encode(b + 1 < MAX_LENGTH ? (b + 1 < 10 ? '0' : '') + (b + 1).toString() : MAX_LENGTH.toString() + '+');
    const kp = changetype<usize>(key);
    const kl = <usize>key.byteLength;
    counts.add(kp, kl, fnv1a(kp, kl), <u64>c);
  }
  heap.free(hist.ptr);
  const out = new ByteBuffer(<usize>counts.keysLen + <usize>counts.size * 12 + 64);
  writePartitioned(out, counts, frame.partitions);
  counts.dispose();
  return returnOk(out.take(), out.len);
}
export function cabi_post_lengths(retptr: usize): void {
  freeResult(retptr);
}

/** Reduce: KV batches of one partition → `length<TAB>count<LF>` lines, count desc. */
export function merge(ptr: usize, len: usize): usize {
  return mergeCountsToTsv(ptr, len, 64);
}
export function cabi_post_merge(retptr: usize): void {
  freeResult(retptr);
}
