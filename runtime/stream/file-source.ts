/**
 * Bounded file sources of stream jobs: `text`, `csv` and `jsonl` (Flink's FileSource with its
 * text-line, CSV and JSON formats). Properties:
 * - `path` (required): the file, on the file system of the node running the subtask (Node nodes;
 *   a browser node has none). Give an absolute path, usually as `${arg}` from `--arg`.
 * - `timestamp` (optional): the column whose value is each row's event time (Timestamp or I64
 *   milliseconds); without it every row has event time 0.
 * - `header` (csv only): `true` (default) skips the first line, `false` reads it as a record.
 *
 * Columns: `text` has exactly one Utf8 column, the line without its end (LF or CRLF). `csv` takes
 * fields by position (RFC 4180 quoting; a record is one line), `jsonl` one JSON object per line,
 * fields by column name. Values: I64 an integer (a string of digits in csv), F64 a number,
 * Utf8 a string, Timestamp ISO-8601 (`2015-07-15T00:00:00.000Z`) or integer milliseconds. Empty
 * lines are skipped.
 *
 * Splits (as Hadoop's line input splits): subtask i of p reads the lines that *start* in bytes
 * [⌊i·size/p⌋, ⌊(i+1)·size/p⌋), so the p subtasks together read every line once and each reads
 * only its part. The position a checkpoint records is the byte offset of the next line.
 *
 * Errors: `WRT_BAD_JOB_GRAPH` (format, columns or properties unfit), `WRT_INPUT_NOT_FOUND` (the
 * file cannot be opened), `WRT_BAD_INPUT` (a record does not parse into the columns; the message
 * names the file and the byte offset of the line).
 */
import type { ColumnType, JobGraphVertex } from '../protocol/messages.js';
import type { OpenFile, SourceFile } from '../platform/platform.js';
import { RowBatchBuilder } from './row-batch.js';
import { RecordParser, timestampColumn } from './record-format.js';
import type { SourceStep, StreamSource } from './connector-types.js';
import { WrtError } from '../errors.js';

export const FILE_FORMATS = ['text', 'csv', 'jsonl'] as const;
type FileFormat = (typeof FILE_FORMATS)[number];

/** Bytes read from the file at a time. */
const READ_BYTES = 1 << 20;
const LF = 0x0a;
const decoder = new TextDecoder();

export class FileSource implements StreamSource {
  private readonly format: FileFormat;
  private readonly path: string;
  private readonly types: ColumnType[];
  private readonly parser: RecordParser;
  private readonly tsColumn: number;
  private readonly openFile: OpenFile;
  /** Open only inside {@link withFile}: a subtask cancelled between two batches holds no descriptor. */
  private file: SourceFile | null = null;
  private readonly end: number;
  /** Byte offset of the next line to read. */
  private offset: number;
  private maxTs = -Infinity;
  private buffer = new Uint8Array(0);
  /** File offset of `buffer[0]`. */
  private bufferAt = 0;

  /** @throws WrtError `WRT_BAD_JOB_GRAPH`, `WRT_INPUT_NOT_FOUND` (see the module comment). */
  constructor(v: JobGraphVertex, index: number, parallelism: number, openFile: OpenFile | undefined) {
    const bad = (why: string): never => {
      throw new WrtError('WRT_BAD_JOB_GRAPH', `source "${v.id}" (${v.format}): ${why}`);
    };
    this.format = v.format as FileFormat;
    this.path = v.properties?.path ?? '';
    if (!this.path) bad('give the file as property "path" (for example "${input}" with --arg input=/abs/path)');
    const columns = v.columns ?? [];
    this.types = columns.map((c) => c.type);
    this.parser = new RecordParser(this.format === 'jsonl' ? 'json' : this.format, columns, `source "${v.id}" (${v.format})`);
    this.tsColumn = timestampColumn(v);
    const header = v.properties?.header ?? 'true';
    if (header !== 'true' && header !== 'false') bad(`property "header" must be true or false, got "${header}"`);
    if (!openFile)
      throw new WrtError(
        'WRT_BAD_JOB_GRAPH',
        `source "${v.id}" reads a file, and this node has no file system (a browser node); run it on Node nodes`,
      );
    this.openFile = (path) => {
      try {
        return openFile(path);
      } catch (err) {
        if (err instanceof WrtError) throw err;
        throw new WrtError('WRT_INPUT_NOT_FOUND', `source "${v.id}": cannot open ${path}: ${(err as Error).message}`);
      }
    };
    const { start, end, size } = this.withFile((f) => ({
      start: Math.floor((index * f.size) / parallelism),
      end: Math.floor(((index + 1) * f.size) / parallelism),
      size: f.size,
    }));
    this.end = end;
    // The first line of the split is the first that starts at or after `start`; the line at 0 is the header.
    this.offset = start;
    if (size > 0 && (start > 0 || (this.format === 'csv' && header === 'true')))
      this.offset = this.withFile(() => this.lineStartFrom(start === 0 ? 0 : start - 1));
  }

  /** Runs `fn` with the file open, and closes it after. */
  private withFile<T>(fn: (f: SourceFile) => T): T {
    const f = this.openFile(this.path);
    this.file = f;
    try {
      return fn(f);
    } finally {
      this.file = null;
      f.close();
    }
  }

  /** Offset just past the first LF at or after `from` (the file's size if none). */
  private lineStartFrom(from: number): number {
    let at = from;
    const size = this.file!.size;
    while (at < size) {
      const chunk = this.file!.read(at, Math.min(READ_BYTES, size - at));
      const lf = chunk.indexOf(LF);
      if (lf >= 0) return at + lf + 1;
      at += chunk.byteLength;
    }
    return size;
  }

  snapshot(): { offset: number; maxTs: number } {
    return { offset: this.offset, maxTs: this.maxTs };
  }

  restore(state: unknown): void {
    const s = state as { offset: number; maxTs: number };
    this.offset = s.offset;
    this.maxTs = s.maxTs;
    this.buffer = new Uint8Array(0);
    this.bufferAt = s.offset;
  }

  /** The bytes of the line at `offset` (without its LF), reading more of the file as needed; null at the file's end. */
  private line(): { bytes: Uint8Array; next: number } | null {
    const size = this.file!.size;
    if (this.offset >= size) return null;
    for (;;) {
      const from = this.offset - this.bufferAt;
      if (from < 0 || from > this.buffer.byteLength) {
        this.buffer = new Uint8Array(0);
        this.bufferAt = this.offset;
        continue;
      }
      const lf = this.buffer.indexOf(LF, from);
      if (lf >= 0) return { bytes: this.buffer.subarray(from, lf), next: this.bufferAt + lf + 1 };
      const readAt = this.bufferAt + this.buffer.byteLength;
      if (readAt >= size) return { bytes: this.buffer.subarray(from), next: size }; // the last line has no LF
      // Keep the partial line and append the next chunk.
      const keep = this.buffer.subarray(from);
      const chunk = this.file!.read(readAt, Math.min(READ_BYTES, size - readAt));
      const merged = new Uint8Array(keep.byteLength + chunk.byteLength);
      merged.set(keep);
      merged.set(chunk, keep.byteLength);
      this.buffer = merged;
      this.bufferAt = this.offset;
    }
  }

  next(maxRows: number): SourceStep {
    const b = new RowBatchBuilder(this.types);
    if (this.offset < this.end) this.withFile(() => this.readRows(b, maxRows));
    return { batch: b.rows > 0 ? b.finish() : null, maxTimestamp: this.maxTs, done: this.offset >= this.end };
  }

  private readRows(b: RowBatchBuilder, maxRows: number): void {
    while (b.rows < maxRows && this.offset < this.end) {
      const l = this.line();
      if (!l) {
        this.offset = this.end;
        break;
      }
      const at = this.offset;
      this.offset = l.next;
      let text = decoder.decode(l.bytes);
      if (text.endsWith('\r')) text = text.slice(0, -1);
      if (text.length === 0) continue;
      const values = this.parser.parse(text, `${this.path}, the line at byte ${at}`);
      const ts = this.tsColumn >= 0 ? (values[this.tsColumn] as number) : 0;
      b.add(ts, values);
      if (ts > this.maxTs) this.maxTs = ts;
    }
  }
}
