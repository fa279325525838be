/**
 * Single-pass scan: one dispatch reads each element once and writes it once (2n words of
 * traffic, against about 4n for the three-phase scan). Each workgroup takes the next partition of
 * {@link PARTITION} elements from an atomic counter (so a workgroup only ever waits for ones that
 * started before it), scans it, publishes its aggregate, then looks back over its predecessors'
 * published values until it finds an inclusive prefix — the decoupled look-back of D. Merrill and
 * M. Garland, "Single-pass Parallel Prefix Scan with Decoupled Look-back" (NVIDIA NVR-2016-002).
 *
 * A predecessor that has published nothing after `spinLimit` polls ({@link SPIN_LIMIT} unless told) is not waited for: the
 * workgroup folds that predecessor's partition from the input itself and looks further back — the
 * "decoupled fallback" of T. Smith, R. Levien and J. D. Owens, "Decoupled Fallback: A Portable
 * Single-Pass GPU Scan" (SPAA 2025). So the kernel finishes even where the device does not promise
 * forward progress between workgroups; `scan`'s `auto` strategy still keeps it to devices that do.
 *
 * WGSL atomics are relaxed, so a value cannot be published apart from its flag: each published
 * 32-bit value is two atomic words, `0x10000 | 16 bits`, read as ready only when both carry the flag.
 * Partition `p`'s state is words `1 + 4p` (aggregate, low and high) and `3 + 4p` (inclusive); word 0
 * is the partition counter. The state buffer is cleared before each dispatch.
 */
import type { ElementType } from '../context.js';
import { WORKGROUP_SIZE } from '../context.js';
import { combineWgsl, type AssociativeOp } from './ops.js';
import { workgroupScanWgsl } from './wgsl.js';

/** Vectors of 4 elements each thread scans. */
const VECTORS = 4;
/** Elements one workgroup scans. */
export const PARTITION = WORKGROUP_SIZE * VECTORS * 4;
/** Polls of a silent predecessor before folding its partition directly (the default of `spinLimit`). */
export const SPIN_LIMIT = 64;

/** u32 words of look-back state for `partitions` partitions. */
export function stateWords(partitions: number): number {
  return 1 + 4 * partitions;
}

/** The WGSL of the single-pass scan (see the module comment). */
export function singlePassShader(type: ElementType, op: AssociativeOp): string {
  const T = type;
  const V = `vec4<${T}>`;
  return /* wgsl */ `
struct Params { n: u32, identity: u32, exclusive: u32, parts: u32, spins: u32 }
@group(0) @binding(0) var<storage, read> src: array<${V}>;
@group(0) @binding(1) var<storage, read_write> dst: array<${V}>;
@group(0) @binding(2) var<storage, read_write> state: array<atomic<u32>>;
@group(0) @binding(3) var<uniform> params: Params;
var<workgroup> tot: array<${T}, ${WORKGROUP_SIZE}>;
var<workgroup> red: array<${T}, ${WORKGROUP_SIZE}>;
var<workgroup> part_id: u32;
var<workgroup> lb_status: u32;
var<workgroup> lb_value: ${T};
fn combine(a: ${T}, b: ${T}) -> ${T} { return ${combineWgsl(op)}; }
fn combine4(a: ${V}, b: ${V}) -> ${V} { return ${combineWgsl(op)}; }
fn load(q: u32, identity: ${T}) -> ${V} {
  let at = vec4u(q * 4u) + vec4u(0u, 1u, 2u, 3u);
  if (at.w < params.n) { return src[q]; }
  if (at.x >= params.n) { return ${V}(identity); }
  return select(${V}(identity), src[q], at < vec4u(params.n));
}
fn fold4(v: ${V}) -> ${T} { return combine(combine(v.x, v.y), combine(v.z, v.w)); }
// Inclusive scan within one vector.
fn scan4(v: ${V}) -> ${V} {
  let b = combine(v.x, v.y);
  let c = combine(b, v.z);
  return ${V}(v.x, b, c, combine(c, v.w));
}
fn publish(word: u32, value: ${T}) {
  let bits = bitcast<u32>(value);
  atomicStore(&state[word], 0x10000u | (bits & 0xffffu));
  atomicStore(&state[word + 1u], 0x10000u | (bits >> 16u));
}
@compute @workgroup_size(${WORKGROUP_SIZE})
fn main(@builtin(local_invocation_index) t: u32) {
  if (t == 0u) { part_id = atomicAdd(&state[0], 1u); }
  let part = workgroupUniformLoad(&part_id);
  if (part >= params.parts) { return; }
  let identity = bitcast<${T}>(params.identity);
  let q0 = part * ${(PARTITION / 4)}u + t * ${VECTORS}u;
  var v: array<${V}, ${VECTORS}>;
  var run = identity;
  for (var j = 0u; j < ${VECTORS}u; j++) {
    v[j] = scan4(load(q0 + j, identity));
    run = combine(run, v[j].w);
  }
  // Hillis–Steele scan of the thread totals.
  tot[t] = run;
  workgroupBarrier();
  ${workgroupScanWgsl('tot', WORKGROUP_SIZE, (a, b) => `combine(${a}, ${b})`)}
  let aggregate = tot[${WORKGROUP_SIZE - 1}u];
  if (t == 0u) {
    if (part == 0u) { publish(3u, aggregate); } else { publish(1u + 4u * part, aggregate); }
  }
  // Decoupled look-back, with fallback to folding a silent predecessor's input.
  var prefix = identity;
  if (part > 0u) {
    var j = part - 1u;
    var spins = 0u;
    loop {
      if (t == 0u) {
        let il = atomicLoad(&state[3u + 4u * j]);
        let ih = atomicLoad(&state[4u + 4u * j]);
        let al = atomicLoad(&state[1u + 4u * j]);
        let ah = atomicLoad(&state[2u + 4u * j]);
        if ((il & ih & 0x10000u) != 0u) {
          lb_status = 2u;
          lb_value = bitcast<${T}>((il & 0xffffu) | (ih << 16u));
        } else if ((al & ah & 0x10000u) != 0u) {
          lb_status = 1u;
          lb_value = bitcast<${T}>((al & 0xffffu) | (ah << 16u));
        } else {
          lb_status = 0u;
        }
      }
      let status = workgroupUniformLoad(&lb_status);
      if (status == 0u) {
        spins += 1u;
        if (spins < params.spins) { continue; }
        var r = identity;
        for (var k = 0u; k < ${VECTORS}u; k++) {
          r = combine(r, fold4(load(j * ${PARTITION / 4}u + t * ${VECTORS}u + k, identity)));
        }
        red[t] = r;
        workgroupBarrier();
        for (var s = ${WORKGROUP_SIZE / 2}u; s > 0u; s >>= 1u) {
          if (t < s) { red[t] = combine(red[t], red[t + s]); }
          workgroupBarrier();
        }
        prefix = combine(workgroupUniformLoad(&red[0]), prefix);
      } else {
        prefix = combine(workgroupUniformLoad(&lb_value), prefix);
        if (status == 2u) { break; }
      }
      spins = 0u;
      if (j == 0u) { break; }
      j -= 1u;
    }
    if (t == 0u) { publish(3u + 4u * part, combine(prefix, aggregate)); }
  }
  var before = prefix;
  if (t > 0u) { before = combine(prefix, tot[t - 1u]); }
  for (var k = 0u; k < ${VECTORS}u; k++) {
    let q = q0 + k;
    if (q * 4u < params.n) {
      let inclusive = combine4(${V}(before), v[k]);
      let shifted = ${V}(before, inclusive.x, inclusive.y, inclusive.z);
      dst[q] = select(inclusive, shifted, params.exclusive == 1u);
    }
    before = combine(before, v[k].w);
  }
}`;
}
