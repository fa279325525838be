/** `wrt/gpu` for Node: the kernels, and `requestGpu()` over Dawn (npm `webgpu`). */
import { GpuContext, type GpuContextOptions } from './context.js';
import { nodeGpu } from '../runtime/platform/node/gpu.js';
import { WrtError } from '../runtime/errors.js';

export * from './index.js';

/**
 * A {@link GpuContext} on this machine's WebGPU adapter (a real GPU through Vulkan, or SwiftShader
 * when no other driver is found; see gpu/README.md).
 * @throws WRT_GPU_UNAVAILABLE with the reason when there is none
 */
export async function requestGpu(options?: GpuContextOptions): Promise<GpuContext> {
  const found = await nodeGpu();
  if (!found.gpu) throw new WrtError('WRT_GPU_UNAVAILABLE', found.reason);
  return GpuContext.create(found.gpu, options);
}
