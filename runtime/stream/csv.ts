/**
 * CSV as RFC 4180 writes it: fields separated by commas, records ended by CRLF... except that wrt
 * ends records with LF (as DuckDB, Flink's CSV format and most tools read either); a field holding
 * a comma, a double quote, CR or LF is enclosed in double quotes with inner quotes doubled.
 * Timestamps are ISO-8601 UTC with milliseconds (`2015-07-15T00:00:00.000Z`).
 */

const NEEDS_QUOTES = /[",\r\n]/;

/** One field, quoted only when RFC 4180 requires it. */
export function csvField(value: string | number): string {
  const s = typeof value === 'number' ? String(value) : value;
  return NEEDS_QUOTES.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** One record, with its trailing newline. */
export function csvRecord(fields: readonly (string | number)[]): string {
  let line = '';
  for (let i = 0; i < fields.length; i++) line += (i === 0 ? '' : ',') + csvField(fields[i]!);
  return line + '\n';
}

/** ms since the epoch → `YYYY-MM-DDTHH:MM:SS.mmmZ`. */
export function isoTimestamp(ms: number): string {
  return new Date(ms).toISOString();
}
