/**
 * Runs the GPU kernel cases of kernel-suite.ts with plain Node, without ava: for the GPU device
 * machine, which has Node (from the device pack) but no node_modules to run ava from.
 *
 *   ../shared/tools/device-pack.sh dist/tests/gpu/run-kernel-cases.js
 *   bash .device-pack/run.sh dist/tests/gpu/run-kernel-cases.js
 *
 * Prints one `ok`/`not ok` line a case and a closing `N passed, N failed`; exits 1 when a case fails.
 * On this machine the same cases run under ava in tests/unit/gpu/kernels.test.ts.
 */
import process from 'node:process';
import { requestGpu } from '../../gpu/node.js';
import { kernelCases } from './kernel-suite.js';

const ctx = await requestGpu();
let passed = 0;
let failed = 0;
try {
  console.log(
    `adapter: ${ctx.adapter.vendor} ${ctx.adapter.architecture} ${ctx.adapter.description}${ctx.adapter.software ? ' (software)' : ''}`,
  );
  for (const c of kernelCases) {
    try {
      await c.run(ctx);
      passed++;
      console.log(`ok ${c.name}`);
    } catch (err) {
      failed++;
      console.log(`not ok ${c.name}: ${(err as Error).message}`);
    }
  }
} finally {
  ctx.destroy();
}
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 ? 1 : 0;
