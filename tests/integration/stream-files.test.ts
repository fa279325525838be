// A stream job over a CSV file on a head and two node processes: the file source's subtasks run in
// slot threads on both nodes (each reads its byte range through the Node platform's files), a
// keyed event-time window sums per user and second, and the part files equal the JS reference.
import test from 'ava';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, TestCluster, clusterFixture } from '../helpers/wrt-process.js';
import { parseCsv } from '../helpers/nexmark-oracle.js';
import { expectedWindowSums, orders, ordersPerSecond, writeOrderFiles } from '../helpers/file-streams.js';
import { runJob } from '../../runtime/client/job-client.js';

const f = clusterFixture('wrt-stream-files-');

test.serial('a csv file source split across two node processes feeds a keyed window; the output equals the reference', async () => {
  f.cluster = await TestCluster.start([
    { name: 'alpha', cpus: 1 },
    { name: 'beta', cpus: 1 },
  ]);
  const rows = orders(20_000);
  const files = writeOrderFiles(f.work, rows);
  const env = ordersPerSecond('${input}', 2);
  const parts = new Map<number, string>();
  const decoder = new TextDecoder();
  const status = await runJob(
    f.cluster.driverPlatform,
    f.cluster.address,
    {
      name: 'orders-per-second',
      // The graph has built-in operators only; any module serves as the job's module.
      module: readFileSync(join(ROOT, 'samples/nexmark/build/pipeline.core.wasm')),
      graph: env.build(),
      inputChunks: 0,
      inputBytes: 0,
      args: { input: files.csv },
      operatorMaxMemoryBytes: 0,
      operatorDeadlineMs: 0,
      parallelism: 2,
      checkpointIntervalMs: 200,
    },
    {
      readChunk: () => Promise.reject(new Error('no input chunks')),
      onOutput: (p, data) => void parts.set(p, (parts.get(p) ?? '') + decoder.decode(data)),
    },
  );
  assert.equal(status.state, 'Finished');
  assert.deepEqual(status.nodes, ['alpha', 'beta']);
  const got = [...parts.values()].flatMap((text) =>
    parseCsv(text)
      .slice(1)
      .map((r) => r.slice(0, 4).join('|')),
  );
  assert.deepEqual(got.sort(), expectedWindowSums(rows));
});
