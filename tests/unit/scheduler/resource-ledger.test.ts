// One ledger for every kind of work: the ledger's arithmetic, and a real Head whose one node (a
// scripted peer over an in-memory connection) watches what it is sent. GPU tasks and a GPU batch
// pipeline submitted at once never hold the node's one GPU together; a stream job that needs the
// node's only slot waits until the tasks holding it are done.
import test from 'ava';
import assert from 'node:assert/strict';
import { until } from '../../helpers/until.js';
import { ResourceLedger } from '../../../runtime/scheduler/resource-ledger.js';
import { placeOne, placeSlots } from '../../../runtime/scheduler/placement.js';
import { Head } from '../../../runtime/head/head.js';
import { memoryConnectionPair } from '../../../runtime/platform/memory-connection.js';
import { sendMessage } from '../../../runtime/protocol/codec.js';
import { authenticate } from '../../../runtime/client/authenticate.js';
import { parseCredential } from '../../../runtime/protocol/credentials.js';
import type { Connection } from '../../../runtime/platform/platform.js';
import type { JobGraph, Message, MessageOf, TaskOptions } from '../../../runtime/protocol/messages.js';
import { graph as batchGraph } from '../../helpers/protocol-samples.js';

test.serial('the ledger counts queued cpus as fractions of a core and never grants a GPU twice', () => {
  const ledger = new ResourceLedger();
  ledger.addNode('n', { cpus: 1, gpus: 1 });
  for (let i = 0; i < 32; i++) {
    assert.ok(ledger.fits('n', { cpus: 1 }, 'task'), `task ${i}`);
    ledger.grant(`t${i}`, 'n', { cpus: 1 }, 'task');
  }
  assert.equal(ledger.fits('n', { cpus: 1 }, 'task'), false, 'a 33rd task overfills the slot');
  assert.equal(ledger.fits('n', { cpus: 1 }, 'batch'), false, 'so does a batch subtask');
  for (let i = 0; i < 16; i++) ledger.release(`t${i}`);
  assert.ok(ledger.fits('n', { cpus: 1 }, 'batch'), 'half the slot is free: one batch subtask fits');
  ledger.grant('b', 'n', { cpus: 1, gpus: 1 }, 'batch');
  assert.equal(ledger.fits('n', { cpus: 0, gpus: 1 }, 'task'), false, 'the GPU is held');
  assert.equal(placeOne(ledger, { gpus: 1 }, 'task').kind, 'wait');
  ledger.release('b');
  ledger.release('b'); // twice: nothing
  assert.equal(placeOne(ledger, { gpus: 1 }, 'task').kind, 'placed');
  const inf = placeOne(ledger, { gpus: 2 }, 'batch');
  assert.equal(inf.kind, 'infeasible');
  assert.match(inf.kind === 'infeasible' ? inf.reason : '', /no live node offers gpus: 2/);
  ledger.removeNode('n');
  assert.deepEqual(placeOne(ledger, { cpus: 1 }, 'task'), {
    kind: 'infeasible',
    code: 'WRT_NO_NODES',
    reason: 'the cluster has no live node',
  });
});

test.serial('stream slots take whole cores, all at once or none', () => {
  const ledger = new ResourceLedger();
  ledger.addNode('a', { cpus: 2 });
  ledger.addNode('b', { cpus: 1 });
  ledger.grant('t', 'a', { cpus: 1 }, 'task'); // 1/32 of a core: core 2 of `a` is free, core 1 is partly queued
  const p = placeSlots(ledger, 3);
  assert.deepEqual(p, { kind: 'wait', free: 2, capacity: 3, nodes: 2 });
  const q = placeSlots(ledger, 2);
  assert.equal(q.kind, 'placed');
  assert.deepEqual(q.kind === 'placed' ? [...q.nodeIds].sort() : [], ['a', 'b']);
});

// ---- a Head and a scripted node -----------------------------------------------------------------

/** Polls every macrotask turn: the scripted node and the head talk over an in-memory pair. */
const FAST = { timeoutMs: 5000, intervalMs: 0 };

const OPTIONS: TaskOptions = {
  cpus: 0,
  gpus: 0,
  memoryBytes: 0,
  resources: {},
  maxRetries: 0,
  retryExceptions: false,
  maxRestarts: 0,
  deadlineMs: 0,
};

interface Outstanding {
  deploy: MessageOf<'DeployTask'>;
}

/**
 * A node that registers with `cpus` and `gpus`, keeps every deployment it is sent outstanding
 * until `finishAll()`, and records the most GPU grants and deployments it held at once.
 */
async function scriptedNode(head: Head, cpus: number, gpus: number) {
  const [nodeEnd, headEnd] = memoryConnectionPair('head', 'node');
  const outstanding: Outstanding[] = [];
  const seen: Message[] = [];
  let maxGpus = 0;
  const receive = (msgs: Message[]): void => {
    for (const m of msgs) {
      seen.push(m);
      if (m.type === 'DeployTask') {
        outstanding.push({ deploy: m });
        maxGpus = Math.max(
          maxGpus,
          outstanding.reduce((a, o) => a + o.deploy.gpus, 0),
        );
      }
    }
  };
  head.accept(headEnd);
  await authenticate(nodeEnd, parseCredential(head.clusterSecret), 'node');
  nodeEnd.onMessages = receive;
  sendMessage(nodeEnd, {
    type: 'RegisterNode',
    name: 'scripted',
    platform: 'node',
    cpus,
    gpus,
    memoryBytes: 2 ** 30,
    storeBytes: 2 ** 30,
    resources: {},
    gpuAdapter: gpus ? 'scripted adapter' : 'none',
    maxOperatorMemoryBytes: 0,
    maxDeadlineMs: 0,
    maxGpuBytesPerCall: 0,
  });
  /** Reports the oldest `n` outstanding deployments finished (all when `n` is omitted). */
  const finish = (n = outstanding.length): void => {
    for (const { deploy: d } of outstanding.splice(0, n)) {
      const isBatch = d.jobId !== '';
      sendMessage(nodeEnd, {
        type: 'TaskStatus',
        jobId: d.jobId,
        taskId: d.taskId,
        state: 'Finished',
        outputs: isBatch && d.output === 'store' ? [{ objectId: `${d.taskId}-out`, nodeId: 'n-1', sizeBytes: 1 }] : [],
        data: isBatch ? (d.output === 'head' ? new Uint8Array(0) : null) : new Uint8Array([7]),
        failure: null,
        inputBytes: 1,
        returnId: d.returnId,
        returnBytes: isBatch ? 0 : 1,
        returnInline: !isBatch,
      });
    }
  };
  return { outstanding, seen, finish, maxGpus: () => maxGpus, conn: nodeEnd };
}

async function driver(head: Head): Promise<{ conn: Connection; seen: Message[]; next: (type: Message['type']) => Promise<Message> }> {
  const [driverEnd, headEnd] = memoryConnectionPair('head', 'driver');
  const seen: Message[] = [];
  const waiters: { type: Message['type']; resolve: (m: Message) => void }[] = [];
  const receive = (msgs: Message[]): void => {
    for (const m of msgs) {
      seen.push(m);
      const i = waiters.findIndex((w) => w.type === m.type);
      if (i >= 0) waiters.splice(i, 1)[0]!.resolve(m);
    }
  };
  head.accept(headEnd);
  await authenticate(driverEnd, parseCredential(head.clusterSecret), 'driver');
  driverEnd.onMessages = receive;
  return { conn: driverEnd, seen, next: (type) => new Promise((resolve) => waiters.push({ type, resolve })) };
}

/** The smallest core module (magic and version only): the head checks modules against the sandbox's rules. */
const EMPTY_MODULE = Uint8Array.of(0, 0x61, 0x73, 0x6d, 1, 0, 0, 0);

/** Registers module `m` and submits `n` tasks `t0…` (returns `r0…`) asking for `resources`. */
function submitTasks(conn: Connection, n: number, resources: Partial<TaskOptions>): void {
  sendMessage(conn, { type: 'RegisterModule', moduleId: 'm', module: EMPTY_MODULE });
  for (let i = 0; i < n; i++)
    sendMessage(conn, {
      type: 'SubmitTask',
      taskId: `t${i}`,
      moduleId: 'm',
      functionName: 'work',
      args: [],
      options: { ...OPTIONS, ...resources },
      returnId: `r${i}`,
    });
}

test.serial('GPU tasks and a GPU batch pipeline submitted at once never hold the one GPU together', async () => {
  const head = new Head({ heartbeatTimeoutMs: 60_000 });
  try {
    const node = await scriptedNode(head, 4, 1);
    await until(() => node.seen.some((m) => m.type === 'RegisterAck'), 'the node to register', FAST);
    const d = await driver(head);
    // A batch pipeline whose map stage needs a GPU (the sample graph's `tokenize` asks gpus: 1).
    // The batch job asks the driver for input chunks of the subtasks it placed.
    d.conn.onMessages = ((prev) => (msgs: Message[]) => {
      prev?.(msgs);
      for (const m of msgs)
        if (m.type === 'ChunkRequest')
          sendMessage(d.conn, { type: 'InputChunk', jobId: m.jobId, index: m.index, data: new Uint8Array([1]) });
    })(d.conn.onMessages);
    const mapGpus = batchGraph.vertices.find((v) => v.kind === 'Map')!.gpus;
    assert.equal(mapGpus, 1);
    sendMessage(d.conn, {
      type: 'SubmitJob',
      requestId: 1,
      name: 'gpu-batch',
      module: EMPTY_MODULE,
      graph: batchGraph,
      inputChunks: 3,
      inputBytes: 3,
      args: {},
      operatorMaxMemoryBytes: 0,
      operatorDeadlineMs: 0,
      parallelism: 0,
      checkpointIntervalMs: 0,
      restorePath: '',
    });
    await d.next('JobAccepted');
    // GPU tasks, at once.
    submitTasks(d.conn, 3, { gpus: 1 });
    // Run everything to the end, one deployment at a time, checking the GPU after every step.
    let gpuDeployments = 0;
    await until(
      () => {
        if (node.outstanding.length > 0) {
          gpuDeployments += node.outstanding.filter((o) => o.deploy.gpus > 0).length;
          node.finish();
        }
        const tasksDone = d.seen.filter((m) => m.type === 'ObjectReady').length === 3;
        const jobDone = d.seen.some((m) => m.type === 'JobStatus' && m.state !== 'Running');
        return tasksDone && jobDone;
      },
      'the tasks and the job to finish',
      FAST,
    );
    assert.equal(gpuDeployments, 6, 'three GPU tasks and three GPU map subtasks ran');
    assert.equal(node.maxGpus(), 1, 'never two GPU grants on the one-GPU node at once');
    assert.equal(head.ledger.capacity('n-1')?.grants, 0, 'every grant was given back');
  } finally {
    head.close();
  }
});

test.serial('a stream job that needs the only slot waits until the tasks holding it are done', async () => {
  const head = new Head({ heartbeatTimeoutMs: 60_000 });
  try {
    const node = await scriptedNode(head, 1, 0);
    await until(() => node.seen.some((m) => m.type === 'RegisterAck'), 'the node to register', FAST);
    const d = await driver(head);
    submitTasks(d.conn, 4, { cpus: 1 });
    await until(() => node.outstanding.length === 4, 'the tasks to reach the node', FAST);
    const streamGraph: JobGraph = {
      name: 'one-slot',
      streaming: true,
      vertices: [
        {
          id: 'src',
          kind: 'Source',
          operator: '',
          parallelism: 1,
          format: 'nexmark',
          maxMemoryBytes: 0,
          deadlineMs: 0,
          gpus: 0,
          columns: [{ name: 'x', type: 'I64' }],
          properties: { table: 'bid' },
        },
        { id: 'out', kind: 'Sink', operator: '', parallelism: 1, format: 'csv', maxMemoryBytes: 0, deadlineMs: 0, gpus: 0 },
      ],
      edges: [{ from: 'src', to: 'out', partitioning: 'Forward' }],
    };
    sendMessage(d.conn, {
      type: 'SubmitJob',
      requestId: 2,
      name: 'one-slot',
      module: EMPTY_MODULE,
      graph: streamGraph,
      inputChunks: 0,
      inputBytes: 0,
      args: {},
      operatorMaxMemoryBytes: 0,
      operatorDeadlineMs: 0,
      parallelism: 1,
      checkpointIntervalMs: 0,
      restorePath: '',
    });
    const reply = await Promise.race([d.next('JobAccepted'), d.next('ErrorMessage')]);
    assert.equal(reply.type, 'JobAccepted', JSON.stringify(reply));
    const deployedStream = (): boolean => node.seen.some((m) => m.type === 'DeployStreamSlot');
    // Each turn of the event loop lets the head pump; the slot must stay unused while tasks hold it.
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    assert.equal(deployedStream(), false, 'the stream slot waits while four tasks hold the node');
    node.finish(3);
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    assert.equal(deployedStream(), false, 'one task still holds part of the slot');
    node.finish();
    // The head pumps jobs on its timer (every 500 ms at most) and on every node event.
    await until(deployedStream, 'the stream slot to be deployed', { timeoutMs: 3000, intervalMs: 0 });
  } finally {
    head.close();
  }
});
