/**
 * Key groups: how `keyBy` spreads keys over the parallel subtasks of an operator and how keyed
 * state is split when the parallelism changes (Flink's `KeyGroupRangeAssignment`). A key hashes to
 * one of `maxParallelism` key groups; subtask i of p owns a contiguous range of groups, so state
 * snapshotted per key group can be reassigned to any parallelism ≤ maxParallelism.
 *
 * The hashes are wrt's own (FNV-1a 32 over UTF-16 code units for strings, the two 32-bit halves
 * for integers, then MurmurHash3's fmix32 finalizer) and are the same in Node and browsers.
 */
import { WrtError } from '../errors.js';

/** Flink's default lower bound for the number of key groups. */
export const DEFAULT_MAX_PARALLELISM = 128;

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A 32-bit hash of a key: an integer (safe range) or a string. */
export function hashKey(key: number | string): number {
  if (typeof key === 'number') {
    if (Number.isSafeInteger(key)) {
      const lo = key | 0;
      const hi = Math.floor(key / 4294967296) | 0;
      return fmix32(lo ^ Math.imul(hi, 0x9e3779b1));
    }
    key = String(key);
  }
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return fmix32(h);
}

/** The key group of a key, in [0, maxParallelism). */
export function keyGroupOf(key: number | string, maxParallelism = DEFAULT_MAX_PARALLELISM): number {
  return hashKey(key) % maxParallelism;
}

/** The subtask (of `parallelism`) that owns key group `keyGroup`. */
export function subtaskOfKeyGroup(keyGroup: number, maxParallelism: number, parallelism: number): number {
  return Math.floor((keyGroup * parallelism) / maxParallelism);
}

/** The subtask that owns `key`. */
export function subtaskOfKey(key: number | string, maxParallelism: number, parallelism: number): number {
  return subtaskOfKeyGroup(keyGroupOf(key, maxParallelism), maxParallelism, parallelism);
}

/** Inclusive range of key groups subtask `index` of `parallelism` owns. */
export interface KeyGroupRange {
  readonly first: number;
  readonly last: number;
}

/**
 * @throws RangeError when parallelism is not in [1, maxParallelism] or index is out of range.
 */
export function keyGroupRange(index: number, maxParallelism: number, parallelism: number): KeyGroupRange {
  if (!Number.isInteger(parallelism) || parallelism < 1 || parallelism > maxParallelism)
    throw new WrtError('WRT_INVALID_ARGUMENT', `parallelism must be in [1, maxParallelism=${maxParallelism}], got ${parallelism}`);
  if (!Number.isInteger(index) || index < 0 || index >= parallelism)
    throw new WrtError('WRT_INVALID_ARGUMENT', `subtask index ${index} is not in [0, ${parallelism})`);
  return {
    first: Math.ceil((index * maxParallelism) / parallelism),
    last: Math.ceil(((index + 1) * maxParallelism) / parallelism) - 1,
  };
}
