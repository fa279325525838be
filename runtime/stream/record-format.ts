/**
 * Records of text formats into rows, and rows into records: what file sources read a line as and
 * what NATS sources and sinks carry as one message's payload.
 * - `text`: the row has exactly one Utf8 column, the whole record.
 * - `csv`: fields by position, RFC 4180 quoting (a record is one line; no line breaks in fields).
 * - `json`: one JSON object, fields by column name (other fields are ignored).
 *
 * Values: I64 an integer (a string of digits in csv), F64 a number, Utf8 a string, Timestamp
 * ISO-8601 (`2015-07-15T00:00:00.000Z`) or integer milliseconds. Written records use the same
 * forms (timestamps ISO-8601 UTC with milliseconds), so what a sink writes its source can read.
 */
import type { ColumnType, JobGraphVertex, StreamColumn } from '../protocol/messages.js';
import type { Value } from './row-batch.js';
import { csvRecord, isoTimestamp } from './csv.js';
import { WrtError } from '../errors.js';

export const RECORD_FORMATS = ['text', 'csv', 'json'] as const;
export type RecordFormat = (typeof RECORD_FORMATS)[number];

/** Splits one CSV record (RFC 4180 quoting, no line breaks inside fields). @returns null when a quote is not closed. */
export function parseCsvLine(line: string): string[] | null {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    if (line.charCodeAt(i) === 0x22) {
      let value = '';
      i++;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q < 0) return null;
        value += line.slice(i, q);
        if (line.charCodeAt(q + 1) === 0x22) {
          value += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      fields.push(value);
      if (i >= line.length) return fields;
      if (line.charCodeAt(i) !== 0x2c) return null;
      i++;
    } else {
      const comma = line.indexOf(',', i);
      if (comma < 0) {
        fields.push(line.slice(i));
        return fields;
      }
      fields.push(line.slice(i, comma));
      i = comma + 1;
    }
  }
}

/** @throws WrtError `WRT_BAD_JOB_GRAPH` when a `text` record's columns are not one Utf8 column. */
function checkTextColumns(format: RecordFormat, columns: readonly StreamColumn[], where: string): void {
  if (format === 'text' && !(columns.length === 1 && columns[0]!.type === 'Utf8'))
    throw new WrtError('WRT_BAD_JOB_GRAPH', `${where}: a text record has exactly one Utf8 column (the record)`);
}

/** Reads records of one format into rows of the given columns. */
export class RecordParser {
  private readonly types: ColumnType[];
  private readonly names: string[];

  /**
   * @param where names the connector in errors (`source "orders" (csv)`).
   * @throws WrtError `WRT_BAD_JOB_GRAPH` when a `text` record's columns are not one Utf8 column.
   */
  constructor(
    readonly format: RecordFormat,
    columns: readonly StreamColumn[],
    where: string,
  ) {
    this.types = columns.map((c) => c.type);
    this.names = columns.map((c) => c.name);
    checkTextColumns(format, columns, where);
  }

  /**
   * One record's values, in column order.
   * @param at where the record is, for errors (`orders.csv, the line at byte 120`).
   * @throws WrtError `WRT_BAD_INPUT` naming `at` and what did not parse.
   */
  parse(record: string, at: string): Value[] {
    const fail = (why: string): never => {
      throw new WrtError('WRT_BAD_INPUT', `${at}: ${why}`);
    };
    if (this.format === 'text') return [record];
    if (this.format === 'csv') {
      const fields = parseCsvLine(record);
      if (!fields) return fail('a quoted field is not closed (a CSV record must be one line)');
      if (fields.length !== this.types.length) fail(`${fields.length} fields for ${this.types.length} columns (${this.names.join(', ')})`);
      return fields.map((f, c) => this.convert(f, c, fail));
    }
    let o: unknown;
    try {
      o = JSON.parse(record);
    } catch (err) {
      return fail(`not JSON: ${(err as Error).message}`);
    }
    if (typeof o !== 'object' || o === null || Array.isArray(o)) return fail('not a JSON object');
    return this.names.map((name, c) => {
      const value = (o as Record<string, unknown>)[name];
      if (value === undefined || value === null) return fail(`field "${name}" is missing`);
      return this.convert(value, c, fail);
    });
  }

  private convert(raw: unknown, c: number, fail: (why: string) => never): Value {
    const t = this.types[c]!;
    const name = this.names[c]!;
    if (t === 'Utf8') return typeof raw === 'string' ? raw : fail(`field "${name}" must be a string`);
    if (t === 'Timestamp' && typeof raw === 'string' && !/^-?\d+$/.test(raw)) {
      const ms = Date.parse(raw);
      return Number.isFinite(ms) ? ms : fail(`field "${name}" is not an ISO-8601 time or integer ms: "${raw}"`);
    }
    const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
    if (t === 'F64') return Number.isNaN(n) && raw !== 'NaN' ? fail(`field "${name}" is not a number: ${JSON.stringify(raw)}`) : n;
    return Number.isSafeInteger(n) ? n : fail(`field "${name}" is not an integer: ${JSON.stringify(raw)}`);
  }
}

/** Writes rows as records of one format (`csv` without the line end). */
export class RecordWriter {
  private readonly names: string[];
  private readonly timestamps: boolean[];

  /** @throws WrtError `WRT_BAD_JOB_GRAPH` when a `text` record's columns are not one Utf8 column. */
  constructor(
    readonly format: RecordFormat,
    columns: readonly StreamColumn[],
    where: string,
  ) {
    this.names = columns.map((c) => c.name);
    this.timestamps = columns.map((c) => c.type === 'Timestamp');
    checkTextColumns(format, columns, where);
  }

  write(row: readonly Value[]): string {
    const values = row.map((v, c) => (this.timestamps[c] ? isoTimestamp(v as number) : v));
    if (this.format === 'text') return String(values[0]);
    if (this.format === 'csv') return csvRecord(values).slice(0, -1);
    const o: Record<string, Value> = {};
    this.names.forEach((name, c) => (o[name] = values[c]!));
    return JSON.stringify(o);
  }
}

/**
 * The column index of property `timestamp` of source `v` (-1 without one: event time 0 or the
 * connector's own).
 * @throws WrtError `WRT_BAD_JOB_GRAPH` when it names no column, or one not Timestamp or I64.
 */
export function timestampColumn(v: JobGraphVertex): number {
  const ts = v.properties?.timestamp;
  if (!ts) return -1;
  const columns = v.columns ?? [];
  const c = columns.findIndex((col) => col.name === ts);
  const bad = (why: string): never => {
    throw new WrtError('WRT_BAD_JOB_GRAPH', `source "${v.id}" (${v.format}): ${why}`);
  };
  if (c < 0) bad(`property "timestamp" names "${ts}", which is not one of its columns (${columns.map((col) => col.name).join(', ')})`);
  if (columns[c]!.type !== 'Timestamp' && columns[c]!.type !== 'I64') bad(`its timestamp column "${ts}" must be Timestamp or I64 (ms)`);
  return c;
}
