/**
 * WebGPU in a browser tab: `navigator.gpu`, which browsers offer only in secure contexts (https or
 * localhost) and Chromium on Linux only with `--enable-unsafe-webgpu`. Twin of `../node/gpu.ts`.
 */
import type { GpuLookup } from '../platform.js';

/** Looks WebGPU up (no caching needed: `navigator.gpu` is one object per page). */
export async function browserGpu(): Promise<GpuLookup> {
  if (typeof navigator === 'undefined' || !('gpu' in navigator) || !navigator.gpu)
    return {
      gpu: null,
      reason: isSecureContext ? 'this browser has no WebGPU (navigator.gpu)' : 'WebGPU needs a secure context (https or localhost)',
    };
  return { gpu: navigator.gpu, note: 'navigator.gpu' };
}
