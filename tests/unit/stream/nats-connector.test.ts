// The NATS connector's logic without a server (a fake JetStreamLink isolates it; the real server
// is in tests/integration/stream-nats.test.ts): subject filters split among subtasks, bounded
// reading, per-filter event time, restore from a snapshot, waking the slot when data arrives;
// the sink's message framing and records; the head's committer (ids, order, retries, errors).
import test from 'ava';
import assert from 'node:assert/strict';
import { JetStreamCommitter, NatsSink, NatsSource, frameMessages, unframeMessages } from '../../../runtime/stream/nats-connector.js';
import { RecordParser, RecordWriter } from '../../../runtime/stream/record-format.js';
import { RowBatch, RowBatchBuilder } from '../../../runtime/stream/row-batch.js';
import type { ConnectJetStream, JetStreamLink, JetStreamMessage, JetStreamReader } from '../../../runtime/platform/platform.js';
import type { JobGraphVertex, StreamColumn } from '../../../runtime/protocol/messages.js';
import type { WrtError } from '../../../runtime/errors.js';

const COLUMNS: StreamColumn[] = [
  { name: 'user', type: 'Utf8' },
  { name: 'amount', type: 'I64' },
  { name: 'at', type: 'Timestamp' },
];
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const code = (c: string, re?: RegExp) => (err: WrtError) => err.code === c && (!re || re.test(err.message));

/** A stream held in memory: messages by sequence, each with its subject. */
class FakeStream {
  readonly messages: JetStreamMessage[] = [];
  readers: FakeReader[] = [];
  published: { subject: string; data: string; id: string }[] = [];
  /** Publishes that fail before succeeding (by message id). */
  failures = new Map<string, number>();

  add(subject: string, o: object): void {
    this.messages.push({ seq: this.messages.length + 1, subject, data: encoder.encode(JSON.stringify(o)), timestampMs: 0 });
  }

  connect: ConnectJetStream = () =>
    Promise.resolve<JetStreamLink>({
      read: (stream, filter, startSeq) => {
        if (stream !== 'S') return Promise.reject(new Error('stream not found'));
        const r = new FakeReader(this.messages.filter((m) => m.subject === filter && m.seq >= startSeq));
        this.readers.push(r);
        return Promise.resolve(r);
      },
      publish: (subject, data, msgId) => {
        const left = this.failures.get(msgId) ?? 0;
        if (left > 0) {
          this.failures.set(msgId, left - 1);
          return Promise.reject(new Error('timeout'));
        }
        if (subject === 'nowhere') return Promise.reject(new Error('no responders (503)'));
        const duplicate = this.published.some((p) => p.id === msgId);
        if (!duplicate) this.published.push({ subject, data: decoder.decode(data), id: msgId });
        return Promise.resolve({ seq: this.published.length, duplicate });
      },
      close: () => Promise.resolve(),
    });
}

/** Hands out its messages as they are "delivered" by {@link deliver}. */
class FakeReader implements JetStreamReader {
  private delivered = 0;
  private taken = 0;
  onReady: (() => void) | null = null;
  error: Error | null = null;
  readonly pendingAtOpen: number;

  constructor(private readonly messages: JetStreamMessage[]) {
    this.pendingAtOpen = messages.length;
  }

  deliver(n = Infinity): void {
    const wasEmpty = this.delivered === this.taken;
    this.delivered = Math.min(this.messages.length, this.delivered + n);
    if (wasEmpty) this.onReady?.();
  }

  take(max: number): JetStreamMessage[] {
    const out = this.messages.slice(this.taken, Math.min(this.delivered, this.taken + max));
    this.taken += out.length;
    return out;
  }

  close(): void {}
}

function vertex(properties: Record<string, string>): JobGraphVertex {
  return { id: 'orders', kind: 'Source', format: 'nats', columns: COLUMNS, properties } as JobGraphVertex;
}

function sinkVertex(id: string, format: string, properties: Record<string, string> = {}): JobGraphVertex {
  return { id, kind: 'Sink', format, columns: COLUMNS, properties } as unknown as JobGraphVertex;
}

const PROPS = { servers: 'nats://fake', stream: 'S', subjects: 'o.a, o.b, o.c', timestamp: 'at', bounded: 'latest' };

/** Lets the source's background connect and open run. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function rowsOf(bytes: Uint8Array | null): string[] {
  if (!bytes) return [];
  const b = new RowBatch(bytes);
  return Array.from({ length: b.rows }, (_, r) => b.row(r).join('|'));
}

test.serial('filters are split among subtasks (j mod p); bounded reading ends; event time is the least over filters', async () => {
  const s = new FakeStream();
  for (let i = 0; i < 6; i++) s.add('o.a', { user: `a${i}`, amount: i, at: 10_000 + i });
  for (let i = 0; i < 3; i++) s.add('o.c', { user: `c${i}`, amount: i, at: 500 + i });
  s.add('o.b', { user: 'b0', amount: 0, at: 1 });
  let wakes = 0;
  const src = new NatsSource(vertex(PROPS), 0, 2, { connectJetStream: s.connect }, () => wakes++);
  const first = src.next(100);
  assert.equal(first.batch, null, 'nothing before the connection is open');
  assert.equal(first.done, false);
  await settle();
  assert.ok(wakes >= 1, 'the slot is woken once the readers are open');
  assert.deepEqual(
    s.readers.map((r) => r.pendingAtOpen),
    [6, 3],
    'subtask 0 of 2 reads filters 0 and 2 (o.a, o.c)',
  );
  s.readers[0]!.deliver(4);
  const a = src.next(100);
  assert.deepEqual(rowsOf(a.batch), ['a0|0|10000', 'a1|1|10001', 'a2|2|10002', 'a3|3|10003']);
  assert.equal(a.maxTimestamp, -Infinity, 'o.c has read nothing yet: it holds event time back');
  const before = wakes;
  s.readers[1]!.deliver();
  assert.equal(wakes, before + 1, 'data arriving wakes the slot');
  const c = src.next(100);
  assert.deepEqual(rowsOf(c.batch), ['c0|0|500', 'c1|1|501', 'c2|2|502']);
  assert.equal(c.maxTimestamp, 10_003, 'o.c is done (bounded): o.a alone sets event time');
  const saved = src.snapshot();

  // A restored subtask goes on from the stream sequence after what it had emitted.
  const again = new NatsSource(vertex(PROPS), 0, 2, { connectJetStream: s.connect }, () => {});
  again.restore(structuredClone(saved));
  again.next(100);
  await settle();
  const [ra, rc] = s.readers.slice(-2);
  assert.equal(ra!.pendingAtOpen, 2, 'o.a resumes after a3');
  assert.equal(rc!.pendingAtOpen, 0);
  ra!.deliver();
  rc!.deliver();
  const rest = again.next(100);
  assert.deepEqual(rowsOf(rest.batch), ['a4|4|10004', 'a5|5|10005']);
  assert.equal(rest.done, true);

  const other = new NatsSource(vertex(PROPS), 1, 2, { connectJetStream: s.connect }, () => {});
  other.next(10);
  await settle();
  s.readers.at(-1)!.deliver();
  assert.deepEqual(rowsOf(other.next(10).batch), ['b0|0|1'], 'subtask 1 reads o.b');
  const lone = new NatsSource(vertex({ ...PROPS, subjects: 'o.a' }), 1, 2, { connectJetStream: s.connect }, () => {});
  assert.equal(lone.next(10).done, true, 'a subtask without a filter finishes at once');
});

test.serial('source errors: missing stream, bad properties, no NATS on the platform, an unparsable message', async () => {
  const s = new FakeStream();
  const missing = new NatsSource(vertex({ ...PROPS, stream: 'T' }), 0, 1, { connectJetStream: s.connect }, () => {});
  missing.next(1);
  await settle();
  assert.throws(() => missing.next(1), code('WRT_INPUT_NOT_FOUND', /stream "T" does not exist/));
  assert.throws(
    () => new NatsSource(vertex({ ...PROPS, subjects: '' }), 0, 1, { connectJetStream: s.connect }, () => {}),
    code('WRT_BAD_JOB_GRAPH', /"subjects"/),
  );
  assert.throws(
    () => new NatsSource(vertex({ ...PROPS, bounded: 'yes' }), 0, 1, { connectJetStream: s.connect }, () => {}),
    code('WRT_BAD_JOB_GRAPH', /"bounded"/),
  );
  assert.throws(
    () => new NatsSource(vertex({ ...PROPS, payload: 'xml' }), 0, 1, { connectJetStream: s.connect }, () => {}),
    code('WRT_BAD_JOB_GRAPH', /"payload"/),
  );
  assert.throws(() => new NatsSource(vertex(PROPS), 0, 1, {}, () => {}), code('WRT_BAD_JOB_GRAPH', /browser node/));
  s.messages.push({ seq: 1, subject: 'o.a', data: encoder.encode('{"user":1}'), timestampMs: 0 });
  const bad = new NatsSource(vertex(PROPS), 0, 1, { connectJetStream: s.connect }, () => {});
  bad.next(1);
  await settle();
  s.readers.at(-3)!.deliver();
  assert.throws(() => bad.next(10), code('WRT_BAD_INPUT', /message 1 on o\.a: field "user" must be a string/));
});

test.serial('records: what a writer writes, a parser of the same format reads back (json, csv, text)', () => {
  const row = ['doe, "jane"', 42, Date.UTC(2026, 10, 21, 1, 2, 3, 4)];
  for (const format of ['json', 'csv'] as const) {
    const text = new RecordWriter(format, COLUMNS, 'sink').write(row);
    assert.deepEqual(new RecordParser(format, COLUMNS, 'source').parse(text, 'here'), row, format);
  }
  assert.equal(
    new RecordWriter('json', COLUMNS, 'sink').write(row),
    '{"user":"doe, \\"jane\\"","amount":42,"at":"2026-11-21T01:02:03.004Z"}',
  );
  const line: StreamColumn[] = [{ name: 'line', type: 'Utf8' }];
  assert.deepEqual(new RecordParser('text', line, 's').parse(new RecordWriter('text', line, 's').write(['a,b "c"']), 'x'), ['a,b "c"']);
  assert.throws(() => new RecordWriter('text', COLUMNS, 'sink "x"'), code('WRT_BAD_JOB_GRAPH', /one Utf8 column/));
});

test.serial('sink pieces frame one message per row; a cut piece is refused', () => {
  const sink = new NatsSink(sinkVertex('out', 'nats', { servers: 'x', subject: 'y' }));
  const b = new RowBatchBuilder(COLUMNS.map((c) => c.type));
  b.add(0, ['a', 1, 0]);
  b.add(0, ['', 2, 1000]);
  sink.write(new RowBatch(b.finish()));
  assert.equal(sink.rows, 2);
  const piece = sink.drain();
  assert.deepEqual(
    unframeMessages(piece).map((p) => decoder.decode(p)),
    ['{"user":"a","amount":1,"at":"1970-01-01T00:00:00.000Z"}', '{"user":"","amount":2,"at":"1970-01-01T00:00:01.000Z"}'],
  );
  assert.equal(sink.drain().byteLength, 0);
  assert.deepEqual(unframeMessages(frameMessages([new Uint8Array(0)])), [new Uint8Array(0)]);
  assert.throws(() => unframeMessages(piece.subarray(0, piece.byteLength - 1)), code('WRT_PROTOCOL'));
});

test.serial(
  'committer: messages go out in order with ids PREFIX/part/k; a failed publish is retried with its id; 503 fails the job',
  async () => {
    const s = new FakeStream();
    const sinks = [
      { vertex: sinkVertex('csv', 'csv'), parallelism: 2 },
      { vertex: sinkVertex('out', 'nats', { servers: 'x', subject: 'y' }), parallelism: 2 },
    ];
    const c = new JetStreamCommitter(sinks, s.connect, 'j-1-abc');
    assert.deepEqual(
      [0, 1, 2, 3].map((p) => c.handles(p)),
      [false, false, true, true],
      'parts count sink subtasks in graph order',
    );
    s.failures.set('j-1-abc/3/0', 2);
    c.commit(2, frameMessages(['m0', 'm1'].map((m) => encoder.encode(m))));
    c.commit(3, frameMessages([encoder.encode('n0')]));
    c.commit(2, frameMessages([encoder.encode('m2')]));
    await c.flush();
    assert.deepEqual(s.published.map((p) => `${p.id}=${p.data}`).sort(), [
      'j-1-abc/2/0=m0',
      'j-1-abc/2/1=m1',
      'j-1-abc/2/2=m2',
      'j-1-abc/3/0=n0',
    ]);
    assert.deepEqual(
      s.published.filter((p) => p.id.startsWith('j-1-abc/2/')).map((p) => p.data),
      ['m0', 'm1', 'm2'],
    );
    assert.throws(() => new JetStreamCommitter(sinks, undefined, 'p'), code('WRT_BAD_JOB_GRAPH', /cannot reach/));

    const bad = new JetStreamCommitter(
      [
        {
          vertex: sinkVertex('out', 'nats', { servers: 'x', subject: 'nowhere' }),
          parallelism: 1,
        },
      ],
      s.connect,
      'p',
    );
    bad.commit(0, frameMessages([encoder.encode('x')]));
    await assert.rejects(bad.flush(), code('WRT_SINK_FAILED', /could not publish to "nowhere".*no JetStream stream takes that subject/));
  },
);
