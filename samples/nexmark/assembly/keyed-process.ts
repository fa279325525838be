// The Nexmark queries' keyed process functions (q3join, q4final, q5hottest, q8join): state in
// the host's keyed state (kernels/keyed-state.ts), timers on port PORT_TIMERS.
import { RowBatchReader, RowBatchWriter, COL_I64, COL_UTF8, COL_TIMESTAMP } from '../../../kernels/row-batch';
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
import { Input, PORT_TIMERS, eachRow, types2 } from './operator-input';

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
