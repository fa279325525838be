// AssemblyScript bindings of `wrt:runtime/keyed-state` (wit/runtime.wit): keyed state and
// event-time timers of a stream Process operator, lowered by hand as the canonical ABI does
// (component-model CanonicalABI.md): lists as (ptr, len), results through a return area, memory
// for returned lists allocated by the host with our cabi_realloc and freed here.

@external('wrt:runtime/keyed-state@0.1.0', 'set-key')
declare function hostSetKey(row: u32): void;
@external('wrt:runtime/keyed-state@0.1.0', 'value-get')
declare function hostValueGet(state: u32, retptr: usize): void;
@external('wrt:runtime/keyed-state@0.1.0', 'value-set')
declare function hostValueSet(state: u32, ptr: usize, len: usize): void;
@external('wrt:runtime/keyed-state@0.1.0', 'clear')
declare function hostClear(state: u32): void;
@external('wrt:runtime/keyed-state@0.1.0', 'list-add')
declare function hostListAdd(state: u32, ptr: usize, len: usize): void;
@external('wrt:runtime/keyed-state@0.1.0', 'list-get')
declare function hostListGet(state: u32, retptr: usize): void;
@external('wrt:runtime/keyed-state@0.1.0', 'map-put')
declare function hostMapPut(state: u32, kptr: usize, klen: usize, vptr: usize, vlen: usize): void;
@external('wrt:runtime/keyed-state@0.1.0', 'map-get')
declare function hostMapGet(state: u32, kptr: usize, klen: usize, retptr: usize): void;
@external('wrt:runtime/keyed-state@0.1.0', 'map-remove')
declare function hostMapRemove(state: u32, kptr: usize, klen: usize): void;
@external('wrt:runtime/keyed-state@0.1.0', 'register-timer')
declare function hostRegisterTimer(time: i64): void;
@external('wrt:runtime/keyed-state@0.1.0', 'delete-timer')
declare function hostDeleteTimer(time: i64): void;
@external('wrt:runtime/keyed-state@0.1.0', 'watermark')
declare function hostWatermark(): i64;
@external('wrt:runtime/keyed-state@0.1.0', 'register-processing-timer')
declare function hostRegisterProcessingTimer(time: i64): void;
@external('wrt:runtime/keyed-state@0.1.0', 'delete-processing-timer')
declare function hostDeleteProcessingTimer(time: i64): void;
@external('wrt:runtime/keyed-state@0.1.0', 'processing-time')
declare function hostProcessingTime(): i64;


/** Return area: option<list<u8>> = u8 @0, ptr @4, len @8; list<list<u8>> = ptr @0, count @4. */
const RET: usize = memory.data(16, 8);
/** Scratch for small keys and values (up to 64 bytes). */
export const SCRATCH: usize = memory.data(64, 8);

/** A byte string the host allocated (none when empty); `free()` when done. */
export class Bytes {
  constructor(
    public present: bool,
    public ptr: usize,
    public len: usize,
  ) {}
  @inline i64(at: usize): i64 {
    return load<i64>(this.ptr + at);
  }
  free(): void {
    if (this.ptr != 0) heap.free(this.ptr);
    this.ptr = 0;
  }
}

/** Makes row `row` of the batch being processed the current key. */
export function setKey(row: u32): void {
  hostSetKey(row);
}

/** The current key's value of value state `state`, or an absent `Bytes`. */
export function valueGet(state: u32): Bytes {
  hostValueGet(state, RET);
  if (load<u8>(RET) == 0) return new Bytes(false, 0, 0);
  return new Bytes(true, <usize>load<u32>(RET, 4), <usize>load<u32>(RET, 8));
}

export function valueSet(state: u32, ptr: usize, len: usize): void {
  hostValueSet(state, ptr, len);
}

export function clearState(state: u32): void {
  hostClear(state);
}

export function listAdd(state: u32, ptr: usize, len: usize): void {
  hostListAdd(state, ptr, len);
}

/** The elements of list state `state`; free each and the array with `freeList`. */
export function listGet(state: u32): StaticArray<Bytes> {
  hostListGet(state, RET);
  const base = <usize>load<u32>(RET);
  const n = load<u32>(RET, 4);
  const out = new StaticArray<Bytes>(n);
  for (let i: u32 = 0; i < n; i++) out[i] = new Bytes(true, <usize>load<u32>(base + <usize>i * 8), <usize>load<u32>(base + <usize>i * 8, 4));
  if (base != 0) heap.free(base);
  return out;
}

export function freeList(items: StaticArray<Bytes>): void {
  for (let i = 0; i < items.length; i++) items[i].free();
}

export function mapPut(state: u32, kptr: usize, klen: usize, vptr: usize, vlen: usize): void {
  hostMapPut(state, kptr, klen, vptr, vlen);
}

export function mapGet(state: u32, kptr: usize, klen: usize): Bytes {
  hostMapGet(state, kptr, klen, RET);
  if (load<u8>(RET) == 0) return new Bytes(false, 0, 0);
  return new Bytes(true, <usize>load<u32>(RET, 4), <usize>load<u32>(RET, 8));
}

export function mapRemove(state: u32, kptr: usize, klen: usize): void {
  hostMapRemove(state, kptr, klen);
}

export function registerTimer(time: i64): void {
  hostRegisterTimer(time);
}

export function deleteTimer(time: i64): void {
  hostDeleteTimer(time);
}

export function watermark(): i64 {
  return hostWatermark();
}

/** A processing-time timer for the current key at `time` (ms since the epoch); fires on port 3. */
export function registerProcessingTimer(time: i64): void {
  hostRegisterProcessingTimer(time);
}

export function deleteProcessingTimer(time: i64): void {
  hostDeleteProcessingTimer(time);
}

/** The node's clock, ms since the epoch. */
export function processingTime(): i64 {
  return hostProcessingTime();
}
