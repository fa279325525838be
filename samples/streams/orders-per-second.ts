// Orders counted and summed per user in 1 s event-time windows: a DataStream job run from a Node
// driver on an embedded cluster. README's "Streams" section shows this file with package imports
// (`wrt/sdk`, `wrt/stream`); tests/unit/docs/readme-example.test.ts keeps the two the same.
// Run: node dist/samples/streams/orders-per-second.js
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { init, executeStream } from '../../sdk/node.js';
import { StreamEnvironment } from '../../sdk/datastream.js';

const dir = mkdtempSync(join(tmpdir(), 'orders-'));
const path = join(dir, 'orders.csv');
const rows = ['user,amount,at'];
for (let i = 0; i < 10_000; i++) rows.push(`user-${i % 5},${i % 100},${1_700_000_000_000 + i * 3}`);
writeFileSync(path, rows.join('\n') + '\n');

const env = new StreamEnvironment('orders-per-second');
env
  .source('orders', {
    format: 'csv',
    columns: [
      { name: 'user', type: 'Utf8' },
      { name: 'amount', type: 'I64' },
      { name: 'at', type: 'Timestamp' },
    ],
    watermarkBoundMs: 200, // events arrive at most 200 ms out of order
    properties: { path, timestamp: 'at' },
  })
  .keyBy('user')
  .window({ kind: 'Tumbling', sizeMs: 1000 })
  .aggregate('sums', [
    { function: 'count', as: 'n' },
    { function: 'sum', column: 'amount', as: 'amount' },
  ])
  .sinkTo('out', { format: 'csv' });

// An embedded cluster (a head and a node in this process), no GPU needed; its file sources may read `dir`.
const rt = await init({ gpuNodes: 0, dataDirs: [dir] });
try {
  const result = await executeStream(rt.address, env.build());
  console.log(`job ${result.jobId} ${result.state}`);
  for (const part of result.parts) process.stdout.write(part);
} finally {
  await rt.shutdown();
  rmSync(dir, { recursive: true, force: true });
}
