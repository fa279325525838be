// The dashboard at /ui in headless Chromium while Nexmark q1 (with checkpoints) runs on a head and
// two node processes: the link `wrt dashboard --admin` prints opens it; the overview lists the
// nodes and the job; the job page draws the job graph, its record counts rise between two
// refreshes, a checkpoint completes in its history; a savepoint triggered from the page is found on
// disk; the job is cancelled from the page; tasks and actors pages show paged lists.
import test from 'ava';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { TestCluster, clusterFixture, runWrt, startWrt } from '../helpers/wrt-process.js';
import { launchChromium } from '../helpers/chromium.js';
import { nexmarkQ1 } from '../security/attack-helpers.js';

const f = clusterFixture('wrt-dashboard-');

test.serial('the dashboard follows a running stream job, takes a savepoint and cancels it from the page', async (t) => {
  t.timeout(150_000);
  const cluster = (f.cluster = await TestCluster.start(
    [
      { name: 'alpha', cpus: 1, args: ['--no-gpu'] },
      { name: 'beta', cpus: 1, args: ['--no-gpu'] },
    ],
    ['--checkpoint-dir', join(f.work, 'checkpoints'), '--savepoint-dir', join(f.work, 'savepoints')],
  ));
  const submit = startWrt(nexmarkQ1(cluster, 100_000_000, join(f.work, 'q1'), ['--parallelism', '2', '--checkpoint-interval-ms', '300']));
  const job = (await submit.waitFor(/stream job (j-\d+) accepted/))[1]!;
  const link = await runWrt(['dashboard', '--admin', '--address', cluster.address]);
  assert.equal(link.code, 0, link.stderr);
  assert.match(link.stdout, /^http:\/\/127\.0\.0\.1:\d+\/ui#token=\S+\n$/);

  const { browser, close } = await launchChromium();
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(link.stdout.trim());
    // The token leaves the address bar once read.
    await page.waitForFunction(() => !location.hash.includes('token='));
    await page.getByRole('heading', { name: 'Nodes (2)' }).waitFor();
    const nodes = await page.locator('table').first().locator('tbody tr').allTextContents();
    assert.equal(nodes.length, 2);
    assert.ok(nodes.some((r) => r.includes('alpha')) && nodes.some((r) => r.includes('beta')));

    await page.locator('a.job-link', { hasText: job }).click();
    await page.waitForSelector('svg.job-graph g.vertex');
    const vertices = await page.locator('svg.job-graph g.vertex').count();
    assert.ok(vertices >= 3, `${vertices} vertices drawn`);
    assert.ok((await page.locator('svg.job-graph path.edge').count()) >= vertices - 1);
    assert.equal(await page.locator('#job-state').textContent(), 'Running');

    // Record counts rise: the first subtask's records out in the watermark table, read twice.
    const recordsOut = async (): Promise<number> =>
      page.evaluate(() => {
        const cells = [...document.querySelectorAll('.watermarks tbody tr')].map((r) => r.children[4]?.textContent ?? '0');
        const n = (s: string): number => parseFloat(s) * ({ K: 1e3, M: 1e6, G: 1e9 }[s.slice(-1)] ?? 1);
        return cells.reduce((sum, c) => sum + n(c), 0);
      });
    await page.waitForFunction(() => document.querySelectorAll('.watermarks tbody tr').length > 0);
    const before = await recordsOut();
    await page.waitForFunction((b) => {
      const cells = [...document.querySelectorAll('.watermarks tbody tr')].map((r) => r.children[4]?.textContent ?? '0');
      const n = (s: string): number => parseFloat(s) * ({ K: 1e3, M: 1e6, G: 1e9 }[s.slice(-1)] ?? 1);
      return cells.reduce((sum, c) => sum + n(c), 0) > b;
    }, before);
    assert.ok((await recordsOut()) > before);
    const watermarkRows = await page.locator('.watermarks tbody tr').count();
    assert.equal(watermarkRows, vertices * 2, 'one row per subtask');

    await page.waitForSelector('.checkpoint-history .cp-completed');
    assert.ok((await page.locator('.plot.checkpoints canvas').count()) > 0, 'the checkpoint timeline is drawn');
    assert.ok((await page.locator('.plot.throughput canvas').count()) > 0, 'the throughput plot is drawn');

    await page.locator('button.savepoint').click();
    const path = (await page.locator('.savepoint-path').textContent({ timeout: 30_000 }))!;
    assert.ok(path.startsWith(join(f.work, 'savepoints')), path);
    assert.ok(existsSync(join(path, '_metadata')), 'the savepoint is on disk');

    page.once('dialog', (d) => void d.accept());
    await page.locator('button.cancel').click();
    await page.waitForFunction(() => document.getElementById('job-state')?.textContent === 'Cancelled');
    assert.ok(await page.locator('button.cancel').isDisabled());

    await page.locator('nav a', { hasText: 'Tasks' }).click();
    await page.getByRole('heading', { name: 'Tasks' }).waitFor();
    await page.locator('nav a', { hasText: 'Actors' }).click();
    await page.getByRole('heading', { name: 'Actors' }).waitFor();
    assert.deepEqual(errors, []);
  } finally {
    await close();
  }
});

test.serial('a page without a token asks for one; a wrong token is refused and asked for again', async (t) => {
  t.timeout(60_000);
  const cluster = f.cluster!;
  const { browser, close } = await launchChromium();
  try {
    const page = await browser.newPage();
    await page.goto(`${cluster.httpUrl}/ui`);
    await page.locator('form.token-form').waitFor();
    await page.locator('input.token').fill('wrt.viewer.ops.not-a-valid-mac');
    await page.locator('form.token-form button').click();
    await page.getByText('The head refused this token.').waitFor();
  } finally {
    await close();
  }
});
