/**
 * The host side of `wrt:runtime/keyed-state` (wit/runtime.wit): keyed state, event-time and processing-time timers
 * for a wasm Process operator, lowered by hand as the canonical ABI does (component-model
 * CanonicalABI.md): `list<u8>` arguments arrive as (ptr, len) in the instance's memory; results
 * that do not fit one core value are written to the caller's return area, and lists the host
 * returns are allocated with the instance's `cabi_realloc` (the guest frees them).
 *
 * Values and map keys are opaque bytes, kept in {@link KeyedStateBackend} as binary strings (one
 * char per byte) so snapshots stay JSON. The current key is chosen by row (`set-key(row)`) from the
 * batch the operator is processing, so state always belongs to the key the row was partitioned by.
 */
import type { KeyedStateBackend, StateKey } from './keyed-state.js';
import type { StateSpec } from '../protocol/messages.js';
import { WrtError } from '../errors.js';

export const KEYED_STATE_MODULE = 'wrt:runtime/keyed-state@0.1.0';

/** What the imports act on; the Process operator sets `keyOf` and the watermark before each call. */
export interface KeyedStateContext {
  backend: KeyedStateBackend;
  states: StateSpec[];
  /** Key of row `row` of the batch being processed. */
  keyOf: ((row: number) => StateKey) | null;
  currentKey: StateKey | null;
  watermark: number;
  registerTimer(key: StateKey, time: number): void;
  deleteTimer(key: StateKey, time: number): void;
  registerProcessingTimer(key: StateKey, time: number): void;
  deleteProcessingTimer(key: StateKey, time: number): void;
}

interface GuestExports {
  memory: WebAssembly.Memory;
  cabi_realloc: (old: number, oldSize: number, align: number, newSize: number) => number;
}

/**
 * Bytes as a binary string (one char a byte). An 8-byte key (an i64, the common case) as one call;
 * longer ones through `apply` in pieces (spreading a typed array into arguments is ~4× slower:
 * 350 vs 85 ns for 8 bytes, 42 ns as eight arguments).
 */
const toBinary = (b: Uint8Array): string => {
  if (b.length === 8) return String.fromCharCode(b[0]!, b[1]!, b[2]!, b[3]!, b[4]!, b[5]!, b[6]!, b[7]!);
  let s = '';
  for (let i = 0; i < b.length; i += 8192) s += String.fromCharCode.apply(null, b.subarray(i, i + 8192) as unknown as number[]);
  return s;
};

const MIN_I64 = -(2n ** 63n);

/** The import object entry for an instance; `guest()` returns its exports once instantiated. */
export function keyedStateImports(ctx: KeyedStateContext, guest: () => GuestExports | undefined): Record<string, WebAssembly.ImportValue> {
  const g = (): GuestExports => {
    const e = guest();
    if (!e) throw new WrtError('WRT_OPERATOR_ERROR', 'keyed state used before the instance was ready');
    return e;
  };
  const bytes = (ptr: number, len: number): Uint8Array => new Uint8Array(g().memory.buffer, ptr, len);
  const read = (ptr: number, len: number): string => toBinary(bytes(ptr, len));
  /** Copies `s` into guest memory; returns its pointer (0 when empty). */
  const write = (s: string): number => {
    if (s.length === 0) return 0;
    const p = g().cabi_realloc(0, 0, 1, s.length);
    const dst = new Uint8Array(g().memory.buffer, p, s.length);
    for (let i = 0; i < s.length; i++) dst[i] = s.charCodeAt(i);
    return p;
  };
  const spec = (state: number, kind: StateSpec['kind']): StateSpec => {
    const st = ctx.states[state];
    if (!st) throw new WrtError('WRT_OPERATOR_ERROR', `keyed state ${state} is not declared (the vertex declares ${ctx.states.length})`);
    if (st.kind !== kind)
      throw new WrtError('WRT_OPERATOR_ERROR', `keyed state ${state} ("${st.name}") is ${st.kind} state, used as ${kind}`);
    return st;
  };
  const opts = (st: StateSpec) => (st.ttlMs > 0 ? { ttlMs: st.ttlMs } : {});
  const key = (): StateKey => {
    if (ctx.currentKey === null) throw new WrtError('WRT_OPERATOR_ERROR', 'keyed state used before set-key');
    return ctx.currentKey;
  };
  const writeOption = (retptr: number, v: string | undefined): void => {
    const ptr = v === undefined ? 0 : write(v);
    const dv = new DataView(g().memory.buffer);
    dv.setUint8(retptr, v === undefined ? 0 : 1);
    dv.setUint32(retptr + 4, ptr, true);
    dv.setUint32(retptr + 8, v === undefined ? 0 : v.length, true);
  };
  return {
    'set-key': (row: number) => {
      if (!ctx.keyOf) throw new WrtError('WRT_OPERATOR_ERROR', 'set-key called outside a Process operator call');
      ctx.currentKey = ctx.keyOf(row >>> 0);
      ctx.backend.setCurrentKey(ctx.currentKey);
    },
    'value-get': (state: number, retptr: number) => {
      key();
      const st = spec(state, 'Value');
      writeOption(retptr, ctx.backend.value<string>(st.name, opts(st)).value());
    },
    'value-set': (state: number, ptr: number, len: number) => {
      key();
      const st = spec(state, 'Value');
      ctx.backend.value<string>(st.name, opts(st)).update(read(ptr, len));
    },
    clear: (state: number) => {
      key();
      const st = ctx.states[state];
      if (!st) throw new WrtError('WRT_OPERATOR_ERROR', `keyed state ${state} is not declared`);
      if (st.kind === 'Value') ctx.backend.value(st.name, opts(st)).clear();
      else if (st.kind === 'List') ctx.backend.list(st.name, opts(st)).clear();
      else ctx.backend.map(st.name, opts(st)).clear();
    },
    'list-add': (state: number, ptr: number, len: number) => {
      key();
      const st = spec(state, 'List');
      ctx.backend.list<string>(st.name, opts(st)).add(read(ptr, len));
    },
    'list-get': (state: number, retptr: number) => {
      key();
      const st = spec(state, 'List');
      const items = ctx.backend.list<string>(st.name, opts(st)).get();
      const arr = items.length === 0 ? 0 : g().cabi_realloc(0, 0, 4, items.length * 8);
      items.forEach((v, i) => {
        const p = write(v);
        const dv = new DataView(g().memory.buffer);
        dv.setUint32(arr + i * 8, p, true);
        dv.setUint32(arr + i * 8 + 4, v.length, true);
      });
      const dv = new DataView(g().memory.buffer);
      dv.setUint32(retptr, arr, true);
      dv.setUint32(retptr + 4, items.length, true);
    },
    'map-put': (state: number, kp: number, kl: number, vp: number, vl: number) => {
      key();
      const st = spec(state, 'Map');
      ctx.backend.map<string>(st.name, opts(st)).put(read(kp, kl), read(vp, vl));
    },
    'map-get': (state: number, kp: number, kl: number, retptr: number) => {
      key();
      const st = spec(state, 'Map');
      writeOption(retptr, ctx.backend.map<string>(st.name, opts(st)).get(read(kp, kl)));
    },
    'map-remove': (state: number, kp: number, kl: number) => {
      key();
      const st = spec(state, 'Map');
      ctx.backend.map<string>(st.name, opts(st)).remove(read(kp, kl));
    },
    'map-entries': (state: number, retptr: number) => {
      key();
      const st = spec(state, 'Map');
      const entries = ctx.backend.map<string>(st.name, opts(st)).entries();
      const arr = entries.length === 0 ? 0 : g().cabi_realloc(0, 0, 4, entries.length * 16);
      entries.forEach(([k, v], i) => {
        const kp = write(k);
        const vp = write(v);
        const dv = new DataView(g().memory.buffer);
        dv.setUint32(arr + i * 16, kp, true);
        dv.setUint32(arr + i * 16 + 4, k.length, true);
        dv.setUint32(arr + i * 16 + 8, vp, true);
        dv.setUint32(arr + i * 16 + 12, v.length, true);
      });
      const dv = new DataView(g().memory.buffer);
      dv.setUint32(retptr, arr, true);
      dv.setUint32(retptr + 4, entries.length, true);
    },
    'register-timer': (time: bigint) => ctx.registerTimer(key(), Number(time)),
    'delete-timer': (time: bigint) => ctx.deleteTimer(key(), Number(time)),
    watermark: () => (Number.isFinite(ctx.watermark) ? BigInt(ctx.watermark) : MIN_I64),
    'register-processing-timer': (time: bigint) => ctx.registerProcessingTimer(key(), Number(time)),
    'delete-processing-timer': (time: bigint) => ctx.deleteProcessingTimer(key(), Number(time)),
    'processing-time': () => BigInt(Date.now()),
  };
}

/**
 * Imports for an instance that must not use keyed state (Map operators, `configure`): each
 * `wrt:runtime/keyed-state` function the module imports throws `WRT_OPERATOR_ERROR`.
 */
export function refusingKeyedState(module: WebAssembly.Module): WebAssembly.Imports {
  const names = WebAssembly.Module.imports(module)
    .filter((i) => i.module === KEYED_STATE_MODULE)
    .map((i) => i.name);
  if (names.length === 0) return {};
  return {
    [KEYED_STATE_MODULE]: Object.fromEntries(
      names.map((name) => [
        name,
        () => {
          throw new WrtError('WRT_OPERATOR_ERROR', `${name}: keyed state is only for Process operators`);
        },
      ]),
    ),
  };
}
