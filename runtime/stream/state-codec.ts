/**
 * The byte form of operator and subtask snapshots: UTF-8 JSON in which the numbers JSON lacks
 * (±Infinity, NaN: accumulators of min/max, the watermark before any) are written as
 * `{"$f":"Infinity"}` and read back. Keys of keyed state are numbers or strings, so JSON keeps
 * them as they were.
 */

const SPECIAL = '$f';

/** A `null` token of compact JSON (not one inside a string, unless the string holds JSON punctuation). */
const NULL_TOKEN = /(?:^|[[,:])null(?:[,\]}]|$)/;

export function encodeState(value: unknown): Uint8Array {
  // A replacer runs JavaScript for every value (it doubled the time of a 100K-row join buffer), and
  // so does a walk looking for the numbers JSON lacks. JSON writes those as null: only a snapshot
  // whose plain JSON holds a null token can hold one, and only such a snapshot is walked.
  const json = JSON.stringify(value);
  if (!NULL_TOKEN.test(json) || !hasNonFinite(value)) return new TextEncoder().encode(json);
  return new TextEncoder().encode(
    JSON.stringify(value, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? { [SPECIAL]: String(v) } : v)),
  );
}

/** True when `value` (plain arrays, objects and primitives) holds ±Infinity or NaN anywhere. */
function hasNonFinite(value: unknown): boolean {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) return true;
    } else if (Array.isArray(v)) {
      for (const x of v) if (typeof x === 'number' ? !Number.isFinite(x) : x !== null && typeof x === 'object') stack.push(x);
    } else if (v !== null && typeof v === 'object') for (const x of Object.values(v)) stack.push(x);
  }
  return false;
}

/** @throws SyntaxError when `bytes` is not a snapshot's JSON. */
export function decodeState<T>(bytes: Uint8Array): T {
  return JSON.parse(new TextDecoder().decode(bytes), (_k, v: unknown) => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const o = v as Record<string, unknown>;
      const keys = Object.keys(o);
      if (keys.length === 1 && keys[0] === SPECIAL) return Number(o[SPECIAL]);
    }
    return v;
  }) as T;
}
