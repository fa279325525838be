// The GPU sample's module: CPU tasks that make and check u32 keys, and two WGSL kernels that
// the module carries itself (returned as text by `mix` and `scale`; wrt runs them on a GPU node).
// Every export has the operator type of wit/runtime.wit; arguments arrive as the inputs of an
// operator input frame (docs/batch-format.md), encoded as sdk/encoding.ts says.
import { readInputFrame } from '../../../kernels/kv-batch';
import { returnOk, returnErr, freeResult } from '../../../kernels/cabi';
export { cabi_realloc } from '../../../kernels/cabi';

function textOut(s: string): usize {
  const buf = String.UTF8.encode(s);
  const n = <usize>buf.byteLength;
  const p = heap.alloc(n);
  memory.copy(p, changetype<usize>(buf), n);
  return returnOk(p, n);
}

/** keys(count, seed): `count` keys from xorshift32 (Marsaglia, "Xorshift RNGs", 2003). */
export function keys(ptr: usize, len: usize): usize {
  const f = readInputFrame(ptr, len);
  if (f.error != null || f.count != 2 || f.inputLen(0) != 8 || f.inputLen(1) != 8)
    return returnErr('keys(count, seed) takes two float64 arguments');
  const count = <usize>load<f64>(f.inputPtr(0));
  let x = <u32>load<f64>(f.inputPtr(1)) | 1;
  const out = heap.alloc(count > 0 ? count * 4 : 1);
  for (let i: usize = 0; i < count; i++) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    store<u32>(out + i * 4, x);
  }
  return returnOk(out, count * 4);
}
export function cabi_post_keys(r: usize): void { freeResult(r); }

/** mix(): one xor-shift-multiply round of an integer hash, as a WGSL expression over u32 `x`. */
export function mix(ptr: usize, len: usize): usize {
  return textOut('(x ^ (x >> 16u)) * 0x45d9f3bu');
}
export function cabi_post_mix(r: usize): void { freeResult(r); }

/** scale(): a whole compute shader; bindings follow wrt's compute convention (docs/gpu-tasks.md). */
export function scale(ptr: usize, len: usize): usize {
  return textOut(`
struct Params { n: u32, factor: u32 }
@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) g: vec3u) {
  if (g.x < params.n) { dst[g.x] = src[g.x] * f32(params.factor); }
}`);
}
export function cabi_post_scale(r: usize): void { freeResult(r); }

/** verify(keys): count, whether ascending, and the sum mod 2^32 (a permutation keeps it). */
export function verify(ptr: usize, len: usize): usize {
  const f = readInputFrame(ptr, len);
  if (f.error != null || f.count != 1 || f.inputLen(0) % 4 != 0) return returnErr('verify(keys) takes one u32 array');
  const p = f.inputPtr(0);
  const n = f.inputLen(0) / 4;
  let sorted = true;
  let sum: u32 = 0;
  let prev: u32 = 0;
  for (let i: usize = 0; i < n; i++) {
    const k = load<u32>(p + i * 4);
    if (i > 0 && k < prev) sorted = false;
    sum += k;
    prev = k;
  }
  const out = heap.alloc(24);
  store<f64>(out, <f64>n);
  store<f64>(out + 8, sorted ? 1.0 : 0.0);
  store<f64>(out + 16, <f64>sum);
  return returnOk(out, 24);
}
export function cabi_post_verify(r: usize): void { freeResult(r); }
