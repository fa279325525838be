// A batch pipeline with a GPU operator (samples/gpu word-lengths), submitted with `wrt submit` to
// real processes: a --no-gpu node with the free slots and a node with an adapter (SwiftShader on
// CPU-only machines). The map vertex asks for gpus: 1, so every map subtask must run on the GPU
// node — on the other node its `wrt:runtime/gpu` calls would fail and so would the job.
import test from 'ava';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CORPUS, ROOT, TestCluster, killAll, runWrt } from '../helpers/wrt-process.js';
import { countTokens } from '../helpers/reference-wordcount.js';

const PIPELINE = `${ROOT}samples/gpu/build/word-lengths.wasm`;
const PIPELINE_CORE = `${ROOT}samples/gpu/build/word-lengths.core.wasm`;
const DIR = join(CORPUS, 'spam-2');
const INPUT = join(DIR, '*.txt');
const TEXTS = readdirSync(DIR)
  .filter((f) => f.endsWith('.txt'))
  .map((f) => join(DIR, f));
const work = mkdtempSync(join(tmpdir(), 'wrt-gpu-op-'));
let cluster: TestCluster | undefined;

test.after.always(async () => {
  await cluster?.stop();
  await killAll();
  rmSync(work, { recursive: true, force: true });
});

/** The oracle: word lengths in code points over the reference tokenizer, "32+" above 31. */
function expectedLengths(): Map<string, number> {
  const tokens = new Map<string, number>();
  for (const f of TEXTS) countTokens(readFileSync(f), tokens);
  const out = new Map<string, number>();
  for (const [token, n] of tokens) {
    const len = [...token].length;
    const key = len >= 32 ? '32+' : String(len).padStart(2, '0');
    out.set(key, (out.get(key) ?? 0) + n);
  }
  return out;
}

function readOutput(dir: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const f of readdirSync(dir).filter((f) => f.startsWith('part-'))) {
    for (const line of readFileSync(join(dir, f), 'utf8').split('\n')) {
      if (!line) continue;
      const [k, v] = line.split('\t');
      assert.ok(!out.has(k!), `key ${k} appears in two partitions`);
      out.set(k!, Number(v));
    }
  }
  return out;
}

test.serial('the GPU map stage runs only on the node with an adapter and the result is exact', async () => {
  cluster = await TestCluster.start([
    { name: 'cpu-node', cpus: 2, args: ['--no-gpu'] },
    { name: 'gpu-node', cpus: 1 },
  ]);
  const out = join(work, 'component');
  const r = await runWrt([
    'submit',
    PIPELINE,
    '--address',
    cluster.address,
    '--input',
    INPUT,
    '--output',
    out,
    '--chunk-mb',
    '0.25',
    '--json',
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(readOutput(out), expectedLengths());

  // Every subtask is counted by the node that ran it: the maps (one per chunk) all on gpu-node;
  // cpu-node can have run at most the two reduces.
  const chunks = Math.ceil(TEXTS.reduce((n, f) => n + readFileSync(f).byteLength, 0) / (0.25 * 2 ** 20));
  const s = await cluster.statusWhen(
    (x) => x.nodes.reduce((n, node) => n + node.tasksFinished, 0) >= chunks + 2,
    'every subtask to be counted',
  );
  const finished = new Map(s.nodes.map((n) => [n.name, n.tasksFinished]));
  assert.ok(finished.get('cpu-node')! <= 2, `cpu-node ran ${finished.get('cpu-node')} subtasks; only the 2 reduces may run there`);
  assert.ok(finished.get('gpu-node')! >= chunks, `gpu-node ran ${finished.get('gpu-node')} subtasks for ${chunks} chunks`);

  // The same pipeline as a bare core module gives the same answer.
  const outCore = join(work, 'core');
  const rc = await runWrt([
    'submit',
    PIPELINE_CORE,
    '--address',
    cluster.address,
    '--input',
    INPUT,
    '--output',
    outCore,
    '--chunk-mb',
    '0.25',
  ]);
  assert.equal(rc.code, 0, rc.stderr);
  assert.deepEqual(readOutput(outCore), expectedLengths());
  await cluster.stop();
  cluster = undefined;
});

test.serial('with no GPU in the cluster the job waits, then fails naming gpus', async () => {
  cluster = await TestCluster.start([{ name: 'cpu-only', cpus: 2, args: ['--no-gpu'] }]);
  const r = await runWrt(['submit', PIPELINE, '--address', cluster.address, '--input', INPUT, '--output', join(work, 'none')]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /WRT_INFEASIBLE/);
  assert.match(r.stderr, /gpus: 1/);
  assert.match(cluster.head.stdout + cluster.head.stderr, /waiting up to \d+ ms: no live node offers gpus: 1/);
  assert.deepEqual(readdirSync(work).includes('none') ? readdirSync(join(work, 'none')).filter((f) => f === '_SUCCESS') : [], []);
});
