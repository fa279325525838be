// The Nexmark event generator as WebAssembly, for the `nexmark` stream source: the events of
// runtime/stream/nexmark/generator.ts bit for bit (the same java.util.Random draws in the same
// order, the same formulas; nexmark-generator.test.ts compares every cell of thousands of events),
// written straight into a WRB1 row batch (runtime/stream/row-batch.ts) in this module's memory.
// The 48-bit LCG of java.util.Random is one i64 multiply here; TypeScript has to split it.
//
// Built by scripts/build-runtime-wasm.mjs (stub runtime: nothing is allocated after start) and
// embedded in runtime/stream/nexmark/build/generator-wasm.ts. The host (wasm-generator.ts) calls
// `configure`, `column` for each column, then `batch` for each batch, and copies the batch out of
// `output()`. The reference's constants and id formulas are in kernels/nexmark-formulas.ts.
//
// Memory, from __heap_base: the channel table (CHANNEL_SLOTS × 3 i32: text offset, name length,
// URL length; name length -1 until made), the channel text (≤ CHANNEL_TEXT bytes), then the batch.

import { nextInt, next, randomState, round, setRandomState, setSeed } from './java-random';
import {
  CHANNELS_NUMBER,
  FIRST_AUCTION_ID,
  FIRST_CATEGORY_ID,
  FIRST_NAMES,
  FIRST_PERSON_ID,
  HOT_BATCH,
  HOT_CHANNELS,
  LAST_NAMES,
  NUM_IN_FLIGHT_AUCTIONS,
  TOTAL_PROPORTION,
  TWO_48,
  US_CITIES,
  US_STATES,
  kindOf,
  lastBase0AuctionId,
  lastBase0PersonId,
  nextBase0AuctionId,
  nextBase0PersonId,
  nextPrice,
  reverseBits32,
} from './nexmark-formulas';

// ---- configuration -------------------------------------------------------------------------------

let seedOffset: i64 = 0;
let baseTimeMs: f64 = 0;
let eventsPerSecond: f64 = 10_000;
/** 0 person, 1 auction, 2 bid: the only kind the source makes; 3: all kinds (the wide layout). */
let table: i32 = 3;
let columns: i32 = 0;
/** Each column's WRB1 type code (0 I64, 1 F64, 2 Utf8, 3 Timestamp), at KINDS + c. */
const KINDS: usize = memory.data(64);
/** The first column of each kind's cells: in the wide layout column 0 is `event_type`. */
let personBase: i32 = 0;
let auctionBase: i32 = 0;
let bidBase: i32 = 0;

const CHANNEL_SLOTS: i32 = CHANNELS_NUMBER + 4;
const CHANNEL_TEXT: usize = <usize>CHANNEL_SLOTS * 128;
let channelTable: usize = 0;
let channelText: usize = 0;
let channelTextUsed: usize = 0;
let out: usize = 0;
let outCapacity: usize = 0;

/** Grows memory so that [0, end) is addressable. */
function reserve(end: usize): void {
  const have = <usize>memory.size() << 16;
  if (end > have && memory.grow(<i32>((end - have + 0xffff) >> 16)) < 0) unreachable();
}

/**
 * Sets the stream (`seedOffset`: the generator's seed offset, below 2^48; event time of event 0 in
 * ms; events per second of event time), the table (0 person, 1 auction, 2 bid, 3 all) and the
 * number of columns (≤ 64). Forgets the channels made so far.
 */
export function configure(offset: f64, baseTime: f64, rate: f64, kind: i32, columnCount: i32): void {
  seedOffset = <i64>offset;
  baseTimeMs = baseTime;
  eventsPerSecond = rate;
  table = kind;
  columns = columnCount;
  personBase = kind == 3 ? 1 : 0;
  auctionBase = kind == 3 ? 9 : 0;
  bidBase = kind == 3 ? 19 : 0;
  channelTable = (__heap_base + 7) & ~7;
  channelText = channelTable + <usize>CHANNEL_SLOTS * 12;
  channelTextUsed = 0;
  out = channelText + CHANNEL_TEXT;
  outCapacity = 0;
  reserve(out);
  for (let k = 0; k < CHANNEL_SLOTS; k++) store<i32>(channelTable + <usize>k * 12, -1, 4);
}

/** Column `c`'s WRB1 type code. */
export function column(c: i32, code: i32): void {
  store<u8>(KINDS + <usize>c, <u8>code);
}

// ---- the batch being written ---------------------------------------------------------------------

let rowsAt: usize = 0; // the timestamp column
let columnsAt: usize = 0; // column 0; column c at columnsAt + c · rows · 8
let rowCount: usize = 0;
let heapAt: usize = 0;
let heapUsed: usize = 0;
let lastTime: f64 = 0;
let next_id: f64 = 0;

@inline function cellAt(c: i32, r: i32): usize {
  return columnsAt + (<usize>c * rowCount + <usize>r) * 8;
}

/** A numeric cell: an integer, or its double in an F64 column. */
@inline function num(c: i32, r: i32, v: i64): void {
  if (load<u8>(KINDS + <usize>c) == 1) store<f64>(cellAt(c, r), <f64>v);
  else store<i64>(cellAt(c, r), v);
}

/** String cell (c, r): the heap bytes from heap offset `from` to the heap's end. */
@inline function cellFrom(c: i32, r: i32, from: usize): void {
  const at = cellAt(c, r);
  store<u32>(at, <u32>from);
  store<u32>(at, <u32>(heapUsed - from), 4);
}

@inline function byte(b: i32): void {
  store<u8>(heapAt + heapUsed++, <u8>b);
}

function text(s: string): void {
  for (let i = 0; i < s.length; i++) byte(s.charCodeAt(i));
}

/** The decimal digits of `v` ≥ 0, at least `width` of them (zero-padded). */
function decimal(v: i64, width: i32): void {
  let digits = 1;
  for (let p: i64 = 10; p <= v && digits < 19; p *= 10) digits++;
  if (digits < width) digits = width;
  for (let i = digits - 1; i >= 0; i--) {
    store<u8>(heapAt + heapUsed + <usize>i, <u8>(48 + <i32>(v % 10)));
    v /= 10;
  }
  heapUsed += <usize>digits;
}

/** Beam's `nextString`: 3..maxLength-1 letters, about one `space` in 13; trimmed when `space` is ' '. */
function nextString(maxLength: i32, space: i32): void {
  const length = 3 + nextInt(maxLength - 3);
  const start = heapUsed;
  for (let i = 0; i < length; i++) byte(nextInt(13) == 0 ? space : 97 + nextInt(26));
  if (space != 32) return;
  let from = start;
  let to = heapUsed;
  while (from < to && load<u8>(heapAt + from) == 32) from++;
  while (to > from && load<u8>(heapAt + to - 1) == 32) to--;
  if (from > start) memory.copy(heapAt + start, heapAt + from, to - from);
  heapUsed = start + (to - from);
}

/** Beam's `nextExtra`: padding that brings the event's size to `average` bytes on average. */
function extra(currentSize: i32, average: i32): void {
  if (currentSize > average) return;
  const desired = average - currentSize;
  const delta = <i32>round(<f64>desired * 0.2);
  const length = desired - delta + (delta == 0 ? 0 : nextInt(2 * delta));
  // Beam's nextExactString: six letters from each nextInt(), Java's truncating % and /.
  let rnd = 0;
  let n = 0;
  for (let i = 0; i < length; i++) {
    if (n == 0) {
      rnd = next(32);
      n = 6;
    }
    byte(97 + rnd % 26);
    rnd /= 26;
    n--;
  }
}

@inline function timestamp(id: i64): f64 {
  return baseTimeMs + Math.floor(Math.floor((<f64>id * 1_000_000) / eventsPerSecond) / 1000);
}

function person(r: i32, id: i64, time: f64): void {
  const b = personBase;
  num(b, r, lastBase0PersonId(id) + FIRST_PERSON_ID);
  let from = heapUsed;
  text(FIRST_NAMES[nextInt(FIRST_NAMES.length)]);
  byte(32);
  text(LAST_NAMES[nextInt(LAST_NAMES.length)]);
  cellFrom(b + 1, r, from);
  let size = <i32>(heapUsed - from);
  from = heapUsed;
  nextString(7, 32);
  byte(64);
  nextString(5, 32);
  text('.com');
  cellFrom(b + 2, r, from);
  size += <i32>(heapUsed - from);
  from = heapUsed;
  for (let i = 0; i < 4; i++) {
    if (i > 0) byte(32);
    decimal(<i64>nextInt(10000), 4);
  }
  cellFrom(b + 3, r, from);
  size += <i32>(heapUsed - from);
  from = heapUsed;
  text(US_CITIES[nextInt(US_CITIES.length)]);
  cellFrom(b + 4, r, from);
  size += <i32>(heapUsed - from);
  from = heapUsed;
  text(US_STATES[nextInt(US_STATES.length)]);
  cellFrom(b + 5, r, from);
  size += <i32>(heapUsed - from);
  num(b + 6, r, <i64>time);
  from = heapUsed;
  extra(8 + size, 200);
  cellFrom(b + 7, r, from);
}

function auction(r: i32, id: i64, time: f64): void {
  const b = auctionBase;
  const seller =
    (nextInt(4) > 0 ? (lastBase0PersonId(id) / HOT_BATCH) * HOT_BATCH : nextBase0PersonId(id)) + FIRST_PERSON_ID;
  const category = FIRST_CATEGORY_ID + <i64>nextInt(5);
  const initialBid = nextPrice();
  // Auctions last on average as long as it takes to create NUM_IN_FLIGHT_AUCTIONS more.
  const horizonMs = timestamp(id + (NUM_IN_FLIGHT_AUCTIONS * TOTAL_PROPORTION) / 3) - time;
  const expires = <i64>time + 1 + <i64>nextInt(horizonMs * 2 > 1 ? <i32>(horizonMs * 2) : 1);
  let from = heapUsed;
  nextString(20, 32);
  cellFrom(b + 1, r, from);
  let size = <i32>(heapUsed - from);
  from = heapUsed;
  nextString(100, 32);
  cellFrom(b + 2, r, from);
  size += <i32>(heapUsed - from);
  const reservePrice = initialBid + nextPrice();
  num(b, r, lastBase0AuctionId(id) + FIRST_AUCTION_ID);
  num(b + 3, r, initialBid);
  num(b + 4, r, reservePrice);
  num(b + 5, r, <i64>time);
  num(b + 6, r, expires);
  num(b + 7, r, seller);
  num(b + 8, r, category);
  from = heapUsed;
  extra(8 + size + 40, 500);
  cellFrom(b + 9, r, from);
}

/** Writes channel `c`'s name and URL into the channel text (drawn from a generator seeded by (seed, c)). */
function makeChannel(c: i32, slot: usize): void {
  const saved = randomState();
  const savedHeapAt = heapAt;
  const savedHeapUsed = heapUsed;
  heapAt = channelText;
  heapUsed = channelTextUsed;
  if (c < 0) text(HOT_CHANNELS[-1 - c]);
  else {
    text('channel-');
    decimal(<i64>c, 1);
  }
  const nameLength = <i32>(heapUsed - channelTextUsed);
  setSeed((seedOffset + TWO_48 / 2 + <i64>c + 16) % TWO_48);
  text('https://www.nexmark.com/');
  nextString(5, 95);
  byte(47);
  nextString(5, 95);
  byte(47);
  nextString(5, 95);
  text('/item.htm?query=1');
  if (c >= 0 && nextInt(10) > 0) {
    text('&channel_id=');
    const bits = <i64>reverseBits32(c);
    decimal(bits < 0 ? -bits : bits, 1);
  }
  store<i32>(slot, <i32>channelTextUsed);
  store<i32>(slot, nameLength, 4);
  store<i32>(slot, <i32>(heapUsed - channelTextUsed) - nameLength, 8);
  channelTextUsed = heapUsed;
  heapAt = savedHeapAt;
  heapUsed = savedHeapUsed;
  setRandomState(saved);
}

function bid(r: i32, id: i64, time: f64): void {
  const b = bidBase;
  const auctionId =
    (nextInt(2) > 0 ? (lastBase0AuctionId(id) / HOT_BATCH) * HOT_BATCH : nextBase0AuctionId(id)) + FIRST_AUCTION_ID;
  const bidder =
    (nextInt(4) > 0 ? (lastBase0PersonId(id) / HOT_BATCH) * HOT_BATCH + 1 : nextBase0PersonId(id)) + FIRST_PERSON_ID;
  const price = nextPrice();
  const channel = nextInt(2) > 0 ? -1 - nextInt(4) : nextInt(CHANNELS_NUMBER);
  num(b, r, auctionId);
  num(b + 1, r, bidder);
  num(b + 2, r, price);
  const slot = channelTable + <usize>(channel + 4) * 12;
  if (load<i32>(slot, 4) < 0) makeChannel(channel, slot);
  const nameLength = <usize>load<i32>(slot, 4);
  const urlLength = <usize>load<i32>(slot, 8);
  const from = heapUsed;
  memory.copy(heapAt + from, channelText + <usize>load<i32>(slot), nameLength + urlLength);
  heapUsed = from + nameLength;
  cellFrom(b + 3, r, from);
  heapUsed += urlLength;
  cellFrom(b + 4, r, from + nameLength);
  num(b + 5, r, <i64>time);
  const extraFrom = heapUsed;
  extra(32, 100);
  cellFrom(b + 6, r, extraFrom);
}

/** The largest batch an event can make: its cells and at most 1 KiB of strings. */
const EVENT_BYTES: usize = 1024;

/**
 * Writes the next batch: up to `maxRows` events of the table among ids `from`, `from + step`, …
 * below `end` (ids below 2^53). Returns its length in bytes at {@link output} (0: no event in
 * range is of the table); {@link nextId} is the id after the last one looked at and
 * {@link lastTimestamp} the time of the batch's last event.
 */
export function batch(fromId: f64, step: i32, endId: f64, maxRows: i32): i32 {
  const end = <i64>endId;
  const stride = <i64>step;
  // How many rows, and where the ids stop.
  let rows = 0;
  let id = <i64>fromId;
  for (; rows < maxRows && id < end; id += stride) if (table == 3 || kindOf(id) == table) rows++;
  next_id = <f64>id;
  if (rows == 0) return 0;
  rowCount = <usize>rows;
  const typesEnd = <usize>(16 + ((columns + 7) & ~7));
  rowsAt = out + typesEnd;
  columnsAt = rowsAt + rowCount * 8;
  heapAt = columnsAt + <usize>columns * rowCount * 8;
  const need = heapAt - out + rowCount * EVENT_BYTES;
  if (need > outCapacity) {
    reserve(out + need);
    outCapacity = need;
  }
  memory.fill(out, 0, heapAt - out);
  heapUsed = 0;
  let r = 0;
  for (id = <i64>fromId; r < rows; id += stride) {
    const kind = kindOf(id);
    if (table != 3 && kind != table) continue;
    const time = timestamp(id);
    store<i64>(rowsAt + <usize>r * 8, <i64>time);
    setSeed((id + seedOffset) % TWO_48);
    if (table == 3) num(0, r, <i64>kind);
    if (kind == 2) bid(r, id, time);
    else if (kind == 1) auction(r, id, time);
    else person(r, id, time);
    lastTime = time;
    r++;
  }
  store<u32>(out, 0x31425257); // "WRB1"
  store<u32>(out, <u32>rows, 4);
  store<u32>(out, <u32>columns, 8);
  store<u32>(out, <u32>heapUsed, 12);
  for (let c = 0; c < columns; c++) store<u8>(out + 16 + <usize>c, load<u8>(KINDS + <usize>c));
  const padded = (heapUsed + 7) & ~7;
  memory.fill(heapAt + heapUsed, 0, padded - heapUsed);
  return <i32>(heapAt + padded - out);
}

/** Where {@link batch} wrote its batch. */
export function output(): usize {
  return out;
}

/** The id after the last one the last {@link batch} looked at. */
export function nextId(): f64 {
  return next_id;
}

/** The time of the last event of the last non-empty {@link batch}, ms since the epoch. */
export function lastTimestamp(): f64 {
  return lastTime;
}
