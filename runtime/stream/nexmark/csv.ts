/**
 * Nexmark events as CSV records with the reference field names (the columns of the `person`,
 * `auction` and `bid` tables of nexmark/nexmark's `ddl_gen.sql`), in the layout of
 * `wrt nexmark generate`: times ISO-8601 UTC with milliseconds, prices integers (cents).
 */
import { csvRecord, isoTimestamp } from '../csv.js';
import type { NexmarkEvent, NexmarkEventKind } from './generator.js';

export const NEXMARK_COLUMNS: Record<NexmarkEventKind, readonly string[]> = {
  person: ['id', 'name', 'emailAddress', 'creditCard', 'city', 'state', 'dateTime', 'extra'],
  auction: ['id', 'itemName', 'description', 'initialBid', 'reserve', 'dateTime', 'expires', 'seller', 'category', 'extra'],
  bid: ['auction', 'bidder', 'price', 'channel', 'url', 'dateTime', 'extra'],
};

/** The header line of the CSV file of `kind`, with its newline. */
export function nexmarkHeader(kind: NexmarkEventKind): string {
  return csvRecord(NEXMARK_COLUMNS[kind]);
}

/** One event's fields in its kind's column order (times as ms since the epoch). */
export function nexmarkValues(e: NexmarkEvent): (string | number)[] {
  switch (e.kind) {
    case 'person':
      return [e.id, e.name, e.emailAddress, e.creditCard, e.city, e.state, e.dateTime, e.extra];
    case 'auction':
      return [e.id, e.itemName, e.description, e.initialBid, e.reserve, e.dateTime, e.expires, e.seller, e.category, e.extra];
    case 'bid':
      return [e.auction, e.bidder, e.price, e.channel, e.url, e.dateTime, e.extra];
  }
}

const isTime = (column: string): boolean => column === 'dateTime' || column === 'expires';

/** One event as a CSV record of its kind's columns, with its newline. */
export function nexmarkRecord(e: NexmarkEvent): string {
  const columns = NEXMARK_COLUMNS[e.kind];
  return csvRecord(nexmarkValues(e).map((v, i) => (isTime(columns[i]!) ? isoTimestamp(v as number) : v)));
}
