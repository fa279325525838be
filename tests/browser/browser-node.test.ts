// A browser tab is a node: head + one Node node + one headless Chromium tab run the word count,
// the tab runs subtasks, and the output is byte-identical to an all-Node run.
import test from 'ava';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CORPUS, ROOT, WORDCOUNT, TestCluster, killAll, runWrt } from '../helpers/wrt-process.js';
import { launchChromium } from '../helpers/chromium.js';
import { readParts } from '../helpers/wordcount-output.js';

const work = mkdtempSync(join(tmpdir(), 'wrt-browser-'));
test.after.always(async () => {
  await killAll();
  rmSync(work, { recursive: true, force: true });
});

test.serial('a headless Chromium tab joins as a node, runs subtasks, and the output matches the all-Node run', async () => {
  const input = join(CORPUS, 'spam-1', '*.txt');
  const allNode = join(work, 'all-node');
  const r0 = await runWrt(['submit', WORDCOUNT, '--input', input, '--output', allNode, '--chunk-mb', '0.25']);
  assert.equal(r0.code, 0, r0.stderr);

  const cluster = await TestCluster.start([{ name: 'server-node', cpus: 1 }]);
  const { browser, close } = await launchChromium();
  try {
    const page = await browser.newPage();
    const consoleLines: string[] = [];
    page.on('console', (m) => consoleLines.push(m.text()));
    page.on('pageerror', (e) => consoleLines.push(`pageerror: ${e.message}`));
    const joined = cluster.waitForJoined('tab-node');
    await page.goto(`${cluster.httpUrl}/?name=tab-node&cpus=1#token=${cluster.token}`);
    assert.equal(await page.evaluate(() => crossOriginIsolated), true, 'the head must serve COOP/COEP headers');
    await joined;

    const mixed = join(work, 'mixed');
    const r = await runWrt([
      'submit',
      WORDCOUNT,
      '--address',
      cluster.address,
      '--input',
      input,
      '--output',
      mixed,
      '--chunk-mb',
      '0.25',
      '--json',
    ]);
    assert.equal(r.code, 0, `${r.stderr}\n${consoleLines.join('\n')}`);
    const summary = JSON.parse(r.stdout) as { nodes: string[] };
    assert.deepEqual(summary.nodes, ['server-node', 'tab-node']);

    const tab = await page.evaluate(
      () => (globalThis as unknown as { wrtNode: { state: string; tasksFinished: number; operators: string[] } }).wrtNode,
    );
    assert.equal(tab.state, 'connected');
    assert.ok(tab.tasksFinished > 0, 'the browser node ran no subtask');
    assert.ok(tab.operators.includes('tokenize'));
    const status = await cluster.status();
    assert.equal(status.nodes.find((n) => n.name === 'tab-node')?.platform, 'browser');

    assert.ok(readParts(mixed).bytes.equals(readParts(allNode).bytes), 'browser-assisted output differs from the all-Node output');
  } finally {
    await close();
    await cluster.stop();
  }
});

test.serial('a tab with WebGPU runs a pipeline GPU operator: the same code path as a Node node', async () => {
  const input = join(CORPUS, 'spam-1', '*.txt');
  const pipeline = `${ROOT}samples/gpu/build/word-lengths.wasm`;
  const allNode = join(work, 'gpu-all-node');
  const r0 = await runWrt(['submit', pipeline, '--input', input, '--output', allNode, '--chunk-mb', '0.25']);
  assert.equal(r0.code, 0, r0.stderr);

  // The Node node offers no GPU, so every map subtask (gpus: 1) must run in the tab.
  const cluster = await TestCluster.start([{ name: 'cpu-node', cpus: 1, args: ['--no-gpu'] }]);
  const { browser, close } = await launchChromium({ webgpu: true });
  try {
    const page = await browser.newPage();
    const consoleLines: string[] = [];
    page.on('console', (m) => consoleLines.push(m.text()));
    page.on('pageerror', (e) => consoleLines.push(`pageerror: ${e.message}`));
    const joined = cluster.waitForJoined('gpu-tab');
    await page.goto(`${cluster.httpUrl}/?name=gpu-tab&cpus=1#token=${cluster.token}`);
    await joined;
    const status = await cluster.status();
    assert.equal(status.nodes.find((n) => n.name === 'gpu-tab')?.gpus, 1, `the tab found no adapter\n${consoleLines.join('\n')}`);

    const out = join(work, 'gpu-tab');
    const r = await runWrt(['submit', pipeline, '--address', cluster.address, '--input', input, '--output', out, '--chunk-mb', '0.25']);
    assert.equal(r.code, 0, `${r.stderr}\n${consoleLines.join('\n')}`);
    const tab = await page.evaluate(() => (globalThis as unknown as { wrtNode: { operators: string[] } }).wrtNode);
    assert.ok(tab.operators.includes('lengths'), 'the tab ran no GPU map subtask');
    assert.ok(readParts(out).bytes.equals(readParts(allNode).bytes), 'the tab-run output differs from the all-Node run');
  } finally {
    await close();
    await cluster.stop();
  }
});
