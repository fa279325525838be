// The wasm tokenizer (kernels/build/kernels.wasm) against the plain TypeScript definition.
import test from 'ava';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, CORPUS } from '../../helpers/wrt-process.js';
import { countTokens, formatCounts } from '../../helpers/reference-wordcount.js';

const module = new WebAssembly.Module(readFileSync(join(ROOT, 'kernels/build/kernels.wasm')));

function wasmWordcount(input: Uint8Array): string {
  const e = new WebAssembly.Instance(module, {}).exports as {
    memory: WebAssembly.Memory;
    cabi_realloc: (a: number, b: number, c: number, d: number) => number;
    wordcount: (p: number, n: number) => number;
    cabi_post_wordcount: (r: number) => void;
  };
  const p = e.cabi_realloc(0, 0, 8, Math.max(1, input.byteLength));
  new Uint8Array(e.memory.buffer, p, input.byteLength).set(input);
  const r = e.wordcount(p, input.byteLength);
  const dv = new DataView(e.memory.buffer);
  const out = new TextDecoder().decode(new Uint8Array(e.memory.buffer, dv.getUint32(r, true), dv.getUint32(r + 4, true)));
  e.cabi_post_wordcount(r);
  return out;
}

const reference = (b: Uint8Array): string => formatCounts(countTokens(b));
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

test('ASCII, case folding and separators', () => {
  const input = utf8('Hello, hello HELLO! it\'s 42 x_y-z\tA1b2');
  assert.equal(wasmWordcount(input), reference(input));
  assert.equal(wasmWordcount(input), 'hello\t3\n42\t1\na1b2\t1\nit\t1\ns\t1\nx\t1\ny\t1\nz\t1\n');
});

test('special casing: dotted capital I, final sigma, title case digraphs, marks', () => {
  for (const s of ['İstanbul', 'ΟΔΟΣ ΣΑΣ Σ ΑΣ\u0301 Σα', 'ǅungla Ǆ', 'naïve café e\u0301', 'ẞtraße', '𐐀𐐨 ١٢٣ 漢字かな']) {
    assert.equal(wasmWordcount(utf8(s)), reference(utf8(s)), s);
  }
});

test('invalid UTF-8 decodes like TextDecoder (U+FFFD splits tokens, bytes are not swallowed)', () => {
  const cases = [
    [0x61, 0xff, 0x62],
    [0x61, 0xc3, 0x41],
    [0x61, 0xe2, 0x82, 0x41],
    [0xed, 0xa0, 0x80, 0x61],
    [0xf0, 0x9f, 0x98, 0x61],
    [0xf4, 0x90, 0x80, 0x80, 0x7a],
    [0xe0, 0x80, 0xaf, 0x41],
    [0x61, 0xc3],
  ];
  for (const c of cases) assert.equal(wasmWordcount(Uint8Array.from(c)), reference(Uint8Array.from(c)), c.join(','));
});

test('random mixtures of scripts, marks and broken bytes match the reference', () => {
  const pool = [0x41, 0x61, 0x20, 0x2c, 0x3a3, 0x391, 0x3c3, 0x130, 0x345, 0x301, 0xdf, 0x1e9e, 0x10400, 0x1f600, 0x4e00, 0x660, 0xfffd, 0x2019, 0xad, 0x1c5];
  let seed = 7;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  for (let round = 0; round < 2000; round++) {
    const parts: number[] = [];
    for (let i = 0; i < 1 + rand(30); i++) {
      if (rand(10) === 0) parts.push(rand(256));
      else {
        let cp = rand(10) < 7 ? pool[rand(pool.length)]! : rand(0x110000);
        if (cp >= 0xd800 && cp <= 0xdfff) cp = 0x41;
        parts.push(...utf8(String.fromCodePoint(cp)));
      }
    }
    const input = Uint8Array.from(parts);
    assert.equal(wasmWordcount(input), reference(input), Buffer.from(input).toString('hex'));
  }
});

test('empty input and input without tokens', () => {
  assert.equal(wasmWordcount(new Uint8Array(0)), '');
  assert.equal(wasmWordcount(utf8(' ,.;\n\t!?')), '');
});

test('real e-mail text matches the reference exactly', () => {
  const dir = join(CORPUS, 'spam-2');
  const files = readdirSync(dir).filter((f) => f.endsWith('.txt')).slice(0, 300);
  const input = Buffer.concat(files.flatMap((f) => [readFileSync(join(dir, f)), Buffer.from('\n')]));
  assert.equal(wasmWordcount(input), reference(input));
});
