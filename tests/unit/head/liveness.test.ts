// The head's failure detector (runtime/head/liveness.ts): a node silent past the timeout is lost,
// but a stall of the head's own event loop is not counted as the nodes' silence.
import test from 'ava';
import assert from 'node:assert/strict';
import { Head } from '../../../runtime/head/head.js';
import { Liveness } from '../../../runtime/head/liveness.js';
import type { NodeEntry } from '../../../runtime/head/node-view.js';
import { memoryConnectionPair } from '../../../runtime/platform/memory-connection.js';
import { sendMessage } from '../../../runtime/protocol/codec.js';
import { authenticate } from '../../../runtime/client/authenticate.js';
import { parseCredential } from '../../../runtime/protocol/credentials.js';
import { until } from '../../helpers/until.js';

const entry = (id: string, lastSeen: number): NodeEntry => ({ id, alive: true, lastSeen }) as NodeEntry;

test('a node silent past the timeout is reported; a late check credits its lateness to every node', () => {
  const live = new Liveness(500, 5000, 0);
  const quiet = entry('quiet', 0);
  const chatty = entry('chatty', 0);
  assert.deepEqual(live.silent([quiet, chatty], 500), []);
  chatty.lastSeen = 900;
  // The head stood still: the check due at 1000 runs at 9000, 8000 ms late.
  assert.deepEqual(live.silent([quiet, chatty], 9000), [], 'the stall is not silence');
  assert.equal(quiet.lastSeen, 8000);
  assert.equal(chatty.lastSeen, 8900);
  // On time from here: each node is lost once the head has listened 5 s past when it was last heard.
  const lost: [string, number, number][] = [];
  for (let now = 9500; now <= 14_000; now += 500) for (const [n, ms] of live.silent([quiet, chatty], now)) lost.push([n.id, now, ms]);
  assert.deepEqual(lost, [
    ['quiet', 13_500, 5500],
    ['quiet', 14_000, 6000],
    ['chatty', 14_000, 5100],
  ]);
  // Credit never moves a node past now.
  const fresh = entry('fresh', 20_000);
  new Liveness(500, 5000, 0).silent([fresh], 20_000);
  assert.equal(fresh.lastSeen, 20_000);
});

test.serial('a head whose event loop stood still longer than the timeout keeps its nodes; a silent node is still lost', async () => {
  const lines: string[] = [];
  const head = new Head({ heartbeatIntervalMs: 50, heartbeatTimeoutMs: 400, log: (l) => lines.push(l) });
  try {
    const [nodeEnd, headEnd] = memoryConnectionPair('head', 'node');
    head.accept(headEnd);
    await authenticate(nodeEnd, parseCredential(head.clusterSecret), 'node');
    let closed = '';
    nodeEnd.onClose = (reason) => (closed = reason);
    sendMessage(nodeEnd, {
      type: 'RegisterNode',
      name: 'stalled',
      platform: 'node',
      cpus: 1,
      gpus: 0,
      memoryBytes: 2 ** 30,
      storeBytes: 2 ** 30,
      resources: {},
      gpuAdapter: 'none',
      maxOperatorMemoryBytes: 0,
      maxDeadlineMs: 0,
      maxGpuBytesPerCall: 0,
    });
    await until(() => head.nodeViews().length === 1, 'the node to register', { timeoutMs: 5000, intervalMs: 5 });
    // Block this thread (the head's) for 1.2 s inside a timer: the head's own check, due meanwhile,
    // runs right after it in the same timers phase, before any socket or queued message is read.
    await new Promise<void>((resolve) =>
      setTimeout(() => {
        const until = Date.now() + 1200;
        while (Date.now() < until);
        setImmediate(resolve);
      }, 0),
    );
    // The node says nothing more: it is lost once the head has listened for the timeout (without
    // the credit it would be lost at once, after 1.2 s of silence, by the check that followed the stall).
    const lost = await until(() => lines.find((l) => /"stalled" lost \(no heartbeat for \d+ ms\)/.test(l)), 'the node to be lost', {
      timeoutMs: 5000,
      intervalMs: 20,
    });
    assert.match(lost, /no heartbeat for (4\d\d|5\d\d|6\d\d|7\d\d) ms/, lines.join('; '));
    await until(() => closed !== '', 'the head to close its connection', { timeoutMs: 2000, intervalMs: 5 });
  } finally {
    head.close();
  }
});
