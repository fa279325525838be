// Processing-time timers reachable from wasm (wrt:runtime/keyed-state register-processing-timer,
// processing-time; port 3): a keyed Process operator compiled from tests/fixtures/assembly/
// stream-ops.ts counts each user's rows and emits the count when a timer 100 ms after the user's
// first row fires. The source is unbounded (a NATS source over an in-memory fake stream) and the
// watermark never moves (no timestamps past the first), so only the clock can fire the timers: the
// slot must wake itself. A second burst after the first output starts new counts; a snapshot taken
// with timers pending restores them.
import test from 'ava';
import assert from 'node:assert/strict';
import { until } from '../../helpers/until.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { StreamEnvironment } from '../../../sdk/datastream.js';
import { planStreamJob } from '../../../runtime/stream/execution-graph.js';
import { StreamSlot } from '../../../runtime/stream/stream-slot.js';
import { refusingKeyedState } from '../../../runtime/stream/keyed-state-imports.js';
import { WasmProcessOperator } from '../../../runtime/stream/operators.js';
import { keyGroupRange } from '../../../runtime/stream/key-groups.js';
import { RowBatch, RowBatchBuilder } from '../../../runtime/stream/row-batch.js';
import { parseCsv } from '../../helpers/nexmark-oracle.js';
import type { ConnectJetStream, JetStreamMessage, JetStreamReader } from '../../../runtime/platform/platform.js';
import type { StreamColumn } from '../../../runtime/protocol/messages.js';

const root = join(import.meta.dirname, '../../../..');
const module = new WebAssembly.Module(readFileSync(join(root, 'tests/fixtures/build/stream-ops.core.wasm')));
const instantiate = (imports: WebAssembly.Imports): WebAssembly.Instance =>
  new WebAssembly.Instance(module, { ...refusingKeyedState(module), ...imports });
const COLUMNS: StreamColumn[] = [
  { name: 'user', type: 'Utf8' },
  { name: 'at', type: 'Timestamp' },
];
const OUT: StreamColumn[] = [
  { name: 'user', type: 'Utf8' },
  { name: 'n', type: 'I64' },
];
const encoder = new TextEncoder();

/** One subject of an in-memory stream that never ends; `push` delivers messages as they come. */
class LiveReader implements JetStreamReader {
  readonly pendingAtOpen = 0;
  onReady: (() => void) | null = null;
  error: Error | null = null;
  private queue: JetStreamMessage[] = [];
  private seq = 0;

  push(rows: object[]): void {
    const wasEmpty = this.queue.length === 0;
    for (const r of rows) this.queue.push({ seq: ++this.seq, subject: 'u', data: encoder.encode(JSON.stringify(r)), timestampMs: 0 });
    if (wasEmpty) this.onReady?.();
  }

  take(max: number): JetStreamMessage[] {
    return this.queue.splice(0, max);
  }

  close(): void {}
}

test.serial('processing-time timers fire from the clock while the source is idle and the watermark stands still', async () => {
  const reader = new LiveReader();
  const connect: ConnectJetStream = () =>
    Promise.resolve({
      read: () => Promise.resolve(reader),
      publish: () => Promise.reject(new Error('no publishing here')),
      close: () => Promise.resolve(),
    });
  const env = new StreamEnvironment('per-user', 1);
  env
    .source('users', { format: 'nats', columns: COLUMNS, properties: { servers: 'fake', stream: 'S', subjects: 'u', timestamp: 'at' } })
    .keyBy('user')
    .process('counts', 'perUserCount', OUT, [{ name: 'n', kind: 'Value', ttlMs: 0 }])
    .sinkTo('out', { format: 'csv' });
  const plan = planStreamJob(env.build(), {}, 1);
  let text = '';
  let outputs = 0;
  let onSinkCheckpoint: (() => void) | null = null;
  /** Resolved when the slot schedules a run at or after `at` (ms since the epoch) by itself. */
  let wake: { at: number; resolve: () => void } | null = null;
  const slot = new StreamSlot(plan, 0, {
    instantiate,
    outputCapBytes: 1 << 20,
    connectors: { connectJetStream: connect },
    sendRemote: () => assert.fail('one slot: nothing is remote'),
    grantCredit: () => {},
    sinkOutput: (_p, bytes) => {
      text += new TextDecoder().decode(bytes);
      outputs++;
    },
    checkpointed: (vertexId) => {
      if (vertexId === 'out') onSinkCheckpoint?.();
    },
    subtaskDone: () => {},
    finished: () => assert.fail('an unbounded job does not finish'),
    failed: (err) => assert.fail(err as Error),
    schedule: (fn) => {
      setImmediate(fn);
      if (wake && Date.now() >= wake.at) wake.resolve();
    },
  });
  // Sinks hand their output on at checkpoint barriers: trigger one and wait until the sink took it.
  let checkpoint = 0;
  const flushed = (): Promise<void> =>
    new Promise((resolve) => {
      onSinkCheckpoint = resolve;
      slot.trigger(++checkpoint);
    });
  const rowsNow = (): string[] =>
    parseCsv(text)
      .slice(1)
      .map((r) => r.join('|'))
      .sort();
  slot.start();
  try {
    await new Promise((resolve) => setImmediate(resolve));
    const t0 = Date.now();
    reader.push([
      { user: 'ann', at: 5 },
      { user: 'bob', at: 5 },
      { user: 'ann', at: 5 },
    ]);
    // Nothing fires before 100 ms have passed on the clock.
    await flushed();
    assert.deepEqual(rowsNow(), [], 'no count before the timers are due');
    // Nothing else happens now: only the operator's timer can wake the slot.
    await new Promise<void>((resolve, reject) => {
      wake = { at: t0 + 100, resolve };
      setTimeout(() => reject(new Error('the slot did not wake for its processing-time timer')), 5000);
    });
    wake = null;
    const due = (n: number): Promise<boolean> =>
      until(
        async () => {
          await flushed();
          return rowsNow().length >= n;
        },
        `${n} counts`,
        { timeoutMs: 5000, intervalMs: 20 },
      );
    await due(2);
    assert.ok(Date.now() - t0 >= 100, 'the timers fired no earlier than 100 ms after the rows');
    assert.deepEqual(rowsNow(), ['ann|2', 'bob|1']);
    reader.push([{ user: 'ann', at: 5 }]);
    await due(3);
    assert.deepEqual(rowsNow(), ['ann|1', 'ann|2', 'bob|1'], 'a new count after the state was cleared');
    assert.ok(outputs > 0);
  } finally {
    slot.stop();
  }
});

test.serial('pending processing-time timers are in the snapshot and fire after a restore', () => {
  const v = {
    id: 'counts',
    kind: 'Process',
    operator: 'perUserCount',
    columns: OUT,
    states: [{ name: 'n', kind: 'Value', ttlMs: 0 }],
  } as never;
  const make = (emit: (b: Uint8Array) => void): WasmProcessOperator => {
    const op = new WasmProcessOperator(v, [[0]], ['Utf8'], keyGroupRange(0, 128, 1), 128, { emit }, 1 << 20);
    const made: { instance?: WebAssembly.Instance } = {};
    made.instance = instantiate(op.imports(() => made.instance));
    op.bind(made.instance);
    return op;
  };
  const first = make(() => assert.fail('nothing fires before the restore'));
  const b = new RowBatchBuilder(['Utf8', 'Timestamp']);
  b.add(0, ['cy', 0]);
  b.add(0, ['cy', 0]);
  first.processBatch(0, new RowBatch(b.finish()));
  const due = first.nextProcessingTime()!;
  assert.ok(due > Date.now() - 1000 && due <= Date.now() + 100);
  const saved = structuredClone(first.snapshot());
  const out: string[] = [];
  const second = make((bytes) => {
    const batch = new RowBatch(bytes);
    for (let r = 0; r < batch.rows; r++) out.push(batch.row(r).join('|'));
  });
  second.restore(saved);
  assert.equal(second.nextProcessingTime(), due);
  assert.equal(second.onProcessingTime(due - 1), false, 'not due yet');
  assert.equal(second.onProcessingTime(due), true);
  assert.deepEqual(out, ['cy|2']);
  assert.equal(second.nextProcessingTime(), null);
});
