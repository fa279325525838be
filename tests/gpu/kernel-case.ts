/** The shape of a GPU kernel suite case, and the seeded generator its inputs come from. */
import type { GpuContext } from '../../gpu/index.js';

/** One case: a name and a body that throws when the kernel is wrong. */
export interface KernelCase {
  name: string;
  run(ctx: GpuContext): Promise<void>;
}

/** mulberry32: a small seeded PRNG (Tommy Ettinger), enough for test inputs. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
