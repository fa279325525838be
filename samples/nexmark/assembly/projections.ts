// The Nexmark queries' stateless operators: projections and filters of one row a row.
// Column orders are those of samples/nexmark/graphs.ts. The operators that read the source take
// its wide rows (EVENTS: event_type, then person, auction and bid columns) and keep the rows of
// their table, as Flink Nexmark's views `person`, `auction` and `bid` do (WHERE event_type = …).
import { RowBatchReader, RowBatchWriter, COL_I64, COL_F64, COL_UTF8, COL_TIMESTAMP } from '../../../kernels/row-batch';
import { Input, eachRow, projectOne, types2, PERSON, AUCTION, BID, EVENT_PERSON, EVENT_AUCTION, EVENT_BID } from './operator-input';

// ---- bid (from column BID): 0 auction, 1 bidder, 2 price, 3 channel, 4 url, 5 dateTime, 6 extra

const BID_OUT: StaticArray<u8> = [COL_I64, COL_I64, COL_I64, COL_TIMESTAMP, COL_UTF8];

/** q0 (and q7's bids): auction, bidder, price, dateTime, extra. */
export function q0project(ptr: usize, len: usize): usize {
  return eachRow(ptr, len, BID_OUT, 0, (i: Input, b: RowBatchReader, r: u32, w: RowBatchWriter): void => {
    if (b.i64(0, r) != EVENT_BID) return;
    w.row(b.timestamp(r));
    w.i64(b.i64(BID + 0, r));
    w.i64(b.i64(BID + 1, r));
    w.i64(b.i64(BID + 2, r));
    w.i64(b.i64(BID + 5, r));
    w.bytes(b.strPtr(BID + 6, r), b.strLen(BID + 6, r));
  });
}

const EUROS_OUT: StaticArray<u8> = [COL_I64, COL_I64, COL_F64, COL_TIMESTAMP, COL_UTF8];

/** q1: the price in euros (0.908 × dollars). */
export function q1euros(ptr: usize, len: usize): usize {
  return eachRow(ptr, len, EUROS_OUT, 0, (i: Input, b: RowBatchReader, r: u32, w: RowBatchWriter): void => {
    if (b.i64(0, r) != EVENT_BID) return;
    w.row(b.timestamp(r));
    w.i64(b.i64(BID + 0, r));
    w.i64(b.i64(BID + 1, r));
    w.f64(0.908 * <f64>b.i64(BID + 2, r));
    w.i64(b.i64(BID + 5, r));
    w.bytes(b.strPtr(BID + 6, r), b.strLen(BID + 6, r));
  });
}

/** q2: bids on auctions whose id is a multiple of 123: auction, price. */
export function q2select(ptr: usize, len: usize): usize {
  return eachRow(ptr, len, types2(COL_I64, COL_I64), 0, (i: Input, b: RowBatchReader, r: u32, w: RowBatchWriter): void => {
    if (b.i64(0, r) != EVENT_BID) return;
    const auction = b.i64(BID + 0, r);
    if (auction % 123 != 0) return;
    w.row(b.timestamp(r));
    w.i64(auction);
    w.i64(b.i64(BID + 2, r));
  });
}

/** q5: the auction of every bid. */
export function q5auctions(ptr: usize, len: usize): usize {
  return projectOne(ptr, len, EVENT_BID, BID + 0);
}
/** q11: the bidder of every bid. */
export function q11bidders(ptr: usize, len: usize): usize {
  return projectOne(ptr, len, EVENT_BID, BID + 1);
}

// ---- auction (from column AUCTION): 0 id, 1 itemName, 2 description, 3 initialBid, 4 reserve, 5 dateTime, 6 expires,
//      7 seller, 8 category, 9 extra; person (from column PERSON): 0 id, 1 name, 2 emailAddress, 3 creditCard,
//      4 city, 5 state, 6 dateTime, 7 extra

/** q3: auctions of category 10: seller, id. */
export function q3auctions(ptr: usize, len: usize): usize {
  return eachRow(ptr, len, types2(COL_I64, COL_I64), 0, (i: Input, b: RowBatchReader, r: u32, w: RowBatchWriter): void => {
    if (b.i64(0, r) != EVENT_AUCTION) return;
    if (b.i64(AUCTION + 8, r) != 10) return;
    w.row(b.timestamp(r));
    w.i64(b.i64(AUCTION + 7, r));
    w.i64(b.i64(AUCTION + 0, r));
  });
}

const PERSON_OUT: StaticArray<u8> = [COL_I64, COL_UTF8, COL_UTF8, COL_UTF8];

@inline function isState(p: usize, n: usize, a: u8, b: u8): bool {
  return n == 2 && load<u8>(p) == a && load<u8>(p, 1) == b;
}

/** q3: persons in Oregon, Idaho or California: id, name, city, state. */
export function q3persons(ptr: usize, len: usize): usize {
  return eachRow(ptr, len, PERSON_OUT, 0, (i: Input, b: RowBatchReader, r: u32, w: RowBatchWriter): void => {
    if (b.i64(0, r) != EVENT_PERSON) return;
    const p = b.strPtr(PERSON + 5, r);
    const n = b.strLen(PERSON + 5, r);
    if (!(isState(p, n, 0x4f, 0x52) || isState(p, n, 0x49, 0x44) || isState(p, n, 0x43, 0x41))) return; // OR, ID, CA
    w.row(b.timestamp(r));
    w.i64(b.i64(PERSON + 0, r));
    w.bytes(b.strPtr(PERSON + 1, r), b.strLen(PERSON + 1, r));
    w.bytes(b.strPtr(PERSON + 4, r), b.strLen(PERSON + 4, r));
    w.bytes(p, n);
  });
}

const Q4_AUCTION_OUT: StaticArray<u8> = [COL_I64, COL_I64, COL_TIMESTAMP, COL_TIMESTAMP];
const Q4_BID_OUT: StaticArray<u8> = [COL_I64, COL_I64, COL_TIMESTAMP];

/** q4: id, category, dateTime, expires of every auction. */
export function q4auctions(ptr: usize, len: usize): usize {
  return eachRow(ptr, len, Q4_AUCTION_OUT, 0, (i: Input, b: RowBatchReader, r: u32, w: RowBatchWriter): void => {
    if (b.i64(0, r) != EVENT_AUCTION) return;
    w.row(b.timestamp(r));
    w.i64(b.i64(AUCTION + 0, r));
    w.i64(b.i64(AUCTION + 8, r));
    w.i64(b.i64(AUCTION + 5, r));
    w.i64(b.i64(AUCTION + 6, r));
  });
}

/** q4: auction, price, dateTime of every bid. */
export function q4bids(ptr: usize, len: usize): usize {
  return eachRow(ptr, len, Q4_BID_OUT, 0, (i: Input, b: RowBatchReader, r: u32, w: RowBatchWriter): void => {
    if (b.i64(0, r) != EVENT_BID) return;
    w.row(b.timestamp(r));
    w.i64(b.i64(BID + 0, r));
    w.i64(b.i64(BID + 2, r));
    w.i64(b.i64(BID + 5, r));
  });
}

/** q8: id, name of every person. */
export function q8persons(ptr: usize, len: usize): usize {
  return eachRow(ptr, len, types2(COL_I64, COL_UTF8), 0, (i: Input, b: RowBatchReader, r: u32, w: RowBatchWriter): void => {
    if (b.i64(0, r) != EVENT_PERSON) return;
    w.row(b.timestamp(r));
    w.i64(b.i64(PERSON + 0, r));
    w.bytes(b.strPtr(PERSON + 1, r), b.strLen(PERSON + 1, r));
  });
}

/** q8: the seller of every auction. */
export function q8sellers(ptr: usize, len: usize): usize {
  return projectOne(ptr, len, EVENT_AUCTION, AUCTION + 7);
}
