/**
 * Small readers and rewriters of the WebAssembly binary format (WebAssembly Core Specification 2.0,
 * §5 "Binary Format"; the component preamble from the Component Model's Binary.md).
 */
import { WrtError } from '../errors.js';

export const WASM_PAGE_BYTES = 65536;

/** 'core' for a core module (version 1), 'component' for a component (version 0x0d, layer 1). */
export function wasmKind(bytes: Uint8Array): 'core' | 'component' | null {
  if (bytes.byteLength < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) return null;
  if (bytes[4] === 1 && bytes[5] === 0 && bytes[6] === 0 && bytes[7] === 0) return 'core';
  if (bytes[6] === 1 && bytes[7] === 0) return 'component';
  return null;
}

function readU32(bytes: Uint8Array, at: number): [value: number, next: number] {
  let result = 0;
  let shift = 0;
  for (;;) {
    const b = bytes[at++];
    if (b === undefined) throw new WrtError('WRT_NOT_WASM', 'truncated LEB128 in the wasm binary');
    result += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return [result, at];
    shift += 7;
    if (shift > 35) throw new WrtError('WRT_NOT_WASM', 'LEB128 too long in the wasm binary');
  }
}

function writeU32(v: number): number[] {
  const out: number[] = [];
  do {
    let b = v & 0x7f;
    v = Math.floor(v / 128);
    if (v !== 0) b |= 0x80;
    out.push(b);
  } while (v !== 0);
  return out;
}

/**
 * Returns a copy of core module `bytes` whose (single, defined) memory has maximum `maxPages`
 * (64 KiB pages), or the module's own maximum if that is lower: the instance's linear-memory cap.
 * Modules that import their memory or declare none are returned unchanged.
 * @throws WrtError `WRT_MEMORY_CAP` when the memory's initial size already exceeds the cap;
 *   `WRT_NOT_WASM` when the binary is malformed or shared/64-bit memories are used.
 */
export function capMemory(bytes: Uint8Array, maxPages: number): Uint8Array {
  let at = 8;
  while (at < bytes.byteLength) {
    const id = bytes[at]!;
    const [size, body] = readU32(bytes, at + 1);
    const end = body + size;
    if (end > bytes.byteLength) throw new WrtError('WRT_NOT_WASM', 'a section runs past the end of the wasm binary');
    if (id === 5) {
      const [count, p] = readU32(bytes, body);
      if (count !== 1) return bytes;
      const flag = bytes[p];
      if (flag !== 0 && flag !== 1) throw new WrtError('WRT_NOT_WASM', `memory limits flag ${flag} (shared or 64-bit) is not supported`);
      const [min, q] = readU32(bytes, p + 1);
      let max = maxPages;
      if (flag === 1) max = Math.min(readU32(bytes, q)[0], maxPages);
      if (min > max) {
        throw new WrtError(
          'WRT_MEMORY_CAP',
          `the module's initial memory (${min * WASM_PAGE_BYTES} bytes) exceeds its cap of ${maxPages * WASM_PAGE_BYTES} bytes`,
        );
      }
      const section = [...writeU32(1), 1, ...writeU32(min), ...writeU32(max)];
      const header = [5, ...writeU32(section.length)];
      const out = new Uint8Array(at + header.length + section.length + (bytes.byteLength - end));
      out.set(bytes.subarray(0, at), 0);
      out.set(header, at);
      out.set(section, at + header.length);
      out.set(bytes.subarray(end), at + header.length + section.length);
      return out;
    }
    at = end;
  }
  return bytes;
}

/** Function imports a module may declare (its world's imports): module → names; see wit/. */
export const WORLD_IMPORTS: Readonly<Record<string, ReadonlySet<string> | 'any-function'>> = {
  'wrt:runtime/gpu@0.1.0': new Set(['run']),
  'wrt:runtime/keyed-state@0.1.0': 'any-function',
};

function readName(bytes: Uint8Array, at: number): [string, number] {
  const [len, p] = readU32(bytes, at);
  if (p + len > bytes.byteLength) throw new WrtError('WRT_NOT_WASM', 'a name runs past the end of the wasm binary');
  return [new TextDecoder().decode(bytes.subarray(p, p + len)), p + len];
}

/** Skips a limits record (memory or table), returning the next offset. */
function skipLimits(bytes: Uint8Array, at: number): number {
  const flag = bytes[at]!;
  let p = readU32(bytes, at + 1)[1];
  if (flag & 1) p = readU32(bytes, p)[1];
  return p;
}

/**
 * Checks core module `bytes` against the sandbox's rules before it is compiled or instantiated:
 * one linear memory at most, defined by the module (no memory import), and no import outside its
 * world ({@link WORLD_IMPORTS}: functions of `wrt:runtime/gpu` and `wrt:runtime/keyed-state`).
 * Sections: WebAssembly Core Specification 2.0 §5.5.5 (imports) and §5.5.8 (memories).
 * @throws WrtError `WRT_SANDBOX` naming the rule broken; `WRT_NOT_WASM` when the binary is malformed
 */
export function checkSandbox(bytes: Uint8Array): void {
  if (wasmKind(bytes) !== 'core') throw new WrtError('WRT_NOT_WASM', 'the sandbox runs core WebAssembly modules (version 1)');
  let at = 8;
  let memories = 0;
  while (at < bytes.byteLength) {
    const id = bytes[at]!;
    const [size, body] = readU32(bytes, at + 1);
    const end = body + size;
    if (end > bytes.byteLength) throw new WrtError('WRT_NOT_WASM', 'a section runs past the end of the wasm binary');
    if (id === 2) {
      let [count, p] = readU32(bytes, body);
      for (; count > 0; count--) {
        let module: string;
        let name: string;
        [module, p] = readName(bytes, p);
        [name, p] = readName(bytes, p);
        const kind = bytes[p++];
        const what = `import "${module}" "${name}"`;
        if (kind === 2)
          throw new WrtError('WRT_SANDBOX', `${what} is a memory: a module must define its own linear memory, not import one`);
        const allowed = WORLD_IMPORTS[module];
        if (kind !== 0 || !allowed || (allowed !== 'any-function' && !allowed.has(name))) {
          throw new WrtError(
            'WRT_SANDBOX',
            `${what} lies outside the module's world (it may import functions of ${Object.keys(WORLD_IMPORTS).join(', ')} only)`,
          );
        }
        p = readU32(bytes, p)[1];
      }
    } else if (id === 5) {
      let [count, p] = readU32(bytes, body);
      memories += count;
      for (; count > 0; count--) p = skipLimits(bytes, p);
    }
    at = end;
  }
  if (memories > 1)
    throw new WrtError('WRT_SANDBOX', `the module defines ${memories} memories; the sandbox caps one linear memory per instance`);
}
