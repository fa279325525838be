// Volunteers (docs/volunteers.md): headless Chromium tabs join a head through its volunteer link
// beside a trusted Node node and a cheating volunteer process (tests/helpers/cheating-volunteer.ts),
// which joins through the wire protocol and corrupts every fifth output it returns (20 % of its work).
import test from 'ava';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { CORPUS, ROOT, WORDCOUNT, TestCluster, killAll, runWrt, startScript, type WrtProcess } from '../helpers/wrt-process.js';
import { launchChromium } from '../helpers/chromium.js';
import { readParts } from '../helpers/wordcount-output.js';
import { deriveToken } from '../../runtime/protocol/credentials.js';
import { init, asNumber } from '../../sdk/node.js';
import { until } from '../helpers/until.js';

const work = mkdtempSync(join(tmpdir(), 'wrt-volunteers-'));
test.after.always(async () => {
  await killAll();
  rmSync(work, { recursive: true, force: true });
});

interface TabStatus {
  state: string;
  nodeId: string;
  tasksFinished: number;
  deploymentCount: number;
  deployments: { jobId: string; taskId: string; operator: string }[];
  trust: { valid: number; invalid: number; quarantined: boolean } | null;
}

const tabStatus = (page: Page): Promise<TabStatus> => page.evaluate(() => (globalThis as unknown as { wrtNode: TabStatus }).wrtNode);

/** A head that admits volunteers, one trusted node of one slot, and its volunteer link. */
async function volunteerCluster(): Promise<{ cluster: TestCluster; link: string }> {
  const cluster = await TestCluster.start([{ name: 'trusted', cpus: 1, args: ['--no-gpu'] }], ['--volunteers']);
  const link = /volunteer link .*?: (http\S+)/.exec(cluster.head.stdout)?.[1];
  assert.ok(link, cluster.head.stdout);
  return { cluster, link };
}

/** Opens `names` as volunteer tabs of one slot each and waits until each has joined. */
async function openTabs(cluster: TestCluster, link: string, newPage: () => Promise<Page>, names: string[]): Promise<Page[]> {
  const pages: Page[] = [];
  for (const name of names) {
    const page = await newPage();
    const joined = cluster.waitForJoined(name);
    await page.goto(link.replace('/#', `/?name=${name}&cpus=1#`));
    await joined;
    pages.push(page);
  }
  return pages;
}

function wordcount(
  cluster: TestCluster,
  input: string,
  out: string,
  volunteers: boolean,
): Promise<{ code: number | null; stderr: string }> {
  const args = ['submit', WORDCOUNT, '--address', cluster.address, '--token-file', cluster.tokenFile];
  return runWrt([...args, '--input', input, '--output', out, '--chunk-mb', '0.1', ...(volunteers ? ['--volunteers'] : [])]);
}

test.serial(
  'a cheating volunteer among honest tabs: word count and tasks give exactly the all-trusted output, the cheater ends quarantined, and work that does not allow volunteers never reaches them',
  async (t) => {
    t.timeout(240_000);
    const { cluster, link } = await volunteerCluster();
    const { browser, close } = await launchChromium();
    let cheater: WrtProcess | null = null;
    try {
      const tabs = await openTabs(cluster, link, () => browser.newPage(), ['tab-1', 'tab-2']);
      const token = await deriveToken(cluster.token, 'volunteer', 'link-1');
      cheater = startScript(`${ROOT}dist/tests/helpers/cheating-volunteer.js`, [cluster.address, token, 'cheater', '1', '5']);
      await cluster.waitForJoined('cheater');

      // (d) Work that does not allow volunteers, with the trusted node's one slot oversubscribed:
      // not one deployment reaches a volunteer (asked of the tabs themselves and of the cheater).
      const input = join(CORPUS, 'spam-1', '*.txt');
      const trustedOut = join(work, 'trusted');
      const r0 = await wordcount(cluster, input, trustedOut, false);
      assert.equal(r0.code, 0, r0.stderr);
      const rt = await init({ address: cluster.address, token: await deriveToken(cluster.token, 'driver', 'alice') });
      try {
        const mod = await rt.load(`${ROOT}samples/tasks/build/tasks.wasm`);
        const seeds = Array.from({ length: 160 }, (_, i) => i);
        const plain = mod.remote('sample');
        const expected = (await rt.get(seeds.map((s) => plain.call(s, 20_000)))).map(asNumber);
        for (const tab of tabs)
          assert.equal((await tabStatus(tab)).deploymentCount, 0, 'a volunteer tab received work of a trusted-only job');
        assert.doesNotMatch(cheater.stdout, /corrupted/);

        // (a) The same word count and tasks, allowed on volunteers.
        const volunteerOut = join(work, 'volunteers');
        const r1 = await wordcount(cluster, input, volunteerOut, true);
        assert.equal(r1.code, 0, r1.stderr);
        assert.ok(readParts(volunteerOut).bytes.equals(readParts(trustedOut).bytes), 'the volunteer-assisted word count differs');
        const verified = mod.remote('sample', { volunteers: 'verified' });
        const got = (await rt.get(seeds.map((s) => verified.call(s, 20_000)))).map(asNumber);
        assert.deepEqual(got, expected, 'the volunteer-assisted tasks differ');

        // The cheater corrupts every fifth output it returns, and two invalid results quarantine it;
        // how many units it wins against the tabs is a race, so it may have returned only one
        // corrupted output yet. More rounds of the same verified tasks (each still exact) until it
        // has returned its second, a bounded number of times.
        const quarantined = async (): Promise<boolean> =>
          (await cluster.status()).nodes.find((n) => n.name === 'cheater')?.trust?.quarantined === true;
        for (let round = 0; round < 6 && !(await quarantined()); round++) {
          const again = (await rt.get(seeds.map((s) => verified.call(s + 1000 * (round + 1), 20_000)))).map(asNumber);
          const want = (await rt.get(seeds.map((s) => plain.call(s + 1000 * (round + 1), 20_000)))).map(asNumber);
          assert.deepEqual(again, want, `round ${round + 2} of the volunteer-assisted tasks differs`);
        }
      } finally {
        await rt.shutdown();
      }

      assert.match(cheater.stdout, /corrupted/, 'the cheater was given no work to corrupt');
      const s = await cluster.status();
      const byName = new Map(s.nodes.map((n) => [n.name, n]));
      assert.equal(byName.get('cheater')?.trust?.quarantined, true, JSON.stringify(byName.get('cheater')));
      for (const name of ['tab-1', 'tab-2']) {
        const trust = byName.get(name)?.trust;
        assert.ok(trust && trust.valid > 0 && trust.invalid === 0, `${name}: ${JSON.stringify(trust)}`);
      }
      for (const tab of tabs) {
        const st = await tabStatus(tab);
        assert.ok(st.tasksFinished > 0 && st.trust && st.trust.valid > 0, `a tab ran no verified work: ${JSON.stringify(st.trust)}`);
      }
      const listed = await runWrt(['status', '--address', cluster.address, '--token-file', cluster.tokenFile]);
      assert.match(listed.stdout, /cheater .*quarantined/);
    } finally {
      await cheater?.kill();
      await close();
      await cluster.stop();
    }
  },
);

test.serial('30 % of the volunteer tabs close mid-job: the job completes with the exact output', async (t) => {
  t.timeout(240_000);
  const { cluster, link } = await volunteerCluster();
  const { browser, close } = await launchChromium();
  try {
    const names = Array.from({ length: 10 }, (_, i) => `tab-${i}`);
    const tabs = await openTabs(cluster, link, () => browser.newPage(), names);
    const input = join(CORPUS, 'easy-ham-1', '0[0-4]*.txt');
    const trustedOut = join(work, 'churn-trusted');
    const r0 = await wordcount(cluster, input, trustedOut, false);
    assert.equal(r0.code, 0, r0.stderr);

    const out = join(work, 'churn');
    let ended = false;
    const job = wordcount(cluster, input, out, true).finally(() => (ended = true));
    // Close three tabs once each has been given work.
    const leaving = tabs.slice(0, 3);
    await until(
      async () => ((await Promise.all(leaving.map(tabStatus))).every((s) => s.deploymentCount > 0) ? true : undefined),
      'three tabs got work',
      {
        timeoutMs: 60_000,
      },
    );
    assert.equal(ended, false, 'the job ended before the tabs left; give it more input');
    await Promise.all(leaving.map((p) => p.close()));
    const r = await job;
    assert.equal(r.code, 0, r.stderr);
    assert.ok(readParts(out).bytes.equals(readParts(trustedOut).bytes), 'output differs after tabs left');
    const lost = cluster.head.stderr.match(/node n-\d+ "tab-[012]" lost/g) ?? [];
    assert.equal(lost.length, 3, cluster.head.stderr);
  } finally {
    await close();
    await cluster.stop();
  }
});

test.serial('a tab whose page is stalled keeps its heartbeat: the agent and its slots run in dedicated workers', async (t) => {
  t.timeout(120_000);
  // Headless Chromium does not emulate hidden tabs (every page reports `visible`), so the page's main
  // thread is blocked outright for longer than the head's heartbeat timeout (5 s) — harsher than the
  // one-wake-a-second throttling of a hidden tab's main-thread timers.
  const { cluster, link } = await volunteerCluster();
  const { browser, close } = await launchChromium();
  try {
    const [tab] = await openTabs(cluster, link, () => browser.newPage(), ['stalled-tab']);
    await tab!.evaluate(() => {
      const end = Date.now() + 7000;
      while (Date.now() < end);
    });
    const s = await cluster.status();
    assert.equal(s.nodes.find((n) => n.name === 'stalled-tab')?.alive, true);
    assert.doesNotMatch(cluster.head.stderr, /stalled-tab" lost/);
    assert.equal((await tabStatus(tab!)).state, 'connected');
  } finally {
    await close();
    await cluster.stop();
  }
});
