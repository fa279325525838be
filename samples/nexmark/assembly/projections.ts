// The Nexmark queries' stateless operators: projections and filters of one row a row.
// Column orders are those of samples/nexmark/graphs.ts.
import { RowBatchReader, RowBatchWriter, COL_I64, COL_F64, COL_UTF8, COL_TIMESTAMP } from '../../../kernels/row-batch';
import { Input, eachRow, projectOne, types2 } from './operator-input';

// ---- bid: 0 auction, 1 bidder, 2 price, 3 channel, 4 url, 5 dateTime, 6 extra

const BID_OUT: StaticArray<u8> = [COL_I64, COL_I64, COL_I64, COL_TIMESTAMP, COL_UTF8];

/** q0 (and q7's bids): auction, bidder, price, dateTime, extra. */
export function q0project(ptr: usize, len: usize): usize {
  return eachRow(ptr, len, BID_OUT, 0, (i: Input, b: RowBatchReader, r: u32, w: RowBatchWriter): void => {
    w.row(b.timestamp(r));
    w.i64(b.i64(0, r));
    w.i64(b.i64(1, r));
    w.i64(b.i64(2, r));
    w.i64(b.i64(5, r));
    w.bytes(b.strPtr(6, r), b.strLen(6, r));
  });
}

const EUROS_OUT: StaticArray<u8> = [COL_I64, COL_I64, COL_F64, COL_TIMESTAMP, COL_UTF8];

/** q1: the price in euros (0.908 × dollars). */
export function q1euros(ptr: usize, len: usize): usize {
  return eachRow(ptr, len, EUROS_OUT, 0, (i: Input, b: RowBatchReader, r: u32, w: RowBatchWriter): void => {
    w.row(b.timestamp(r));
    w.i64(b.i64(0, r));
    w.i64(b.i64(1, r));
    w.f64(0.908 * <f64>b.i64(2, r));
    w.i64(b.i64(5, r));
    w.bytes(b.strPtr(6, r), b.strLen(6, r));
  });
}

/** q2: bids on auctions whose id is a multiple of 123: auction, price. */
export function q2select(ptr: usize, len: usize): usize {
  return eachRow(ptr, len, types2(COL_I64, COL_I64), 0, (i: Input, b: RowBatchReader, r: u32, w: RowBatchWriter): void => {
    const auction = b.i64(0, r);
    if (auction % 123 != 0) return;
    w.row(b.timestamp(r));
    w.i64(auction);
    w.i64(b.i64(2, r));
  });
}

export function q5auctions(ptr: usize, len: usize): usize {
  return projectOne(ptr, len, 0);
}
export function q11bidders(ptr: usize, len: usize): usize {
  return projectOne(ptr, len, 1);
}

// ---- auction: 0 id, 1 itemName, 2 description, 3 initialBid, 4 reserve, 5 dateTime, 6 expires,
//      7 seller, 8 category, 9 extra; person: 0 id, 1 name, 2 emailAddress, 3 creditCard,
//      4 city, 5 state, 6 dateTime, 7 extra

/** q3: auctions of category 10: seller, id. */
export function q3auctions(ptr: usize, len: usize): usize {
  return eachRow(ptr, len, types2(COL_I64, COL_I64), 0, (i: Input, b: RowBatchReader, r: u32, w: RowBatchWriter): void => {
    if (b.i64(8, r) != 10) return;
    w.row(b.timestamp(r));
    w.i64(b.i64(7, r));
    w.i64(b.i64(0, r));
  });
}

const PERSON_OUT: StaticArray<u8> = [COL_I64, COL_UTF8, COL_UTF8, COL_UTF8];

@inline function isState(p: usize, n: usize, a: u8, b: u8): bool {
  return n == 2 && load<u8>(p) == a && load<u8>(p, 1) == b;
}

/** q3: persons in Oregon, Idaho or California: id, name, city, state. */
export function q3persons(ptr: usize, len: usize): usize {
  return eachRow(ptr, len, PERSON_OUT, 0, (i: Input, b: RowBatchReader, r: u32, w: RowBatchWriter): void => {
    const p = b.strPtr(5, r);
    const n = b.strLen(5, r);
    if (!(isState(p, n, 0x4f, 0x52) || isState(p, n, 0x49, 0x44) || isState(p, n, 0x43, 0x41))) return; // OR, ID, CA
    w.row(b.timestamp(r));
    w.i64(b.i64(0, r));
    w.bytes(b.strPtr(1, r), b.strLen(1, r));
    w.bytes(b.strPtr(4, r), b.strLen(4, r));
    w.bytes(p, n);
  });
}

const Q4_AUCTION_OUT: StaticArray<u8> = [COL_I64, COL_I64, COL_TIMESTAMP, COL_TIMESTAMP];
const Q4_BID_OUT: StaticArray<u8> = [COL_I64, COL_I64, COL_TIMESTAMP];

/** q4: id, category, dateTime, expires of every auction. */
export function q4auctions(ptr: usize, len: usize): usize {
  return eachRow(ptr, len, Q4_AUCTION_OUT, 0, (i: Input, b: RowBatchReader, r: u32, w: RowBatchWriter): void => {
    w.row(b.timestamp(r));
    w.i64(b.i64(0, r));
    w.i64(b.i64(8, r));
    w.i64(b.i64(5, r));
    w.i64(b.i64(6, r));
  });
}

/** q4: auction, price, dateTime of every bid. */
export function q4bids(ptr: usize, len: usize): usize {
  return eachRow(ptr, len, Q4_BID_OUT, 0, (i: Input, b: RowBatchReader, r: u32, w: RowBatchWriter): void => {
    w.row(b.timestamp(r));
    w.i64(b.i64(0, r));
    w.i64(b.i64(2, r));
    w.i64(b.i64(5, r));
  });
}

/** q8: id, name of every person. */
export function q8persons(ptr: usize, len: usize): usize {
  return eachRow(ptr, len, types2(COL_I64, COL_UTF8), 0, (i: Input, b: RowBatchReader, r: u32, w: RowBatchWriter): void => {
    w.row(b.timestamp(r));
    w.i64(b.i64(0, r));
    w.bytes(b.strPtr(1, r), b.strLen(1, r));
  });
}

/** q8: the seller of every auction. */
export function q8sellers(ptr: usize, len: usize): usize {
  return projectOne(ptr, len, 7);
}
