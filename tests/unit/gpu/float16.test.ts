// The f32 → binary16 conversion behind the f16 matmul path (uploaded as u16 bit patterns). This
// machine's SwiftShader has no shader-f16, so the conversion is checked here on its own against
// IEEE 754 binary16 values worked out by hand.
import test from 'ava';
import assert from 'node:assert/strict';
import { toFloat16 } from '../../../gpu/kernels/matmul.js';

const hex = (x: Uint16Array): string[] => [...x].map((v) => v.toString(16).padStart(4, '0'));

test('toFloat16 rounds to nearest even and handles subnormals, overflow, infinities and NaN', () => {
  const input = Float32Array.from([
    0,
    -0,
    1,
    -2,
    0.1,
    65504,
    65519,
    65520,
    2 ** -24,
    2 ** -25,
    2 ** -25 * 3,
    2 ** -14,
    Infinity,
    -Infinity,
  ]);
  assert.deepEqual(hex(toFloat16(input)), [
    '0000', // 0
    '8000', // -0
    '3c00', // 1
    'c000', // -2
    '2e66', // 0.1 → 0.0999755859375
    '7bff', // the largest finite half
    '7bff', // below the halfway point to 65536: stays finite
    '7c00', // halfway to 65536 rounds to even: overflows to +Infinity
    '0001', // the smallest subnormal
    '0000', // half of it: ties to even (0)
    '0002', // 1.5 × the smallest subnormal: ties to even (2)
    '0400', // the smallest normal
    '7c00',
    'fc00',
  ]);
  const nan = toFloat16(Float32Array.from([NaN]))[0]!;
  assert.equal(nan & 0x7c00, 0x7c00, 'NaN keeps an all-ones exponent');
  assert.notEqual(nan & 0x03ff, 0, 'and a non-zero mantissa');
});
