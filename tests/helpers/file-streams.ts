/**
 * Input files for the file-source tests: the same records as CSV (header, a quoted field with a
 * comma, CRLF on some lines), JSON lines and text; and the expected per-user, per-second sums.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isoTimestamp } from '../../runtime/stream/csv.js';
import type { StreamColumn } from '../../runtime/protocol/messages.js';
import { StreamEnvironment } from '../../sdk/datastream.js';

export const ORDER_COLUMNS: StreamColumn[] = [
  { name: 'user', type: 'Utf8' },
  { name: 'amount', type: 'I64' },
  { name: 'price', type: 'F64' },
  { name: 'at', type: 'Timestamp' },
];

export interface Order {
  user: string;
  amount: number;
  price: number;
  at: number;
}

/** `n` orders, slightly out of order in time (by at most 200 ms). */
export function orders(n: number): Order[] {
  const base = Date.UTC(2026, 10, 21);
  return Array.from({ length: n }, (_, i) => ({
    user: i % 7 === 0 ? 'doe, jane' : `user-${i % 13}`,
    amount: (i * 37) % 101,
    price: ((i * 13) % 1000) / 8,
    at: base + i * 3 - ((i * 7919) % 200),
  }));
}

/** Writes DIR/orders.csv, DIR/orders.jsonl and DIR/lines.txt; returns their paths. */
export function writeOrderFiles(dir: string, rows: Order[]): { csv: string; jsonl: string; text: string } {
  const csv = join(dir, 'orders.csv');
  const jsonl = join(dir, 'orders.jsonl');
  const text = join(dir, 'lines.txt');
  const q = (s: string): string => (s.includes(',') ? `"${s}"` : s);
  writeFileSync(
    csv,
    'user,amount,price,at\n' +
      rows.map((r, i) => `${q(r.user)},${r.amount},${r.price},${i % 2 ? isoTimestamp(r.at) : r.at}${i % 5 === 0 ? '\r\n' : '\n'}`).join(''),
  );
  writeFileSync(jsonl, rows.map((r) => JSON.stringify({ ...r, at: isoTimestamp(r.at), extra: true }) + '\n').join('\n'));
  writeFileSync(text, rows.map((r) => `${r.user} bought ${r.amount}`).join('\n')); // no LF after the last line
  return { csv, jsonl, text };
}

/** "user|count|amount sum|window start" rows of a 1 s tumbling window per user. */
export function expectedWindowSums(rows: Order[]): string[] {
  const sums = new Map<string, { n: number; sum: number }>();
  for (const r of rows) {
    const key = `${r.user}|${isoTimestamp(Math.floor(r.at / 1000) * 1000)}`;
    const e = sums.get(key) ?? { n: 0, sum: 0 };
    e.n++;
    e.sum += r.amount;
    sums.set(key, e);
  }
  return [...sums].map(([k, e]) => `${k.split('|')[0]}|${e.n}|${e.sum}|${k.split('|')[1]}`).sort();
}

/**
 * The graph both file-source tests run: the CSV orders (event time from `at`, 200 ms out of order)
 * counted and summed per user in 1 s tumbling windows, into a CSV sink. `path` may be `${input}`.
 */
export function ordersPerSecond(path: string, parallelism = 0): StreamEnvironment {
  const env = new StreamEnvironment('orders-per-second', parallelism);
  env
    .source('orders', { format: 'csv', columns: ORDER_COLUMNS, watermarkBoundMs: 200, properties: { path, timestamp: 'at' } })
    .keyBy('user')
    .window({ kind: 'Tumbling', sizeMs: 1000 })
    .aggregate('sums', [
      { function: 'count', as: 'n' },
      { function: 'sum', column: 'amount', as: 'amount' },
    ])
    .sinkTo('out', { format: 'csv' });
  return env;
}
