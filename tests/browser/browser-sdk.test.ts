// The SDK drives a cluster from a headless Chromium page: tasks, refs and an actor.
import test from 'ava';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { FIXTURES, TestCluster, killAll } from '../helpers/wrt-process.js';
import { launchChromium } from '../helpers/chromium.js';
import type * as Sdk from '../../sdk/browser.js';

test.after.always(killAll);

test.serial('a browser page is a driver: tasks with ref dependencies, put/get, an ordered actor', async () => {
  const cluster = await TestCluster.start([{ name: 'server-node', cpus: 2 }]);
  const { browser, close } = await launchChromium();
  try {
    const page = await browser.newPage();
    await page.goto(`${cluster.httpUrl}/driver#token=${cluster.token}`);
    const core = [...readFileSync(`${FIXTURES}tasks.core.wasm`)];
    const result = await page.evaluate(async (bytes) => {
      const wrt = (await import(`${location.origin}/assets/sdk.js`)) as typeof Sdk;
      const rt = await wrt.init();
      try {
        const mod = await rt.load(new Uint8Array(bytes));
        const add = mod.remote('add');
        const sum = wrt.asNumber(await rt.get(add.call(add.call(1, 2), 10)));
        const put = rt.put(new Float64Array([4, 5]));
        const echoed = [...wrt.view(await rt.get(mod.remote('echo').call(put)), Float64Array)];
        const counter = await mod.actor('counter').create(0);
        const steps = (await rt.get([1, 2, 3].map((i) => counter.call('increment', i)))).map(wrt.asNumber);
        let failure = '';
        try {
          await rt.get(mod.remote('fail').call());
        } catch (e) {
          failure = `${(e as { name: string }).name} ${(e as { code: string }).code}`;
        }
        return { sum, echoed, steps, failure };
      } finally {
        await rt.shutdown();
      }
    }, core);
    assert.deepEqual(result, { sum: 13, echoed: [4, 5], steps: [1, 3, 6], failure: 'TaskError WRT_OPERATOR_ERROR' });
  } finally {
    await close();
    await cluster.stop();
  }
});
