/**
 * The byte form of operator and subtask snapshots: UTF-8 JSON in which the numbers JSON lacks
 * (±Infinity, NaN: accumulators of min/max, the watermark before any) are written as
 * `{"$f":"Infinity"}` and read back. Keys of keyed state are numbers or strings, so JSON keeps
 * them as they were.
 */

const SPECIAL = '$f';

export function encodeState(value: unknown): Uint8Array {
  return new TextEncoder().encode(
    JSON.stringify(value, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? { [SPECIAL]: String(v) } : v)),
  );
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
