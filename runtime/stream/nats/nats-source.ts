/** Format `nats` source subtask: one ordered consumer per subject filter it owns, replayable from the checkpointed stream sequences (runtime/stream/nats-connector.ts). */
import type { ColumnType, JobGraphVertex } from '../../protocol/messages.js';
import type { ConnectJetStream, ConnectorAccess, JetStreamLink, JetStreamReader } from '../../platform/platform.js';
import { RowBatchBuilder } from '../row-batch.js';
import { RecordParser, timestampColumn } from '../record-format.js';
import type { SourceStep, StreamSource } from '../connector-types.js';
import { WrtError } from '../../errors.js';
import { type Split, connectionError, connectorOf, decoder, payloadFormat, property } from './properties.js';

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
