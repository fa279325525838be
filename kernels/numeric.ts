// CPU reference kernels in wasm for bench/gpu.ts: the same operations as gpu/ (matmul, reduce,
// scan, radix sort) so the benchmark compares the GPU with wasm on the CPU in one run. Pointers
// are byte offsets into this module's memory; lengths count elements.

/** Reserves `bytes` bytes (16-aligned) and returns their offset. */
export function alloc(bytes: usize): usize {
  return heap.alloc(bytes);
}

export function free(ptr: usize): void {
  heap.free(ptr);
}

/** C (m×n) = A (m×k) × B (k×n), f32, row-major; i-k-j order with 4-wide SIMD over j. */
export function matmul_f32(a: usize, b: usize, c: usize, m: i32, n: i32, k: i32): void {
  memory.fill(c, 0, <usize>(m * n) * 4);
  const BK = 64;
  for (let k0 = 0; k0 < k; k0 += BK) {
    const k1 = min(k0 + BK, k);
    for (let i = 0; i < m; i++) {
      const crow = c + <usize>(i * n) * 4;
      for (let p = k0; p < k1; p++) {
        const av = load<f32>(a + <usize>(i * k + p) * 4);
        const a4 = f32x4.splat(av);
        const brow = b + <usize>(p * n) * 4;
        let j = 0;
        for (; j + 4 <= n; j += 4) {
          const at = crow + <usize>j * 4;
          v128.store(at, f32x4.add(v128.load(at), f32x4.mul(a4, v128.load(brow + <usize>j * 4))));
        }
        for (; j < n; j++) {
          const at = crow + <usize>j * 4;
          store<f32>(at, load<f32>(at) + av * load<f32>(brow + <usize>j * 4));
        }
      }
    }
  }
}

/** Sum of n f32 (four SIMD lanes, then the tail). */
export function reduce_sum_f32(p: usize, n: i32): f32 {
  let acc = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) acc = f32x4.add(acc, v128.load(p + <usize>i * 4));
  let s = f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3);
  for (; i < n; i++) s += load<f32>(p + <usize>i * 4);
  return s;
}

/** Inclusive prefix sum of n u32 (wrapping). */
export function scan_sum_u32(src: usize, dst: usize, n: i32): void {
  let run: u32 = 0;
  for (let i = 0; i < n; i++) {
    run += load<u32>(src + <usize>i * 4);
    store<u32>(dst + <usize>i * 4, run);
  }
}

/** Sorts n u32 keys in place, LSD radix with 8-bit digits (4 passes); `tmp` holds n u32. */
export function radix_sort_u32(keys: usize, tmp: usize, n: i32): void {
  const counts = heap.alloc(256 * 4);
  let from = keys;
  let to = tmp;
  for (let shift: u32 = 0; shift < 32; shift += 8) {
    memory.fill(counts, 0, 256 * 4);
    for (let i = 0; i < n; i++) {
      const d = (load<u32>(from + <usize>i * 4) >> shift) & 255;
      store<u32>(counts + d * 4, load<u32>(counts + d * 4) + 1);
    }
    let sum: u32 = 0;
    for (let d: u32 = 0; d < 256; d++) {
      const c = load<u32>(counts + d * 4);
      store<u32>(counts + d * 4, sum);
      sum += c;
    }
    for (let i = 0; i < n; i++) {
      const key = load<u32>(from + <usize>i * 4);
      const d = (key >> shift) & 255;
      const at = load<u32>(counts + d * 4);
      store<u32>(to + <usize>at * 4, key);
      store<u32>(counts + d * 4, at + 1);
    }
    const t = from;
    from = to;
    to = t;
  }
  heap.free(counts);
}
