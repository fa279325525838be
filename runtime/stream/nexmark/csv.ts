/**
 * Nexmark events as CSV records with the reference field names (the columns of the `person`,
 * `auction` and `bid` tables of nexmark/nexmark's `ddl_gen.sql`), in the layout of
 * `wrt nexmark generate`: times ISO-8601 UTC with milliseconds, prices integers (cents).
 */
import { csvRecord, isoTimestamp } from '../csv.js';
import type { NexmarkEvent, NexmarkEventKind } from './generator.js';

const isTime = (column: string): boolean => column === 'dateTime' || column === 'expires';

export const NEXMARK_COLUMNS: Record<NexmarkEventKind, readonly string[]> = {
  person: ['id', 'name', 'emailAddress', 'creditCard', 'city', 'state', 'dateTime', 'extra'],
  auction: ['id', 'itemName', 'description', 'initialBid', 'reserve', 'dateTime', 'expires', 'seller', 'category', 'extra'],
  bid: ['auction', 'bidder', 'price', 'channel', 'url', 'dateTime', 'extra'],
};

/**
 * The whole stream in one row type, as Flink's Nexmark declares its `datagen` table (`event_type`
 * 0 person, 1 auction, 2 bid, then a person, an auction and a bid row of which only the event's own
 * is filled): here flat, `event_type` then each table's columns prefixed `person_`, `auction_`,
 * `bid_`; the columns of the other two tables hold 0 and '' (a row batch has no nulls).
 */
export const NEXMARK_ALL_COLUMNS: readonly string[] = [
  'event_type',
  ...(['person', 'auction', 'bid'] as const).flatMap((t) => NEXMARK_COLUMNS[t].map((c) => `${t}_${c}`)),
];

/** `event_type` of each kind (Flink Nexmark's codes). */
export const NEXMARK_EVENT_TYPES: Record<NexmarkEventKind, number> = { person: 0, auction: 1, bid: 2 };

/** True when field `c` of a table (unprefixed, e.g. `extra`) holds a string; the others hold numbers and times. */
export const isStringField = (c: string): boolean =>
  !['id', 'initialBid', 'reserve', 'seller', 'category', 'auction', 'bidder', 'price'].includes(c) && !isTime(c);

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

/** One event as a CSV record of its kind's columns, with its newline. */
export function nexmarkRecord(e: NexmarkEvent): string {
  const columns = NEXMARK_COLUMNS[e.kind];
  return csvRecord(nexmarkValues(e).map((v, i) => (isTime(columns[i]!) ? isoTimestamp(v as number) : v)));
}
