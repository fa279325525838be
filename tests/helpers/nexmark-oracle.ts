/**
 * The independent oracle of the Nexmark correctness tests: DuckDB (`@duckdb/node-api`) runs the
 * reference SQL of samples/nexmark/sql/qN.sql over the CSV files of `wrt nexmark generate`, and
 * results are compared as multisets of rows (decimals to 1e-9 relative, everything else exactly).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';

export const NEXMARK_QUERIES = ['q0', 'q1', 'q2', 'q3', 'q4', 'q5', 'q7', 'q8', 'q11'] as const;
export type NexmarkQuery = (typeof NEXMARK_QUERIES)[number];

export interface QueryResult {
  columns: string[];
  /** Every value as its CSV text (timestamps ISO-8601 UTC with milliseconds). */
  rows: string[][];
}

const SQL_DIR = join(import.meta.dirname, '../../../samples/nexmark/sql');

const TABLES = {
  person: {
    id: 'BIGINT',
    name: 'VARCHAR',
    emailAddress: 'VARCHAR',
    creditCard: 'VARCHAR',
    city: 'VARCHAR',
    state: 'VARCHAR',
    dateTime: 'TIMESTAMP',
    extra: 'VARCHAR',
  },
  auction: {
    id: 'BIGINT',
    itemName: 'VARCHAR',
    description: 'VARCHAR',
    initialBid: 'BIGINT',
    reserve: 'BIGINT',
    dateTime: 'TIMESTAMP',
    expires: 'TIMESTAMP',
    seller: 'BIGINT',
    category: 'BIGINT',
    extra: 'VARCHAR',
  },
  bid: {
    auction: 'BIGINT',
    bidder: 'BIGINT',
    price: 'BIGINT',
    channel: 'VARCHAR',
    url: 'VARCHAR',
    dateTime: 'TIMESTAMP',
    extra: 'VARCHAR',
  },
};

/** A scalar of a result row as CSV text; the reference SQL formats its timestamps itself (`iso`). */
function cell(v: unknown): string {
  if (v === null) return '';
  if (typeof v === 'bigint' || typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return String(v);
  throw new Error(`reference SQL returned a ${typeof v} value; format it as text in the query`);
}

/** Loads `eventsDir`/{person,auction,bid}.csv into an in-memory DuckDB and runs each query's reference SQL. */
export async function referenceResults(eventsDir: string, queries: readonly NexmarkQuery[]): Promise<Map<NexmarkQuery, QueryResult>> {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  try {
    await c.run("SET TimeZone = 'UTC'");
    await c.run(`CREATE MACRO iso(ts) AS strftime(ts, '%Y-%m-%dT%H:%M:%S.%gZ')`);
    for (const [table, columns] of Object.entries(TABLES)) {
      const spec = Object.entries(columns)
        .map(([k, v]) => `'${k}': '${v}'`)
        .join(', ');
      const file = join(eventsDir, `${table}.csv`).replaceAll("'", "''");
      await c.run(
        `CREATE TABLE ${table} AS SELECT * FROM read_csv('${file}', header = true, quote = '"', escape = '"', columns = {${spec}})`,
      );
    }
    const out = new Map<NexmarkQuery, QueryResult>();
    for (const q of queries) {
      const sql = await readFile(join(SQL_DIR, `${q}.sql`), 'utf8');
      const reader = await c.runAndReadAll(sql);
      const columns = reader.columnNames();
      const rows = reader.getRowsJS().map((r) => r.map(cell));
      out.set(q, { columns, rows });
    }
    return out;
  } finally {
    c.closeSync();
    db.closeSync();
  }
}

/** RFC 4180 CSV text → records (quoted fields may hold commas, doubled quotes and newlines). */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else field += ch;
      i++;
      continue;
    }
    if (ch === '"') quoted = true;
    else if (ch === ',') {
      record.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      record.push(field);
      records.push(record);
      record = [];
      field = '';
    } else field += ch;
    i++;
  }
  if (field !== '' || record.length > 0) {
    record.push(field);
    records.push(record);
  }
  return records;
}

function sameValue(a: string, b: string): boolean {
  if (a === b) return true;
  if (!a.includes('.') && !b.includes('.')) return false;
  const x = Number(a);
  const y = Number(b);
  if (!Number.isFinite(x) || !Number.isFinite(y)) return false;
  return Math.abs(x - y) <= 1e-9 * Math.max(Math.abs(x), Math.abs(y));
}

/**
 * Compares two results as multisets of rows. Returns null when equal, else a description of the
 * first differences (columns, counts, rows only on one side).
 */
export function diffResults(expected: QueryResult, actual: QueryResult): string | null {
  if (expected.columns.join(',') !== actual.columns.join(','))
    return `columns differ: expected ${expected.columns.join(',')}, got ${actual.columns.join(',')}`;
  const decimalCols = expected.columns.map((_, j) => expected.rows.some((r) => r[j]!.includes('.') && !Number.isNaN(Number(r[j]))));
  // Rows keyed by their non-decimal fields; decimal fields compared with tolerance within a key.
  const keyOf = (r: string[]): string => r.filter((_, j) => !decimalCols[j]).join('\u0000');
  const pending = new Map<string, string[][]>();
  for (const r of expected.rows) {
    const k = keyOf(r);
    const list = pending.get(k);
    if (list) list.push(r);
    else pending.set(k, [r]);
  }
  const extra: string[][] = [];
  for (const r of actual.rows) {
    const k = keyOf(r);
    const list = pending.get(k);
    const i = list ? list.findIndex((e) => e.every((v, j) => sameValue(v, r[j] ?? ''))) : -1;
    if (i < 0) extra.push(r);
    else {
      list!.splice(i, 1);
      if (list!.length === 0) pending.delete(k);
    }
  }
  const missing = [...pending.values()].flat();
  if (missing.length === 0 && extra.length === 0) return null;
  const show = (rows: string[][]): string =>
    rows
      .slice(0, 5)
      .map((r) => r.join(','))
      .join('\n    ');
  return (
    `${expected.rows.length} rows expected, ${actual.rows.length} got; ${missing.length} missing, ${extra.length} unexpected` +
    (missing.length ? `\n  missing:\n    ${show(missing)}` : '') +
    (extra.length ? `\n  unexpected:\n    ${show(extra)}` : '')
  );
}

/** The result in a directory of `part-*.csv` files (each with the header line), as written by `wrt submit`. */
export async function readCsvParts(dir: string, files: string[]): Promise<QueryResult> {
  let columns: string[] | null = null;
  const rows: string[][] = [];
  for (const f of files.filter((n) => /^part-\d{5}\.csv$/.test(n)).sort()) {
    const [header, ...records] = parseCsv(await readFile(join(dir, f), 'utf8'));
    if (!header) throw new Error(`${f} has no header line`);
    if (columns && columns.join(',') !== header.join(','))
      throw new Error(`${f}: header ${header.join(',')} differs from ${columns.join(',')}`);
    columns = header;
    rows.push(...records);
  }
  return { columns: columns ?? [], rows };
}
