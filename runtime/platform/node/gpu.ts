/**
 * WebGPU in Node: Dawn's bindings from the npm `webgpu` package over Vulkan. Lookup order:
 * 1. `WRT_GPU=off` disables the GPU.
 * 2. The Vulkan drivers the loader finds by itself (or those named by `VK_ICD_FILENAMES` /
 *    `VK_DRIVER_FILES`): a real GPU when the machine has one.
 * 3. When no adapter comes from those and no driver file was named, SwiftShader's Vulkan driver
 *    (a CPU implementation) from Debian's `chromium` package, or the ICD file named by
 *    `WRT_SWIFTSHADER_ICD`. It is correct but slow: it lets CPU-only machines run GPU code.
 * Needs `libvulkan1` (the Vulkan loader) on the machine.
 */
import { existsSync } from 'node:fs';
import process from 'node:process';
import type { GpuLookup } from '../platform.js';

/** Where Debian's chromium package keeps SwiftShader's Vulkan ICD file. */
export const SWIFTSHADER_ICDS = ['/usr/lib/chromium/vk_swiftshader_icd.json', '/usr/lib64/chromium/vk_swiftshader_icd.json'];

/**
 * Dawn instance flags: full-precision timestamp queries. Dawn rounds timestamps to 100 µs by
 * default, against timing side channels in browsers; in a node no task can read them (kernel
 * timing is the benchmark's, gpu/timing.ts), and kernel-only times need the precision.
 */
export const DAWN_FLAGS = ['disable-dawn-features=timestamp_quantization'];

let lookup: Promise<GpuLookup> | null = null;

/** Looks WebGPU up once per process (see the module comment for the order). */
export function nodeGpu(): Promise<GpuLookup> {
  lookup ??= find();
  return lookup;
}

async function find(): Promise<GpuLookup> {
  if (process.env.WRT_GPU === 'off') return { gpu: null, reason: 'disabled by WRT_GPU=off' };
  let create: (flags: string[]) => GPU;
  try {
    ({ create } = (await import('webgpu')) as unknown as { create: (flags: string[]) => GPU });
  } catch (err) {
    return { gpu: null, reason: `the webgpu package (Dawn) did not load: ${(err as Error).message.split('\n')[0]}` };
  }
  process.env.XDG_RUNTIME_DIR ??= '/tmp';
  const named = process.env.VK_ICD_FILENAMES ?? process.env.VK_DRIVER_FILES;
  try {
    const gpu = create(DAWN_FLAGS);
    if (await gpu.requestAdapter()) return { gpu, note: named ? `Vulkan drivers from ${named}` : 'the system Vulkan drivers' };
  } catch {
    // fall through to SwiftShader
  }
  if (named) return { gpu: null, reason: `no WebGPU adapter from the Vulkan driver named by VK_ICD_FILENAMES/VK_DRIVER_FILES (${named})` };
  const icd = [process.env.WRT_SWIFTSHADER_ICD, ...SWIFTSHADER_ICDS].find((f) => f && existsSync(f));
  if (!icd)
    return {
      gpu: null,
      reason:
        'no WebGPU adapter: no Vulkan GPU driver, and no SwiftShader driver (apt-get install chromium libvulkan1, or set WRT_SWIFTSHADER_ICD)',
    };
  process.env.VK_ICD_FILENAMES = icd;
  try {
    const gpu = create(DAWN_FLAGS);
    if (await gpu.requestAdapter()) return { gpu, note: `SwiftShader (CPU) from ${icd}` };
  } catch {
    // reported below
  }
  return { gpu: null, reason: `no WebGPU adapter, not even SwiftShader from ${icd} (is libvulkan1 installed?)` };
}
