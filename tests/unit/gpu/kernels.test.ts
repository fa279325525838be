import { after, before, describe, test } from 'node:test';
import process from 'node:process';
import { requestGpu, type GpuContext } from '../../../gpu/node.js';
import { kernelCases } from '../../gpu/kernel-suite.js';

// Runs on SwiftShader where the machine has no GPU (see runtime/platform/node/gpu.ts); WRT_GPU=off skips.
const skip = process.env.WRT_GPU === 'off' ? 'WRT_GPU=off' : false;

describe('GPU kernels in Node (Dawn)', { skip }, () => {
  let ctx: GpuContext;
  before(async () => {
    ctx = await requestGpu();
  });
  after(() => ctx?.destroy());
  for (const c of kernelCases) test(c.name, () => c.run(ctx));
});
