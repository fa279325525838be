// The Nexmark queries' wasm operators (world `nexmark`, samples/nexmark/nexmark.wit). Each takes
// an operator input frame (WOI1) with one row batch (WRB1) and returns a row batch; Process
// operators (q3join, q4final, q5hottest, q8join) keep their state in the host's keyed state.
// Column orders are those of samples/nexmark/graphs.ts.
import { RowBatchReader, RowBatchWriter, COL_I64, COL_F64, COL_UTF8, COL_TIMESTAMP } from '../../../kernels/row-batch';
import { readInputFrame } from '../../../kernels/kv-batch';
import { returnOk, returnErr, freeResult } from '../../../kernels/cabi';
import { ByteBuffer } from '../../../kernels/byte-buffer';
import {
  setKey,
  valueGet,
  valueSet,
  clearState,
  listAdd,
  listGet,
  freeList,
  mapPut,
  mapGet,
  mapRemove,
  registerTimer,
  SCRATCH,
} from '../../../kernels/keyed-state';
import { Q0, Q1, Q2, Q3, Q4, Q5, Q7, Q8, Q11 } from '../build/graphs';

export { cabi_realloc } from '../../../kernels/cabi';

const PORT_TIMERS: u32 = 2;

/** `configure(args)`: the job graph of `query=qN` among `key=value` lines. */
export function configure(ptr: usize, len: usize): usize {
  const lines = String.UTF8.decodeUnsafe(ptr, len).split('\n');
  let query = '';
  for (let i = 0; i < lines.length; i++) if (lines[i].startsWith('query=')) query = lines[i].substring(6);
  let g: StaticArray<u8> | null = null;
  if (query == 'q0') g = Q0;
  else if (query == 'q1') g = Q1;
  else if (query == 'q2') g = Q2;
  else if (query == 'q3') g = Q3;
  else if (query == 'q4') g = Q4;
  else if (query == 'q5') g = Q5;
  else if (query == 'q7') g = Q7;
  else if (query == 'q8') g = Q8;
  else if (query == 'q11') g = Q11;
  if (g == null) {
    const what = query.length == 0 ? 'no query given' : `unknown query "${query}"`;
    return returnErr(`${what}: pass --arg query=qN with N one of 0, 1, 2, 3, 4, 5, 7, 8, 11`);
  }
  const n = <usize>g.length;
  const out = heap.alloc(n);
  memory.copy(out, changetype<usize>(g), n);
  return returnOk(out, n);
}
export function cabi_post_configure(retptr: usize): void {
  freeResult(retptr);
}

/** The frame's port (0, 1: elements of that input; 2: fired timers) and its row batch. */
class Input {
  port: u32 = 0;
  batch: RowBatchReader | null = null;
  error: string | null = null;
}

function input(ptr: usize, len: usize): Input {
  const r = new Input();
  const f = readInputFrame(ptr, len);
  if (f.error != null) {
    r.error = f.error;
    return r;
  }
  if (f.count != 1) {
    r.error = 'a stream operator takes exactly one row batch';
    return r;
  }
  r.port = load<u32>(ptr, 12);
  const b = new RowBatchReader(f.inputPtr(0), f.inputLen(0));
  if (b.error != null) r.error = b.error;
  else r.batch = b;
  return r;
}

/**
 * Runs `each` on every row of the input batch with a writer of `types` (`rowsHint` 0: as many
 * rows as the input) and returns the written batch, or the frame's error.
 */
function eachRow(
  ptr: usize,
  len: usize,
  types: StaticArray<u8>,
  rowsHint: u32,
  each: (i: Input, b: RowBatchReader, r: u32, w: RowBatchWriter) => void,
): usize {
  const i = input(ptr, len);
  if (i.error != null) return returnErr(i.error!);
  const b = i.batch!;
  const w = new RowBatchWriter(types, rowsHint == 0 ? b.rows : rowsHint);
  for (let r: u32 = 0; r < b.rows; r++) each(i, b, r, w);
  const p = w.finish();
  return returnOk(p, w.len);
}

function types2(a: u8, b: u8): StaticArray<u8> {
  const t = new StaticArray<u8>(2);
  t[0] = a;
  t[1] = b;
  return t;
}

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

/** A one-column projection of an i64 column. */
function projectOne(ptr: usize, len: usize, column: u32): usize {
  const i = input(ptr, len);
  if (i.error != null) return returnErr(i.error!);
  const b = i.batch!;
  const t = new StaticArray<u8>(1);
  t[0] = COL_I64;
  const w = new RowBatchWriter(t, b.rows);
  for (let r: u32 = 0; r < b.rows; r++) {
    w.row(b.timestamp(r));
    w.i64(b.i64(column, r));
  }
  const out = w.finish();
  return returnOk(out, w.len);
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

/** Appends string (c, r) behind a u32 length. */
function putStr(buf: ByteBuffer, b: RowBatchReader, c: u32, r: u32): void {
  const n = b.strLen(c, r);
  buf.writeU32(<u32>n);
  buf.writeBytes(b.strPtr(c, r), n);
}

const Q3_OUT: StaticArray<u8> = [COL_UTF8, COL_UTF8, COL_UTF8, COL_I64];

/** Writes name, city, state (u32-length-prefixed, as `putStr` stored them) and the auction id. */
function emitSeller(w: RowBatchWriter, person: usize, ts: i64, auction: i64): void {
  w.row(ts);
  let at = person;
  for (let k = 0; k < 3; k++) {
    const n = <usize>load<u32>(at);
    w.bytes(at + 4, n);
    at += 4 + n;
  }
  w.i64(auction);
}

/**
 * q3: keyed by seller (port 0: seller, id of category-10 auctions) and person id (port 1: id,
 * name, city, state). State 0 (value): the person's name, city and state; state 1 (list): ids of
 * auctions seen before their seller.
 */
export function q3join(ptr: usize, len: usize): usize {
  return eachRow(ptr, len, Q3_OUT, 16, (i: Input, b: RowBatchReader, r: u32, w: RowBatchWriter): void => {
    setKey(r);
    if (i.port == 0) {
      const person = valueGet(0);
      if (person.present) {
        emitSeller(w, person.ptr, b.timestamp(r), b.i64(1, r));
        person.free();
      } else {
        store<i64>(SCRATCH, b.i64(1, r));
        listAdd(1, SCRATCH, 8);
      }
    } else if (i.port == 1) {
      const buf = new ByteBuffer(64);
      putStr(buf, b, 1, r);
      putStr(buf, b, 2, r);
      putStr(buf, b, 3, r);
      valueSet(0, buf.ptr, buf.len);
      const waiting = listGet(1);
      for (let k = 0; k < waiting.length; k++) emitSeller(w, buf.ptr, b.timestamp(r), waiting[k].i64(0));
      freeList(waiting);
      clearState(1);
      buf.dispose();
    }
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

/** Raises state 1 (the auction's highest price) to `price`. */
function raiseMax(price: i64): void {
  const m = valueGet(1);
  const higher = !m.present || price > m.i64(0);
  m.free();
  if (higher) {
    store<i64>(SCRATCH, price);
    valueSet(1, SCRATCH, 8);
  }
}

/**
 * q4: keyed by auction id; port 0: auctions (id, category, dateTime, expires), port 1: bids
 * (auction, price, dateTime). State 0: the auction's category, dateTime, expires; state 1: the
 * highest price of a bid within [dateTime, expires]; state 2: bids seen before their auction.
 * A timer at `expires` emits category, final price.
 */
export function q4final(ptr: usize, len: usize): usize {
  return eachRow(ptr, len, types2(COL_I64, COL_I64), 16, (i: Input, b: RowBatchReader, r: u32, w: RowBatchWriter): void => {
    setKey(r);
    if (i.port == 0) {
      const start = b.i64(2, r);
      const expires = b.i64(3, r);
      store<i64>(SCRATCH, b.i64(1, r));
      store<i64>(SCRATCH, start, 8);
      store<i64>(SCRATCH, expires, 16);
      valueSet(0, SCRATCH, 24);
      const early = listGet(2);
      for (let k = 0; k < early.length; k++) {
        const t = early[k].i64(8);
        if (t >= start && t <= expires) raiseMax(early[k].i64(0));
      }
      freeList(early);
      clearState(2);
      registerTimer(expires);
    } else if (i.port == 1) {
      const price = b.i64(1, r);
      const t = b.i64(2, r);
      const a = valueGet(0);
      if (a.present) {
        if (t >= a.i64(8) && t <= a.i64(16)) raiseMax(price);
        a.free();
      } else {
        store<i64>(SCRATCH, price);
        store<i64>(SCRATCH, t, 8);
        listAdd(2, SCRATCH, 16);
      }
    } else if (i.port == PORT_TIMERS) {
      const a = valueGet(0);
      const m = valueGet(1);
      if (a.present && m.present) {
        w.row(b.timestamp(r));
        w.i64(a.i64(0));
        w.i64(m.i64(0));
      }
      a.free();
      m.free();
      clearState(0);
      clearState(1);
      clearState(2);
    }
  });
}

/**
 * q5: keyed by window start; port 0: auction, num, window_start, window_end of each count. State
 * 0 (list): the window's (auction, num). A timer at the window's last millisecond emits the
 * auctions with the highest count.
 */
export function q5hottest(ptr: usize, len: usize): usize {
  return eachRow(ptr, len, types2(COL_I64, COL_I64), 16, (i: Input, b: RowBatchReader, r: u32, w: RowBatchWriter): void => {
    setKey(r);
    if (i.port == 0) {
      store<i64>(SCRATCH, b.i64(0, r));
      store<i64>(SCRATCH, b.i64(1, r), 8);
      listAdd(0, SCRATCH, 16);
      registerTimer(b.timestamp(r));
    } else if (i.port == PORT_TIMERS) {
      const counts = listGet(0);
      let max: i64 = 0;
      for (let k = 0; k < counts.length; k++) if (counts[k].i64(8) > max) max = counts[k].i64(8);
      for (let k = 0; k < counts.length; k++) {
        if (counts[k].i64(8) != max) continue;
        w.row(b.timestamp(r));
        w.i64(counts[k].i64(0));
        w.i64(max);
      }
      freeList(counts);
      clearState(0);
    }
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

const WINDOW_MS: i64 = 10_000;
const Q8_OUT: StaticArray<u8> = [COL_I64, COL_UTF8, COL_TIMESTAMP];

/**
 * q8: keyed by person id; port 0: persons (id, name), port 1: sellers (seller). State 0 (map):
 * 10-second window start → name; state 1 (map): window start → (seen). A timer at the window's
 * last millisecond emits id, name, window start when the person both joined and sold in it.
 */
export function q8join(ptr: usize, len: usize): usize {
  return eachRow(ptr, len, Q8_OUT, 16, (i: Input, b: RowBatchReader, r: u32, w: RowBatchWriter): void => {
    setKey(r);
    if (i.port == 0 || i.port == 1) {
      const t = b.timestamp(r);
      const start = t - (t % WINDOW_MS);
      store<i64>(SCRATCH, start);
      if (i.port == 0) mapPut(0, SCRATCH, 8, b.strPtr(1, r), b.strLen(1, r));
      else mapPut(1, SCRATCH, 8, SCRATCH + 8, 0);
      registerTimer(start + WINDOW_MS - 1);
    } else if (i.port == PORT_TIMERS) {
      const start = b.timestamp(r) - WINDOW_MS + 1;
      store<i64>(SCRATCH, start);
      const name = mapGet(0, SCRATCH, 8);
      const sold = mapGet(1, SCRATCH, 8);
      if (name.present && sold.present) {
        w.row(b.timestamp(r));
        w.i64(b.i64(0, r));
        w.bytes(name.ptr, name.len);
        w.i64(start);
      }
      name.free();
      sold.free();
      mapRemove(0, SCRATCH, 8);
      mapRemove(1, SCRATCH, 8);
    }
  });
}

export function cabi_post_q0project(retptr: usize): void {
  freeResult(retptr);
}
export function cabi_post_q1euros(retptr: usize): void {
  freeResult(retptr);
}
export function cabi_post_q2select(retptr: usize): void {
  freeResult(retptr);
}
export function cabi_post_q3auctions(retptr: usize): void {
  freeResult(retptr);
}
export function cabi_post_q3persons(retptr: usize): void {
  freeResult(retptr);
}
export function cabi_post_q3join(retptr: usize): void {
  freeResult(retptr);
}
export function cabi_post_q4auctions(retptr: usize): void {
  freeResult(retptr);
}
export function cabi_post_q4bids(retptr: usize): void {
  freeResult(retptr);
}
export function cabi_post_q4final(retptr: usize): void {
  freeResult(retptr);
}
export function cabi_post_q5auctions(retptr: usize): void {
  freeResult(retptr);
}
export function cabi_post_q5hottest(retptr: usize): void {
  freeResult(retptr);
}
export function cabi_post_q8persons(retptr: usize): void {
  freeResult(retptr);
}
export function cabi_post_q8sellers(retptr: usize): void {
  freeResult(retptr);
}
export function cabi_post_q8join(retptr: usize): void {
  freeResult(retptr);
}
export function cabi_post_q11bidders(retptr: usize): void {
  freeResult(retptr);
}
