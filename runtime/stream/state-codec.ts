/**
 * The byte form of operator and subtask snapshots: UTF-8 JSON in which the numbers JSON lacks
 * (±Infinity, NaN: accumulators of min/max, the watermark before any) are written as
 * `{"$f":"Infinity"}` and read back. Keys of keyed state are numbers or strings, so JSON keeps
 * them as they were.
 *
 * Bytes an operator keeps as bytes (an interval join's buffered rows as one WRB1 batch) go in a
 * {@link StateBytes}: a snapshot holding any is written as a container — "WRS1", u32 JSON length,
 * u32 blob count, a u32 length per blob (all little-endian), the JSON, then the blobs — where the
 * JSON names each blob as `{"$b":index}`. One without is plain JSON, as before 2026-12.
 */

const SPECIAL = '$f';
const BLOB = '$b';
const CONTAINER_MAGIC = 0x31535257; // "WRS1"

/**
 * Bytes inside a snapshot, written as they are rather than as JSON; {@link decodeState} gives back
 * a Uint8Array (a view of the snapshot's bytes) in its place.
 */
export class StateBytes {
  constructor(readonly bytes: Uint8Array) {}
  /** Called by JSON.stringify inside {@link encodeState}: records the bytes, writes their index. */
  toJSON(): unknown {
    if (!blobs) throw new Error('StateBytes are written by encodeState only');
    blobs.push(this.bytes);
    return { [BLOB]: blobs.length - 1 };
  }
}

/** The blobs of the snapshot being encoded (JSON.stringify calls toJSON synchronously). */
let blobs: Uint8Array[] | null = null;

/** A `null` token of compact JSON (not one inside a string, unless the string holds JSON punctuation). */
const NULL_TOKEN = /(?:^|[[,:])null(?:[,\]}]|$)/;

export function encodeState(value: unknown): Uint8Array {
  try {
    blobs = [];
    // A replacer runs JavaScript for every value (it doubled the time of a 100K-row join buffer),
    // and so does a walk looking for the numbers JSON lacks. JSON writes those as null: only a
    // snapshot whose plain JSON holds a null token can hold one, and only such a snapshot is walked.
    let json = JSON.stringify(value);
    if (NULL_TOKEN.test(json) && hasNonFinite(value)) {
      blobs = [];
      json = JSON.stringify(value, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? { [SPECIAL]: String(v) } : v));
    }
    const text = new TextEncoder().encode(json);
    return blobs.length === 0 ? text : container(text, blobs);
  } finally {
    blobs = null;
  }
}

function container(json: Uint8Array, parts: readonly Uint8Array[]): Uint8Array {
  const head = 12 + 4 * parts.length;
  const out = new Uint8Array(head + json.byteLength + parts.reduce((n, p) => n + p.byteLength, 0));
  const dv = new DataView(out.buffer);
  dv.setUint32(0, CONTAINER_MAGIC, true);
  dv.setUint32(4, json.byteLength, true);
  dv.setUint32(8, parts.length, true);
  parts.forEach((p, i) => dv.setUint32(12 + 4 * i, p.byteLength, true));
  out.set(json, head);
  let at = head + json.byteLength;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
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
    } else if (v !== null && typeof v === 'object' && !(v instanceof StateBytes) && !ArrayBuffer.isView(v))
      for (const x of Object.values(v)) stack.push(x);
  }
  return false;
}

/**
 * The value {@link encodeState} wrote; each {@link StateBytes} comes back as its Uint8Array.
 * @throws SyntaxError when `bytes` is not a snapshot (JSON, or a container whose lengths and blob
 *   references are its own).
 */
export function decodeState<T>(bytes: Uint8Array): T {
  let json = bytes;
  const parts: Uint8Array[] = [];
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength >= 12 && dv.getUint32(0, true) === CONTAINER_MAGIC) {
    const jsonBytes = dv.getUint32(4, true);
    const count = dv.getUint32(8, true);
    const head = 12 + 4 * count;
    if (head > bytes.byteLength) throw new SyntaxError(`a snapshot container of ${bytes.byteLength} bytes cannot list ${count} blobs`);
    let at = head + jsonBytes;
    for (let i = 0; i < count; i++) {
      const n = dv.getUint32(12 + 4 * i, true);
      parts.push(bytes.subarray(at, at + n));
      at += n;
    }
    if (at > bytes.byteLength)
      throw new SyntaxError(`a snapshot container of ${bytes.byteLength} bytes is truncated (its lengths add up to ${at})`);
    json = bytes.subarray(head, head + jsonBytes);
  }
  return JSON.parse(new TextDecoder().decode(json), (_k, v: unknown) => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const o = v as Record<string, unknown>;
      const keys = Object.keys(o);
      if (keys.length === 1 && keys[0] === SPECIAL) return Number(o[SPECIAL]);
      if (keys.length === 1 && keys[0] === BLOB && parts.length > 0) {
        const part = parts[o[BLOB] as number];
        if (!part) throw new SyntaxError(`the snapshot names blob ${String(o[BLOB])} of ${parts.length}`);
        return part;
      }
    }
    return v;
  }) as T;
}
