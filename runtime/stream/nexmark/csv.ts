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

/** One event as a CSV record of its kind's columns, with its newline. */
export function nexmarkRecord(e: NexmarkEvent): string {
  switch (e.kind) {
    case 'person':
      return csvRecord([e.id, e.name, e.emailAddress, e.creditCard, e.city, e.state, isoTimestamp(e.dateTime), e.extra]);
    case 'auction':
      return csvRecord([
        e.id,
        e.itemName,
        e.description,
        e.initialBid,
        e.reserve,
        isoTimestamp(e.dateTime),
        isoTimestamp(e.expires),
        e.seller,
        e.category,
        e.extra,
      ]);
    case 'bid':
      return csvRecord([e.auction, e.bidder, e.price, e.channel, e.url, isoTimestamp(e.dateTime), e.extra]);
  }
}
