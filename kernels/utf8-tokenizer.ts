// Word tokenizer over UTF-8 bytes.
//
// A token is a maximal run of code points in General Category L, M or N (`[\p{L}\p{M}\p{N}]`) of
// the input decoded as UTF-8 the way the WHATWG Encoding Standard's UTF-8 decoder (and so
// `TextDecoder`) decodes it: each maximal invalid subpart becomes one U+FFFD, which is not a token
// code point. Each token is lowercased as `String.prototype.toLowerCase` lowercases that token on
// its own: full lowercase mappings, with the Final_Sigma rule of Unicode SpecialCasing.txt.
import {
  FLAG_INDEX, FLAG_BLOCKS, DELTA_INDEX, DELTA_BLOCKS, SPECIAL_LOWER,
  FLAG_TOKEN, FLAG_CASED, FLAG_CASE_IGNORABLE, FLAG_SPECIAL_LOWER,
} from './unicode/tables';
import { TokenCounts, fnv1a } from './hash-aggregate';

const REPLACEMENT: u32 = 0xfffd;

/** Flags (FLAG_*) of a code point. */
@inline
export function flagsOf(cp: u32): u8 {
  const block = <u32>unchecked(FLAG_INDEX[cp >> 8]);
  return unchecked(FLAG_BLOCKS[(block << 8) | (cp & 255)]);
}

@inline
function lowerDelta(cp: u32): i32 {
  const block = <u32>unchecked(DELTA_INDEX[cp >> 8]);
  return unchecked(DELTA_BLOCKS[(block << 8) | (cp & 255)]);
}

// ASCII classes: 0 separator, 1 token byte kept as is, 2 upper-case letter (lowercase = b | 0x20).
const ASCII_CLASS = new StaticArray<u8>(128);
for (let b = 0; b < 128; b++) {
  let c: u8 = 0;
  if ((b >= 48 && b <= 57) || (b >= 97 && b <= 122)) c = 1;
  else if (b >= 65 && b <= 90) c = 2;
  unchecked((ASCII_CLASS[b] = c));
}

/** Where the last `decodeAt` stopped. */
let decodeNext: usize = 0;

/**
 * Decodes one code point at `at` (< `end`) as the WHATWG UTF-8 decoder does; sets `decodeNext`.
 * An invalid or truncated sequence yields U+FFFD and consumes only the bytes before the offending one.
 */
export function decodeAt(at: usize, end: usize): u32 {
  const b0 = <u32>load<u8>(at);
  if (b0 < 0x80) {
    decodeNext = at + 1;
    return b0;
  }
  let need: u32;
  let cp: u32;
  let lower: u32 = 0x80;
  let upper: u32 = 0xbf;
  if (b0 >= 0xc2 && b0 <= 0xdf) {
    need = 1;
    cp = b0 & 0x1f;
  } else if (b0 >= 0xe0 && b0 <= 0xef) {
    need = 2;
    cp = b0 & 0x0f;
    if (b0 == 0xe0) lower = 0xa0;
    if (b0 == 0xed) upper = 0x9f;
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    need = 3;
    cp = b0 & 0x07;
    if (b0 == 0xf0) lower = 0x90;
    if (b0 == 0xf4) upper = 0x8f;
  } else {
    decodeNext = at + 1;
    return REPLACEMENT;
  }
  let j = at + 1;
  for (let k: u32 = 0; k < need; k++) {
    if (j >= end) {
      decodeNext = j;
      return REPLACEMENT;
    }
    const b = <u32>load<u8>(j);
    if (b < lower || b > upper) {
      decodeNext = j;
      return REPLACEMENT;
    }
    lower = 0x80;
    upper = 0xbf;
    cp = (cp << 6) | (b & 0x3f);
    j++;
  }
  decodeNext = j;
  return cp;
}

/** Scratch space for the lowercased token (bytes) and its code points. */
let scratch: usize = 0;
let scratchCap: usize = 0;
let cps: usize = 0;
let cpsCap: usize = 0;

@inline
function ensureScratch(bytes: usize): void {
  if (bytes > scratchCap) {
    let cap: usize = scratchCap == 0 ? 256 : scratchCap;
    while (cap < bytes) cap <<= 1;
    scratch = scratchCap == 0 ? heap.alloc(cap) : heap.realloc(scratch, cap);
    scratchCap = cap;
  }
}

function ensureCps(count: usize): void {
  if (count > cpsCap) {
    let cap: usize = cpsCap == 0 ? 64 : cpsCap;
    while (cap < count) cap <<= 1;
    cps = cpsCap == 0 ? heap.alloc(cap << 2) : heap.realloc(cps, cap << 2);
    cpsCap = cap;
  }
}

@inline
function encodeUtf8(at: usize, cp: u32): usize {
  if (cp < 0x80) {
    store<u8>(at, <u8>cp);
    return 1;
  }
  if (cp < 0x800) {
    store<u8>(at, <u8>(0xc0 | (cp >> 6)));
    store<u8>(at, <u8>(0x80 | (cp & 0x3f)), 1);
    return 2;
  }
  if (cp < 0x10000) {
    store<u8>(at, <u8>(0xe0 | (cp >> 12)));
    store<u8>(at, <u8>(0x80 | ((cp >> 6) & 0x3f)), 1);
    store<u8>(at, <u8>(0x80 | (cp & 0x3f)), 2);
    return 3;
  }
  store<u8>(at, <u8>(0xf0 | (cp >> 18)));
  store<u8>(at, <u8>(0x80 | ((cp >> 12) & 0x3f)), 1);
  store<u8>(at, <u8>(0x80 | ((cp >> 6) & 0x3f)), 2);
  store<u8>(at, <u8>(0x80 | (cp & 0x3f)), 3);
  return 4;
}

/** Final_Sigma (SpecialCasing.txt): preceded by cased (skipping case-ignorable), not followed by one. */
function isFinalSigma(idx: usize, n: usize): bool {
  let before = false;
  for (let k = <isize>idx - 1; k >= 0; k--) {
    const f = flagsOf(load<u32>(cps + (<usize>k << 2)));
    if (f & FLAG_CASE_IGNORABLE) continue;
    before = (f & FLAG_CASED) != 0;
    break;
  }
  if (!before) return false;
  for (let k = idx + 1; k < n; k++) {
    const f = flagsOf(load<u32>(cps + (k << 2)));
    if (f & FLAG_CASE_IGNORABLE) continue;
    return (f & FLAG_CASED) == 0;
  }
  return true;
}

/** Lowercases the token `[start, end)` of valid UTF-8 into `scratch`; returns its byte length. */
function lowerToken(start: usize, end: usize, ascii: bool): usize {
  const len = end - start;
  if (ascii) {
    ensureScratch(len);
    for (let i: usize = 0; i < len; i++) {
      const b = load<u8>(start + i);
      store<u8>(scratch + i, unchecked(ASCII_CLASS[b]) == 2 ? b | 0x20 : b);
    }
    return len;
  }
  ensureCps(len);
  let n: usize = 0;
  let at = start;
  while (at < end) {
    store<u32>(cps + (n << 2), decodeAt(at, end));
    at = decodeNext;
    n++;
  }
  ensureScratch(len * 3 + 12); // a lowercase mapping grows a code point to at most 3 UTF-8 bytes per input byte
  let out: usize = 0;
  for (let i: usize = 0; i < n; i++) {
    const cp = load<u32>(cps + (i << 2));
    if (cp == 0x3a3) {
      out += encodeUtf8(scratch + out, isFinalSigma(i, n) ? 0x3c2 : 0x3c3);
      continue;
    }
    const f = flagsOf(cp);
    if (f & FLAG_SPECIAL_LOWER) {
      for (let s = 0; s < SPECIAL_LOWER.length; s += 4) {
        if (unchecked(SPECIAL_LOWER[s]) != cp) continue;
        for (let t = 1; t < 4; t++) {
          const l = unchecked(SPECIAL_LOWER[s + t]);
          if (l != 0) out += encodeUtf8(scratch + out, l);
        }
        break;
      }
      continue;
    }
    out += encodeUtf8(scratch + out, <u32>(<i32>cp + lowerDelta(cp)));
  }
  return out;
}

/** Lowercases the token `[start, end)` and counts it. */
@inline
function emitToken(start: usize, end: usize, ascii: bool, counts: TokenCounts): void {
  const n = lowerToken(start, end, ascii);
  counts.add(scratch, n, fnv1a(scratch, n), 1);
}

/**
 * Tokenizes `len` bytes at `src`, lowercases each token and adds it to `counts`.
 * @returns the number of tokens seen.
 */
export function countTokens(src: usize, len: usize, counts: TokenCounts): u64 {
  const end = src + len;
  let at = src;
  let tokens: u64 = 0;
  let start: usize = 0;
  let inToken = false;
  let ascii = true;
  while (at < end) {
    const b = <u32>load<u8>(at);
    if (b < 0x80) {
      if (unchecked(ASCII_CLASS[b]) != 0) {
        if (!inToken) {
          inToken = true;
          ascii = true;
          start = at;
        }
      } else if (inToken) {
        emitToken(start, at, ascii, counts);
        tokens++;
        inToken = false;
      }
      at++;
      continue;
    }
    const cp = decodeAt(at, end);
    if (flagsOf(cp) & FLAG_TOKEN) {
      if (!inToken) {
        inToken = true;
        start = at;
      }
      ascii = false;
    } else if (inToken) {
      emitToken(start, at, ascii, counts);
      tokens++;
      inToken = false;
    }
    at = decodeNext;
  }
  if (inToken) {
    emitToken(start, end, ascii, counts);
    tokens++;
  }
  return tokens;
}
