// One resource ledger (ADR 0007) on a real cluster: a head process, one node process with four
// slots and one GPU (SwiftShader on CPU-only machines), GPU tasks from the SDK and a GPU batch
// pipeline (`wrt submit` of samples/gpu word-lengths) submitted at once. The node talks to the head
// through a FrameTap, so the test reads every deployment the head sent and every completion the
// node reported, and checks that no two GPU grants were ever out at once. (Before the ledger, tasks
// and batch subtasks were counted apart and both took the one GPU.)
import test from 'ava';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CORPUS, ROOT, TestCluster, killAll, runWrt } from '../helpers/wrt-process.js';
import { FrameTap } from '../helpers/frame-tap.js';
import { init, view, type Runtime } from '../../sdk/node.js';
import { xorshift32 } from '../../samples/gpu/xorshift.js';

const PIPELINE = `${ROOT}samples/gpu/build/word-lengths.wasm`;
const work = mkdtempSync(join(tmpdir(), 'wrt-ledger-'));
let cluster: TestCluster | undefined;
let tap: FrameTap | undefined;
let rt: Runtime | undefined;

test.after.always(async () => {
  await rt?.shutdown();
  await cluster?.stop();
  await tap?.close();
  await killAll();
  rmSync(work, { recursive: true, force: true });
});

test.serial('GPU tasks and a GPU batch pipeline submitted at once never hold the one GPU together', async (t) => {
  t.timeout(240_000);
  cluster = await TestCluster.start([]);
  tap = await FrameTap.start(cluster.address);
  await cluster.addNode('gpu-node', 4, undefined, [], tap.address);
  const s = await cluster.status();
  assert.equal(s.nodes[0]!.gpus, 1, 'the node offers one GPU');
  rt = await init({ address: cluster.address });

  // The pipeline first; once the head has accepted it, six GPU tasks at once.
  const job = runWrt([
    'submit',
    PIPELINE,
    '--address',
    cluster.address,
    '--input',
    join(CORPUS, 'spam-2', '*.txt'),
    '--output',
    join(work, 'out'),
    '--chunk-mb',
    '0.25',
  ]);
  await cluster.head.waitFor(/job j-\d+ .* accepted/);
  const keys = Array.from({ length: 6 }, (_, i) => xorshift32(1 << 17, i + 1));
  const sorts = keys.map((k) => rt!.gpu.sort(k));
  const tasksSubmittedAt = performance.now(); // the tap's clock: it runs in this process
  const [sorted, submitted] = await Promise.all([rt.get(sorts), job]);
  assert.equal(submitted.code, 0, submitted.stderr);
  sorted.forEach((bytes, i) => assert.deepEqual(view(bytes, Uint32Array), Uint32Array.from(keys[i]!).sort(), `sort ${i}`));

  // Replay the wire: a GPU grant is out from its DeployTask (gpus > 0) to its final TaskStatus.
  const out = new Map<string, string>();
  let most = 0;
  const granted = { Task: 0, Operator: 0 };
  let overlapAt: string | null = null;
  for (const { direction, message: m } of tap.messages) {
    if (direction === 'toNode' && m.type === 'DeployTask' && m.gpus > 0) {
      if (out.size > 0) overlapAt ??= `${m.kind} ${m.taskId} deployed while ${[...out.values()].join(', ')} held the GPU`;
      out.set(m.taskId, `${m.kind} ${m.taskId}`);
      if (m.kind === 'Task' || m.kind === 'Operator') granted[m.kind]++;
      most = Math.max(most, out.size);
    } else if (direction === 'toHead' && m.type === 'TaskStatus' && m.state !== 'Running') out.delete(m.taskId);
  }
  assert.equal(overlapAt, null);
  assert.equal(most, 1);
  assert.equal(granted.Task, 6, 'every GPU task held the GPU once');
  assert.ok(granted.Operator >= 2, `the pipeline's GPU map subtasks held the GPU (${granted.Operator} times)`);
  // They competed for the GPU: after the tasks were submitted, the pipeline's subtasks were still
  // granted it, and the tasks waited for them.
  const gpuDeploys = tap.messages.filter(({ direction, message: m }) => direction === 'toNode' && m.type === 'DeployTask' && m.gpus > 0);
  const firstTaskAt = gpuDeploys.find(({ message: m }) => m.type === 'DeployTask' && m.kind === 'Task')!.at;
  const grantedWhileTasksWaited = gpuDeploys.filter(
    ({ at, message: m }) => m.type === 'DeployTask' && m.kind === 'Operator' && at > tasksSubmittedAt && at < firstTaskAt,
  ).length;
  assert.ok(grantedWhileTasksWaited > 0, 'the pipeline was done with the GPU before the tasks came; the test shows nothing');
});
