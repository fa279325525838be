/**
 * One-sweep LSD radix sort of u32 keys, 8 bits a pass: each pass reads every key once and writes
 * it once — A. Adinets and D. Merrill, "Onesweep: A Faster Least Significant Digit Radix Sort for
 * GPUs" (arXiv:2206.01784, 2022).
 *
 * 1. One histogram kernel counts the digits of every pass in a single read of the keys, and one
 *    small kernel turns each pass's 256 counts into exclusive starts.
 * 2. Per pass, one kernel: each workgroup takes the next partition of {@link PARTITION} keys from an
 *    atomic counter, sorts it by the pass's digit in workgroup memory (two stable 4-bit splits, each
 *    ranking keys with 16 packed 16-bit counters per thread and one workgroup scan — the scheme of
 *    Satish, Harris and Garland, IPDPS 2009), publishes its 256 digit counts, and finds for each
 *    digit the count of that digit in all earlier partitions by decoupled look-back (Merrill and
 *    Garland, NVR-2016-002), one thread per digit. Keys then go straight to their place: the
 *    digit's start + earlier partitions' count + rank within the partition; runs of one digit are
 *    written by consecutive threads.
 *
 * A look-back value is one u32: 2 flag bits (aggregate 1, inclusive prefix 2) over a 30-bit count,
 * so it is published by one atomic store. A predecessor silent for `spins` polls is not waited
 * for: the thread counts that digit in the predecessor's keys itself (the "decoupled fallback" of
 * Smith, Levien and Owens, SPAA 2025), so a pass ends even where workgroups are not guaranteed to
 * make progress. Needs {@link onesweepWorkgroupBytes} of workgroup memory.
 */
import { WORKGROUP_SIZE } from '../context.js';
import { PACKED_COUNTERS_WGSL, PACKED_COUNTER_SCAN_WGSL, workgroupScanWgsl } from './wgsl.js';

/** Keys each thread holds. */
const ITEMS = 8;
/** Keys one workgroup sorts per pass. */
export const PARTITION = WORKGROUP_SIZE * ITEMS;
/** Digit bits a pass. */
export const ONESWEEP_BITS = 8;
const RADIX = 1 << ONESWEEP_BITS;

/** Workgroup memory the pass kernel declares, in bytes. */
export function onesweepWorkgroupBytes(withValues: boolean): number {
  return PARTITION * 4 * (withValues ? 2 : 1) + 2 * WORKGROUP_SIZE * 16 + 3 * RADIX * 4 + 4;
}

/** u32 words of look-back state per pass: the partition counter, then 256 per partition. */
export function onesweepStateWords(partitions: number): number {
  return 1 + RADIX * partitions;
}

/** Counts the digits of every pass (params `{ n, bits }`) into `counts[pass · 256 + digit]`. */
export const onesweepHistogramShader = /* wgsl */ `
struct Params { n: u32, bits: u32 }
@group(0) @binding(0) var<storage, read> keys: array<u32>;
@group(0) @binding(1) var<storage, read_write> counts: array<atomic<u32>>;
@group(0) @binding(2) var<uniform> params: Params;
var<workgroup> local_counts: array<atomic<u32>, ${4 * RADIX}>;
@compute @workgroup_size(${WORKGROUP_SIZE})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) t: u32) {
  let group = wid.x + wid.y * nwg.x;
  let passes = (params.bits + 7u) / 8u;
  for (var k = 0u; k < 16u; k++) {
    let i = group * ${16 * WORKGROUP_SIZE}u + k * ${WORKGROUP_SIZE}u + t;
    if (i < params.n) {
      let key = keys[i];
      for (var p = 0u; p < passes; p++) {
        let width = min(8u, params.bits - 8u * p);
        let digit = (key >> (8u * p)) & ((1u << width) - 1u);
        atomicAdd(&local_counts[p * ${RADIX}u + digit], 1u);
      }
    }
  }
  workgroupBarrier();
  for (var b = t; b < passes * ${RADIX}u; b += ${WORKGROUP_SIZE}u) {
    let c = atomicLoad(&local_counts[b]);
    if (c > 0u) { atomicAdd(&counts[b], c); }
  }
}`;

/** Turns each pass's counts into exclusive starts; one workgroup a pass. */
export const onesweepStartsShader = /* wgsl */ `
@group(0) @binding(0) var<storage, read> counts: array<u32>;
@group(0) @binding(1) var<storage, read_write> starts: array<u32>;
var<workgroup> run: array<u32, ${RADIX}>;
@compute @workgroup_size(${RADIX})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) t: u32) {
  let c = counts[wid.x * ${RADIX}u + t];
  run[t] = c;
  workgroupBarrier();
  ${workgroupScanWgsl('run', RADIX, (a, b) => `${b} + ${a}`)}
  starts[wid.x * ${RADIX}u + t] = run[t] - c;
}`;

/** The pass kernel (see the module comment); params `{ n, shift, mask, parts, pass, spins }`. */
export function onesweepPassShader(withValues: boolean): string {
  const V = withValues;
  return /* wgsl */ `
struct Params { n: u32, shift: u32, mask: u32, parts: u32, pass_index: u32, spins: u32 }
@group(0) @binding(0) var<storage, read> keys_in: array<u32>;
@group(0) @binding(1) var<storage, read_write> keys_out: array<u32>;
@group(0) @binding(2) var<storage, read_write> state: array<atomic<u32>>;
@group(0) @binding(3) var<storage, read> starts: array<u32>;
@group(0) @binding(4) var<uniform> params: Params;
${V ? '@group(0) @binding(5) var<storage, read> values_in: array<u32>;\n@group(0) @binding(6) var<storage, read_write> values_out: array<u32>;' : ''}
const FLAG_AGGREGATE = 0x40000000u;
const FLAG_PREFIX = 0x80000000u;
const COUNT = 0x3fffffffu;
var<workgroup> keys_s: array<u32, ${PARTITION}>;
${V ? `var<workgroup> values_s: array<u32, ${PARTITION}>;` : ''}
var<workgroup> lo: array<vec4u, ${WORKGROUP_SIZE}>;
var<workgroup> hi: array<vec4u, ${WORKGROUP_SIZE}>;
var<workgroup> hist: array<atomic<u32>, ${RADIX}>;
var<workgroup> local_start: array<u32, ${RADIX}>;
var<workgroup> global_base: array<u32, ${RADIX}>;
var<workgroup> part_id: u32;

fn digit(key: u32) -> u32 { return (key >> params.shift) & params.mask; }
${PACKED_COUNTERS_WGSL}

// Stable sort of the partition in workgroup memory by the nibble of the digit at bit \`low\` (0 or 4).
fn split(t: u32, low: u32) {
  var key: array<u32, ${ITEMS}>;
  ${V ? `var value: array<u32, ${ITEMS}>;` : ''}
  var own: array<u32, ${ITEMS}>;
  var mine: array<vec4u, 2>;
  for (var k = 0u; k < ${ITEMS}u; k++) {
    key[k] = keys_s[t * ${ITEMS}u + k];
    ${V ? `value[k] = values_s[t * ${ITEMS}u + k];` : ''}
    let d = (digit(key[k]) >> low) & 15u;
    own[k] = counter(mine, d);
    bump(&mine, d);
  }
  lo[t] = mine[0];
  hi[t] = mine[1];
  workgroupBarrier();
  ${PACKED_COUNTER_SCAN_WGSL}
  let total = array<vec4u, 2>(lo[${WORKGROUP_SIZE - 1}u], hi[${WORKGROUP_SIZE - 1}u]);
  let before = array<vec4u, 2>(lo[t] - mine[0], hi[t] - mine[1]);
  var start: array<u32, 16>;
  var run = 0u;
  for (var d = 0u; d < 16u; d++) {
    start[d] = run;
    run += counter(total, d);
  }
  workgroupBarrier();
  for (var k = 0u; k < ${ITEMS}u; k++) {
    let d = (digit(key[k]) >> low) & 15u;
    let at = start[d] + counter(before, d) + own[k];
    keys_s[at] = key[k];
    ${V ? 'values_s[at] = value[k];' : ''}
  }
  workgroupBarrier();
}

// Keys of digit \`d\` in partition \`j\`, counted from the input (the look-back's fallback).
fn count_digit(j: u32, d: u32) -> u32 {
  var c = 0u;
  let end = min((j + 1u) * ${PARTITION}u, params.n);
  for (var i = j * ${PARTITION}u; i < end; i++) {
    if (digit(keys_in[i]) == d) { c += 1u; }
  }
  return c;
}

@compute @workgroup_size(${WORKGROUP_SIZE})
fn main(@builtin(local_invocation_index) t: u32) {
  if (t == 0u) { part_id = atomicAdd(&state[0], 1u); }
  let part = workgroupUniformLoad(&part_id);
  if (part >= params.parts) { return; }
  let base = part * ${PARTITION}u;
  let valid = min(${PARTITION}u, params.n - base);
  // Keys past the end sort last (their digit is the largest) and are never written out.
  for (var k = 0u; k < ${ITEMS}u; k++) {
    let i = k * ${WORKGROUP_SIZE}u + t;
    var key = 0xffffffffu;
    if (i < valid) { key = keys_in[base + i]; }
    keys_s[i] = key;
    ${V ? 'if (i < valid) { values_s[i] = values_in[base + i]; }' : ''}
  }
  workgroupBarrier();
  split(t, 0u);
  split(t, 4u);
  for (var k = 0u; k < ${ITEMS}u; k++) {
    let i = k * ${WORKGROUP_SIZE}u + t;
    if (i < valid) { atomicAdd(&hist[digit(keys_s[i])], 1u); }
  }
  workgroupBarrier();
  // Thread t owns digit t from here: its count, its start in the partition, its look-back.
  let count = atomicLoad(&hist[t]);
  local_start[t] = count;
  workgroupBarrier();
  ${workgroupScanWgsl('local_start', RADIX, (a, b) => `${b} + ${a}`)}
  let exclusive = local_start[t] - count;
  workgroupBarrier();
  local_start[t] = exclusive;
  let slot = 1u + part * ${RADIX}u + t;
  var prefix = 0u;
  if (part == 0u) {
    atomicStore(&state[slot], FLAG_PREFIX | count);
  } else {
    atomicStore(&state[slot], FLAG_AGGREGATE | count);
    var j = part - 1u;
    var spins = 0u;
    loop {
      let v = atomicLoad(&state[1u + j * ${RADIX}u + t]);
      if ((v & FLAG_PREFIX) != 0u) {
        prefix += v & COUNT;
        break;
      }
      if ((v & FLAG_AGGREGATE) != 0u) {
        prefix += v & COUNT;
      } else {
        spins += 1u;
        if (spins < params.spins) { continue; }
        prefix += count_digit(j, t);
      }
      spins = 0u;
      if (j == 0u) { break; }
      j -= 1u;
    }
    atomicStore(&state[slot], FLAG_PREFIX | (prefix + count));
  }
  global_base[t] = starts[params.pass_index * ${RADIX}u + t] + prefix;
  workgroupBarrier();
  for (var k = 0u; k < ${ITEMS}u; k++) {
    let i = k * ${WORKGROUP_SIZE}u + t;
    if (i < valid) {
      let key = keys_s[i];
      let d = digit(key);
      let at = global_base[d] + i - local_start[d];
      keys_out[at] = key;
      ${V ? 'values_out[at] = values_s[i];' : ''}
    }
  }
}`;
}
