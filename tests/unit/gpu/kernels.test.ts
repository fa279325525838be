import test from 'ava';
import process from 'node:process';
import { requestGpu, type GpuContext } from '../../../gpu/node.js';
import { kernelCases } from '../../gpu/kernel-suite.js';

// Runs on SwiftShader where the machine has no GPU (see runtime/platform/node/gpu.ts); WRT_GPU=off
// skips. On the GPU device machine (no ava there) tests/gpu/run-kernel-cases.ts runs the same cases.
const SUITE = 'GPU kernels in Node (Dawn)';
const off = process.env.WRT_GPU === 'off';
let ctx: GpuContext | undefined;

test.before(async () => {
  if (!off) ctx = await requestGpu();
});
test.after.always(() => ctx?.destroy());

for (const c of kernelCases) {
  const title = `${SUITE}: ${c.name}`;
  if (off) test.skip(title, () => undefined);
  else test.serial(title, () => c.run(ctx!));
}
