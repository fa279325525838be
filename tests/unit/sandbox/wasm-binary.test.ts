import test from 'ava';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { capMemory, wasmKind, WASM_PAGE_BYTES } from '../../../runtime/sandbox/wasm-binary.js';
import { ROOT, WORDCOUNT } from '../../helpers/wrt-process.js';
import { WrtError } from '../../../runtime/errors.js';

const core = new Uint8Array(readFileSync(`${ROOT}samples/wordcount/build/pipeline.core.wasm`));

test('wasmKind tells core modules, components and other files apart', () => {
  assert.equal(wasmKind(core), 'core');
  assert.equal(wasmKind(new Uint8Array(readFileSync(WORDCOUNT))), 'component');
  assert.equal(wasmKind(new TextEncoder().encode('not wasm at all')), null);
});

test('capMemory sets the memory maximum that memory.grow then respects', () => {
  const capped = capMemory(core, 32);
  const instance = new WebAssembly.Instance(new WebAssembly.Module(capped as Uint8Array<ArrayBuffer>), {});
  const memory = instance.exports.memory as WebAssembly.Memory;
  const pages = memory.buffer.byteLength / WASM_PAGE_BYTES;
  assert.equal(memory.grow(32 - pages), pages);
  assert.throws(() => memory.grow(1), RangeError);
});

test('capMemory refuses a cap below the initial memory', () => {
  assert.throws(
    () => capMemory(core, 0),
    (e: unknown) => e instanceof WrtError && e.code === 'WRT_MEMORY_CAP',
  );
});
