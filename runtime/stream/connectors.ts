/**
 * Sources and sinks of stream jobs.
 * - `nexmark` source (properties `table` = all | person | auction | bid, `events`, `seed`, and
 *   optionally `eventsPerSecond`): subtask i of p generates the events among ids ≡ i (mod p) below
 *   `events`, in id order, so its timestamps never decrease and p subtasks together make exactly
 *   `wrt nexmark generate`'s events. `eventsPerSecond` (> 0) caps the rate at which the source's
 *   subtasks together produce them, in events of processing time a second (Flink Nexmark's `TPS`);
 *   0 or absent: as fast as they can.
 *   `all` emits every event in one wide row type (NEXMARK_ALL_COLUMNS, as Flink's Nexmark source:
 *   queries filter by `event_type`); a table name emits only that table's events, in its columns.
 *   Its position is the next event id (what a checkpoint will record).
 * - `csv` sink: RFC 4180 records (LF), a header of the column names, timestamps ISO-8601 UTC with
 *   milliseconds, F64 as JavaScript prints numbers.
 * - `text`, `csv`, `jsonl` sources: bounded files, split by byte ranges (file-source.ts).
 * - `blackhole` sink: counts rows, writes nothing (for benchmarks, as Flink's Nexmark).
 * - `nats` source and sink: NATS JetStream, replayable and exactly once (nats-connector.ts).
 */
import type { JobGraphVertex, StreamColumn } from '../protocol/messages.js';
import type { RowBatch } from './row-batch.js';
import { NexmarkGenerator, type NexmarkEventKind } from './nexmark/generator.js';
import { NexmarkBatchMaker, nexmarkColumnTypes, type NexmarkBatches } from './nexmark/event-batch.js';
import { WasmNexmarkBatchMaker } from './nexmark/wasm-generator.js';
import { NEXMARK_ALL_COLUMNS, NEXMARK_COLUMNS } from './nexmark/csv.js';
import { csvRecord, isoTimestamp } from './csv.js';
import { WrtError } from '../errors.js';
import type { ConnectorAccess } from '../platform/platform.js';
import { FILE_FORMATS, FileSource } from './file-source.js';
import { NatsSink, NatsSource } from './nats-connector.js';
import type { SourceStep, StreamSink, StreamSource } from './connector-types.js';

export type { SourceStep, StreamSink, StreamSource };

function intProperty(v: JobGraphVertex, name: string, fallback?: number): number {
  const raw = v.properties?.[name];
  if (fallback !== undefined && (raw === undefined || raw === '')) return fallback;
  const n = Number(raw);
  if (raw === undefined || raw === '' || !Number.isSafeInteger(n) || n < 0)
    throw new WrtError(
      'WRT_BAD_JOB_GRAPH',
      `source "${v.id}": property "${name}" must be a non-negative integer, got ${JSON.stringify(raw)}`,
    );
  return n;
}

export class NexmarkSource implements StreamSource {
  private readonly gen: NexmarkGenerator;
  /** In WebAssembly where the module compiles, else in TypeScript: the same batches. */
  private readonly maker: NexmarkBatches;
  private readonly table: NexmarkEventKind | 'all';
  private readonly events: number;
  private nextId: number;
  private maxTs = -Infinity;
  /** Events a second this subtask may produce (0: no cap), and since when and from which id it counts. */
  private readonly perSecond: number;
  private paceStartMs = -1;
  private paceStartId = 0;
  private paceTimer: ReturnType<typeof setTimeout> | null = null;

  /** @throws WrtError `WRT_BAD_JOB_GRAPH` for a bad table, count or seed, or columns unlike the table's. */
  constructor(
    v: JobGraphVertex,
    private readonly index: number,
    private readonly parallelism: number,
    private readonly wake: () => void = () => {},
  ) {
    const table = v.properties?.table ?? '';
    if (table !== 'all' && !Object.hasOwn(NEXMARK_COLUMNS, table))
      throw new WrtError('WRT_BAD_JOB_GRAPH', `source "${v.id}": property "table" must be all, person, auction or bid, got "${table}"`);
    this.table = table as NexmarkEventKind | 'all';
    const names = this.table === 'all' ? NEXMARK_ALL_COLUMNS : NEXMARK_COLUMNS[this.table];
    const declared = (v.columns ?? []).map((c) => c.name);
    if (declared.join(',') !== names.join(','))
      throw new WrtError('WRT_BAD_JOB_GRAPH', `source "${v.id}": columns must be ${names.join(', ')} for table ${this.table}`);
    this.events = intProperty(v, 'events');
    this.gen = new NexmarkGenerator({ seed: intProperty(v, 'seed') });
    this.perSecond = intProperty(v, 'eventsPerSecond', 0) / parallelism;
    this.nextId = index;
    const types = nexmarkColumnTypes(
      v.id,
      this.table,
      v.columns!.map((c) => c.type),
    );
    this.maker = WasmNexmarkBatchMaker.create(this.gen, this.table, types) ?? new NexmarkBatchMaker(this.gen, this.table, types);
  }

  /** The next event id this subtask will look at (its replay position). */
  get position(): number {
    return this.nextId;
  }

  snapshot(): { nextId: number; maxTs: number } {
    return { nextId: this.nextId, maxTs: this.maxTs };
  }

  restore(state: unknown): void {
    const s = state as { nextId: number; maxTs: number };
    this.nextId = s.nextId;
    this.maxTs = s.maxTs;
    this.paceStartMs = -1; // the rate counts from the restart
  }

  next(maxRows: number): SourceStep {
    const end = Math.min(this.events, this.pacedEnd());
    if (end <= this.nextId) return { batch: null, maxTimestamp: this.maxTs, done: false };
    const batch = this.maker.batch(this.nextId, this.parallelism, end, maxRows);
    this.nextId = this.maker.nextId;
    // Event time grows with the id: the batch's last event is its latest.
    if (batch !== null) this.maxTs = Math.max(this.maxTs, this.maker.lastTimestamp);
    return { batch, maxTimestamp: this.maxTs, done: this.nextId >= this.events };
  }

  /**
   * With a rate cap, the id below which this subtask may generate now: as many of its events since
   * it started (or was restored) as the elapsed time allows. When that is none, it wakes its slot
   * once the next is due.
   */
  private pacedEnd(): number {
    if (this.perSecond <= 0) return Infinity;
    const now = performance.now();
    if (this.paceStartMs < 0) {
      this.paceStartMs = now;
      this.paceStartId = this.nextId;
    }
    const allowed = Math.floor(((now - this.paceStartMs) / 1000) * this.perSecond) + 1;
    const end = this.paceStartId + allowed * this.parallelism;
    if (end <= this.nextId && this.paceTimer === null) {
      const due = this.paceStartMs + (((this.nextId - this.paceStartId) / this.parallelism) * 1000) / this.perSecond;
      this.paceTimer = setTimeout(
        () => {
          this.paceTimer = null;
          this.wake();
        },
        Math.max(1, Math.ceil(due - now)),
      );
    }
    return end;
  }
}

/**
 * Subtask `index` of `parallelism` of source vertex `v`; `wake` runs its slot again (asynchronous sources).
 * @throws WrtError `WRT_BAD_JOB_GRAPH` for a format wrt has no source for, or one the platform cannot reach.
 */
export function createSource(
  v: JobGraphVertex,
  index: number,
  parallelism: number,
  access: ConnectorAccess,
  wake: () => void = () => {},
): StreamSource {
  if (v.format === 'nexmark') return new NexmarkSource(v, index, parallelism, wake);
  if ((FILE_FORMATS as readonly string[]).includes(v.format)) return new FileSource(v, index, parallelism, access.openFile);
  if (v.format === 'nats') return new NatsSource(v, index, parallelism, access, wake);
  throw new WrtError(
    'WRT_BAD_JOB_GRAPH',
    `source "${v.id}": format "${v.format}" is not supported (supported: nexmark, ${FILE_FORMATS.join(', ')}, nats)`,
  );
}

/**
 * Format `blackhole` (Flink's BlackHole connector, which Nexmark's figures use): counts the rows
 * and writes nothing; its part files are empty.
 */
export class BlackholeSink implements StreamSink {
  readonly buffered = 0;
  rows = 0;

  write(batch: RowBatch): void {
    this.rows += batch.rows;
  }

  restore(rows: number): void {
    this.rows = rows;
  }

  drain(): Uint8Array {
    return new Uint8Array(0);
  }
}

/**
 * A sink of a vertex of format `csv`, `blackhole` or `nats`.
 * @throws WrtError `WRT_BAD_JOB_GRAPH` for another format.
 */
export function createSink(v: JobGraphVertex): StreamSink {
  if (v.format === 'csv') return new CsvSink(v.columns ?? []);
  if (v.format === 'blackhole') return new BlackholeSink();
  if (v.format === 'nats') return new NatsSink(v);
  throw new WrtError('WRT_BAD_JOB_GRAPH', `sink "${v.id}": format "${v.format}" is not supported (supported: csv, blackhole, nats)`);
}

/** A CSV part file being written: the header, then one record per row, handed out in pieces. */
export class CsvSink implements StreamSink {
  private chunks: string[] = [];
  private readonly encoder = new TextEncoder();
  /** UTF-16 code units buffered since the last {@link drain} (about the bytes, for ASCII). */
  buffered = 0;
  rows = 0;

  constructor(private readonly columns: StreamColumn[]) {
    this.push(csvRecord(columns.map((c) => c.name)));
  }

  private push(record: string): void {
    this.chunks.push(record);
    this.buffered += record.length;
  }

  write(batch: RowBatch): void {
    const timestamps = this.columns.map((c) => c.type === 'Timestamp');
    for (let r = 0; r < batch.rows; r++) {
      const row = batch.row(r);
      this.push(csvRecord(row.map((v, c) => (timestamps[c] ? isoTimestamp(v as number) : v))));
    }
    this.rows += batch.rows;
  }

  /**
   * After a restore: the header and the rows before the checkpoint were committed already — unless
   * `freshOutput` (a job started from a savepoint writes new part files), which starts with the header.
   */
  restore(rows: number, freshOutput = false): void {
    this.chunks = [];
    this.buffered = 0;
    this.rows = rows;
    if (freshOutput) this.push(csvRecord(this.columns.map((c) => c.name)));
  }

  /** The part file's bytes written since the last drain (the first piece starts with the header). */
  drain(): Uint8Array {
    const bytes = this.encoder.encode(this.chunks.join(''));
    this.chunks = [];
    this.buffered = 0;
    return bytes;
  }
}
