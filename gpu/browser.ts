/** `wrt/gpu` for browsers: the kernels, and `requestGpu()` over `navigator.gpu`. */
import { GpuContext, type GpuContextOptions } from './context.js';
import { browserGpu } from '../runtime/platform/browser/gpu.js';
import { WrtError } from '../runtime/errors.js';

export * from './index.js';

/**
 * A {@link GpuContext} on the browser's WebGPU adapter.
 * @throws WRT_GPU_UNAVAILABLE with the reason when the page has none (no WebGPU, not a secure context)
 */
export async function requestGpu(options?: GpuContextOptions): Promise<GpuContext> {
  const found = await browserGpu();
  if (!found.gpu) throw new WrtError('WRT_GPU_UNAVAILABLE', found.reason);
  return GpuContext.create(found.gpu, options);
}
