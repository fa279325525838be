/**
 * NATS JetStream as a replayable source and an exactly-once sink of stream jobs (vertex format
 * `nats`), through the platform's {@link ConnectJetStream} (Node nodes and heads; a browser node has
 * none).
 *
 * Source properties:
 * - `servers` (required): `nats://host:port`, comma-separated for several.
 * - `stream` (required): the JetStream stream to read.
 * - `subjects` (required): comma-separated subject filters (wildcards allowed). They are the
 *   source's splits, as Kafka partitions are in Flink's Kafka source: filter j is read by subtask
 *   j mod parallelism, each in stream order; a subtask with no filter finishes at once. Filters
 *   should not overlap (a message matching two is read twice).
 * - `payload`: `json` (default; one JSON object per message, fields by column name), `csv` (one
 *   record) or `text` (one Utf8 column) — record-format.ts.
 * - `timestamp`: the column holding event time (Timestamp or I64 ms); without it, the time the
 *   stream stored the message.
 * - The vertex's `idleTimeoutMs` (SDK source option) applies per filter: a filter without messages
 *   for that long stops holding back the subtask's event time.
 * - `bounded`: `latest` reads the messages the stream held when the source first opened, then
 *   finishes (Flink's `setBounded(latest)`); without it the source reads on until the job is
 *   stopped or cancelled.
 * A checkpoint records, per filter, the stream sequence of the next message; a restored source
 * reads on from there, so replay after a failure repeats exactly what the failed attempt read after
 * its checkpoint. Nothing is acknowledged on the server (ordered consumers, no acks).
 *
 * Sink properties: `servers`, `subject` (where each row is published; a stream must take it) and
 * `payload` as above. The sink is two-phase: rows go out only when the checkpoint after them
 * completes, published by the head ({@link JetStreamCommitter}) with a `Nats-Msg-Id` unique to
 * the job, sink subtask and row, so a publish retried after a lost acknowledgement is dropped by
 * the stream's deduplication (within its duplicate window, 2 minutes by default) — exactly once.
 *
 * Errors: `WRT_BAD_JOB_GRAPH` (properties), `WRT_INPUT_NOT_FOUND` (no such stream), `WRT_BAD_INPUT`
 * (a message does not parse; the message names subject and sequence), `WRT_CONNECTION` (the
 * server cannot be reached or the connection was lost; retryable: the job restarts from its last
 * checkpoint), `WRT_SINK_FAILED` (a publish was refused: no stream takes the subject).
 */
import type { ColumnType, JobGraphVertex } from '../protocol/messages.js';
import type { ConnectJetStream, ConnectorAccess, JetStreamLink, JetStreamReader } from '../platform/platform.js';
import { RowBatchBuilder, type RowBatch } from './row-batch.js';
import { RECORD_FORMATS, RecordParser, RecordWriter, timestampColumn, type RecordFormat } from './record-format.js';
import type { SourceStep, StreamSink, StreamSource } from './connector-types.js';
import { WrtError } from '../errors.js';
import { encodeFrame, splitFrame } from '../protocol/codec.js';

const decoder = new TextDecoder();
const encoder = new TextEncoder();

interface Split {
  filter: string;
  /** Stream sequence of the next message to read. */
  nextSeq: number;
  /** Bounded: messages left to read; null: unbounded. */
  remaining: number | null;
  /** Largest event time read from this filter (ms). */
  maxTs: number;
}

function property(v: JobGraphVertex, name: string, what: string): string {
  const value = v.properties?.[name] ?? '';
  if (!value) throw new WrtError('WRT_BAD_JOB_GRAPH', `${what} "${v.id}" (nats): give property "${name}"`);
  return value;
}

function payloadFormat(v: JobGraphVertex, what: string): RecordFormat {
  const p = v.properties?.payload || 'json';
  if (!(RECORD_FORMATS as readonly string[]).includes(p))
    throw new WrtError(
      'WRT_BAD_JOB_GRAPH',
      `${what} "${v.id}" (nats): property "payload" must be ${RECORD_FORMATS.join(', ')}, got "${p}"`,
    );
  return p as RecordFormat;
}

function connectorOf(v: JobGraphVertex, access: ConnectorAccess, what: string): ConnectJetStream {
  if (!access.connectJetStream)
    throw new WrtError(
      'WRT_BAD_JOB_GRAPH',
      `${what} "${v.id}" uses NATS, which this platform cannot reach (a browser node); run the job on Node nodes`,
    );
  return access.connectJetStream;
}

/** A connection failure: retryable, so the job restarts from its checkpoint. */
function connectionError(v: JobGraphVertex, servers: string, err: unknown): WrtError {
  return new WrtError('WRT_CONNECTION', `nats "${v.id}" (${servers}): ${(err as Error)?.message ?? String(err)}`, { retryable: true });
}

export class NatsSource implements StreamSource {
  private readonly servers: string;
  private readonly stream: string;
  private readonly splits: Split[];
  private readonly bounded: boolean;
  private readonly parser: RecordParser;
  private readonly types: ColumnType[];
  private readonly tsColumn: number;
  private readonly connect: ConnectJetStream;
  private link: JetStreamLink | null = null;
  private readers: JetStreamReader[] | null = null;
  private opening = false;
  private error: WrtError | null = null;
  private restored = false;
  private closed = false;
  /** The split read first in the next batch (round robin). */
  private turn = 0;
  /** Idle timeout of a filter, ms (0: never idle), and when each filter last had data (performance.now()). */
  private readonly idleTimeoutMs: number;
  private readonly lastDataAt: number[];

  /** @throws WrtError `WRT_BAD_JOB_GRAPH` (see the module comment). */
  constructor(
    private readonly v: JobGraphVertex,
    index: number,
    parallelism: number,
    access: ConnectorAccess,
    private readonly wake: () => void,
  ) {
    this.servers = property(v, 'servers', 'source');
    this.stream = property(v, 'stream', 'source');
    const filters = property(v, 'subjects', 'source')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const bounded = v.properties?.bounded ?? '';
    if (bounded !== '' && bounded !== 'latest')
      throw new WrtError('WRT_BAD_JOB_GRAPH', `source "${v.id}" (nats): property "bounded" must be latest or absent, got "${bounded}"`);
    this.bounded = bounded === 'latest';
    this.splits = filters
      .filter((_, j) => j % parallelism === index)
      .map((filter) => ({ filter, nextSeq: 1, remaining: null, maxTs: -Infinity }));
    this.parser = new RecordParser(payloadFormat(v, 'source'), v.columns ?? [], `source "${v.id}" (nats)`);
    this.types = (v.columns ?? []).map((c) => c.type);
    this.tsColumn = timestampColumn(v);
    this.connect = connectorOf(v, access, 'source');
    this.idleTimeoutMs = v.idleTimeoutMs ?? 0;
    this.lastDataAt = this.splits.map(() => performance.now());
  }

  snapshot(): { splits: Split[] } {
    return { splits: this.splits.map((s) => ({ ...s })) };
  }

  restore(state: unknown): void {
    const s = state as { splits: Split[] };
    const saved = new Map(s.splits.map((x) => [x.filter, x]));
    for (const split of this.splits) {
      const x = saved.get(split.filter);
      if (!x)
        throw new WrtError(
          'WRT_BAD_CHECKPOINT',
          `source "${this.v.id}": the checkpoint has no position for subject filter "${split.filter}"; restore with the subjects and parallelism it was taken with`,
        );
      split.nextSeq = x.nextSeq;
      split.remaining = x.remaining;
      split.maxTs = x.maxTs;
    }
    this.restored = true;
  }

  private get finished(): boolean {
    return this.splits.length === 0 || (this.bounded && this.splits.every((s) => s.remaining === 0));
  }

  /** Connects and opens one reader per split (in the background; wakes the slot when done or failed). */
  private open(): void {
    this.opening = true;
    const fail = (err: unknown): void => {
      this.error =
        err instanceof WrtError
          ? err
          : /stream not found/i.test((err as Error)?.message ?? '')
            ? new WrtError(
                'WRT_INPUT_NOT_FOUND',
                `source "${this.v.id}": JetStream stream "${this.stream}" does not exist on ${this.servers}`,
              )
            : connectionError(this.v, this.servers, err);
      this.wake();
    };
    this.connect(this.servers)
      .then(async (link) => {
        this.link = link;
        if (this.closed) return void link.close().catch(() => {});
        const readers: JetStreamReader[] = [];
        for (const split of this.splits) {
          const r = await link.read(this.stream, split.filter, split.nextSeq);
          if (this.bounded && !this.restored) split.remaining = r.pendingAtOpen;
          r.onReady = this.wake;
          readers.push(r);
        }
        this.readers = readers;
        this.wake();
      })
      .catch(fail);
  }

  next(maxRows: number): SourceStep {
    if (this.error) throw this.error;
    if (this.finished) {
      this.close();
      return { batch: null, maxTimestamp: Infinity, done: true };
    }
    if (!this.opening) this.open();
    if (!this.readers) return { batch: null, maxTimestamp: -Infinity, done: false };
    const b = new RowBatchBuilder(this.types);
    const n = this.splits.length;
    // Each filter gets an equal share, so the filters' event times stay close together.
    const share = Math.ceil(maxRows / n);
    for (let k = 0; k < n && b.rows < maxRows; k++) {
      const j = (this.turn + k) % n;
      const split = this.splits[j]!;
      const reader = this.readers[j]!;
      if (reader.error) throw connectionError(this.v, this.servers, reader.error);
      const limit = Math.min(share, maxRows - b.rows, split.remaining ?? Infinity);
      const messages = reader.take(limit);
      if (messages.length > 0) this.lastDataAt[j] = performance.now();
      for (const m of messages) {
        const values = this.parser.parse(decoder.decode(m.data), `source "${this.v.id}": message ${m.seq} on ${m.subject}`);
        const ts = this.tsColumn >= 0 ? (values[this.tsColumn] as number) : m.timestampMs;
        b.add(ts, values);
        if (ts > split.maxTs) split.maxTs = ts;
        split.nextSeq = m.seq + 1;
        if (split.remaining !== null) split.remaining--;
      }
    }
    this.turn = (this.turn + 1) % Math.max(1, n);
    const done = this.finished;
    if (done) this.close();
    return { batch: b.rows > 0 ? b.finish() : null, maxTimestamp: this.eventTime(), done };
  }

  /**
   * The subtask's event-time high mark: the least over its filters still being read (each filter is
   * read in order, the filters are not in step with each other: Flink's per-split watermarks),
   * leaving out filters idle for the vertex's `idleTimeoutMs`; -Infinity when none is left.
   */
  private eventTime(): number {
    const now = performance.now();
    let t = Infinity;
    this.splits.forEach((s, j) => {
      const idle = this.idleTimeoutMs > 0 && now - this.lastDataAt[j]! >= this.idleTimeoutMs;
      if (s.remaining !== 0 && !idle && s.maxTs < t) t = s.maxTs;
    });
    return t === Infinity ? -Infinity : t;
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const r of this.readers ?? []) r.close();
    void this.link?.close().catch(() => {});
  }
}

/** Sink messages travel to the head as frames: a u32 (little-endian) byte length, then the payload (codec.ts's framing). */
export const frameMessages: (payloads: readonly Uint8Array[]) => Uint8Array = encodeFrame;

/** The payloads of {@link frameMessages}' bytes. @throws WrtError `WRT_PROTOCOL` for a cut frame. */
export function unframeMessages(bytes: Uint8Array): Uint8Array[] {
  return splitFrame(bytes, 'NATS sink piece');
}

/** Format `nats` sink subtask: each row becomes one message payload, held until {@link drain}. */
export class NatsSink implements StreamSink {
  private readonly writer: RecordWriter;
  private payloads: Uint8Array[] = [];
  buffered = 0;
  rows = 0;

  /** @throws WrtError `WRT_BAD_JOB_GRAPH` for missing or bad properties. */
  constructor(v: JobGraphVertex) {
    property(v, 'servers', 'sink');
    property(v, 'subject', 'sink');
    this.writer = new RecordWriter(payloadFormat(v, 'sink'), v.columns ?? [], `sink "${v.id}" (nats)`);
  }

  write(batch: RowBatch): void {
    for (let r = 0; r < batch.rows; r++) {
      const p = encoder.encode(this.writer.write(batch.row(r)));
      this.payloads.push(p);
      this.buffered += p.byteLength + 4;
    }
    this.rows += batch.rows;
  }

  restore(rows: number): void {
    this.payloads = [];
    this.buffered = 0;
    this.rows = rows;
  }

  drain(): Uint8Array {
    const bytes = frameMessages(this.payloads);
    this.payloads = [];
    this.buffered = 0;
    return bytes;
  }
}

/** Publishes at most this many messages at once (pipelined on one connection, so still in order). */
const PUBLISH_WINDOW = 1024;
/** Tries of one publish before the job fails (the same Nats-Msg-Id each time). */
const PUBLISH_TRIES = 3;

interface SinkTarget {
  vertexId: string;
  index: number;
  servers: string;
  subject: string;
}

/**
 * The commit phase of a job's `nats` sinks, run by the head: the pieces a completed checkpoint
 * covers are published in order, message k of sink part p with id `PREFIX/p/k` (`PREFIX` names
 * this run of the job: its id and a random part, so a head restarted with the same job ids cannot
 * collide within a duplicate window).
 */
export class JetStreamCommitter {
  private readonly targets = new Map<number, SinkTarget>();
  private readonly links = new Map<string, Promise<JetStreamLink>>();
  private readonly sent = new Map<number, number>();
  private readonly queue: { target: SinkTarget; data: Uint8Array; id: string }[] = [];
  private head = 0;
  private inFlight = 0;
  private error: WrtError | null = null;
  private waiters: { resolve: () => void; reject: (err: Error) => void }[] = [];
  /** Messages published and acknowledged (duplicates included). */
  published = 0;
  duplicates = 0;

  /**
   * @param sinks the job's sink vertices in graph order with their parallelism: part numbers
   *   count their subtasks in that order, as the job's output partitions do.
   * @throws WrtError `WRT_BAD_JOB_GRAPH` when the job has a nats sink and `connect` is absent.
   */
  constructor(
    sinks: readonly { vertex: JobGraphVertex; parallelism: number }[],
    private readonly connect: ConnectJetStream | undefined,
    private readonly prefix: string,
  ) {
    let part = 0;
    for (const { vertex, parallelism } of sinks) {
      for (let i = 0; i < parallelism; i++, part++) {
        if (vertex.format !== 'nats') continue;
        if (!connect)
          throw new WrtError('WRT_BAD_JOB_GRAPH', `sink "${vertex.id}" publishes to NATS, which this head cannot reach (no NATS client)`);
        this.targets.set(part, {
          vertexId: vertex.id,
          index: i,
          servers: property(vertex, 'servers', 'sink'),
          subject: property(vertex, 'subject', 'sink'),
        });
      }
    }
  }

  /** Whether output part `partition` is a nats sink's (published here, not sent to the client). */
  handles(partition: number): boolean {
    return this.targets.has(partition);
  }

  get hasSinks(): boolean {
    return this.targets.size > 0;
  }

  /** Queues the messages of a committed piece of part `partition`. */
  commit(partition: number, piece: Uint8Array): void {
    const target = this.targets.get(partition)!;
    for (const data of unframeMessages(piece)) {
      const k = this.sent.get(partition) ?? 0;
      this.sent.set(partition, k + 1);
      this.queue.push({ target, data: data.slice(), id: `${this.prefix}/${partition}/${k}` });
    }
    this.pump();
  }

  private link(servers: string): Promise<JetStreamLink> {
    let l = this.links.get(servers);
    if (!l) {
      l = this.connect!(servers);
      this.links.set(servers, l);
    }
    return l;
  }

  private pump(): void {
    while (!this.error && this.inFlight < PUBLISH_WINDOW && this.head < this.queue.length) {
      const m = this.queue[this.head++]!;
      this.inFlight++;
      void this.publish(m, 1);
    }
    if (this.head > 4096 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    this.settle();
  }

  private async publish(m: { target: SinkTarget; data: Uint8Array; id: string }, attempt: number): Promise<void> {
    try {
      const link = await this.link(m.target.servers);
      const ack = await link.publish(m.target.subject, m.data, m.id);
      this.published++;
      if (ack.duplicate) this.duplicates++;
    } catch (err) {
      const message = (err as Error)?.message ?? String(err);
      // "no responders": no stream takes the subject; retrying cannot help.
      if (attempt < PUBLISH_TRIES && !/no responders|503/i.test(message)) return this.publish(m, attempt + 1);
      this.error ??= new WrtError(
        'WRT_SINK_FAILED',
        `sink "${m.target.vertexId}" could not publish to "${m.target.subject}" on ${m.target.servers}: ${message}` +
          (/no responders|503/i.test(message) ? ' (no JetStream stream takes that subject; create one)' : ''),
      );
    }
    this.inFlight--;
    this.pump();
  }

  private settle(): void {
    if (this.error) for (const w of this.waiters.splice(0)) w.reject(this.error);
    else if (this.inFlight === 0 && this.head >= this.queue.length) for (const w of this.waiters.splice(0)) w.resolve();
  }

  /** Resolves once everything queued is acknowledged. @throws WrtError `WRT_SINK_FAILED` */
  flush(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      this.settle();
    });
  }

  /** Closes the connections (what is still queued is dropped). */
  async close(): Promise<void> {
    this.queue.length = 0;
    this.head = 0;
    const links = [...this.links.values()];
    this.links.clear();
    await Promise.all(links.map((l) => l.then((x) => x.close()).catch(() => {})));
  }
}
