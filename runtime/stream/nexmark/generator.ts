/**
 * The Nexmark event generator: a deterministic function from an event id to a person, auction or
 * bid, faithful to the reference generators (Apache Beam's `sdks/java/nexmark` and the
 * nexmark/nexmark Flink port): the same proportions (person:auction:bid = 1:3:46 by event id), id
 * formulas (`lastBase0PersonId`, `lastBase0AuctionId`, hot sellers/bidders/auctions, 10-id leads),
 * price (`round(10^(6u) · 100)`), string, extra-padding, auction-length and timestamp formulas, and
 * the same `java.util.Random` draws in the same order.
 *
 * Determinism: event `id` draws from `new Random(id + seedOffset(seed))` (Beam seeds with the
 * event id; seed 0 reproduces that). Event time is `baseTime + ⌊id · 10^6 / rate⌋ / 1000` ms (rate
 * in events per second, default 10 000, so ten events a millisecond). Because each event depends
 * only on its id, `p` parallel source subtasks each generating ids ≡ i (mod p) produce exactly the
 * events one generator does, whatever `p`.
 *
 * Departures from the references, on purpose: the Flink port's bid `channel`/`url` come from an
 * unseeded `Random` (different each run); here the URL of channel `c` is drawn from a generator
 * seeded by (seed, c), so it is reproducible. The Flink port adds FIRST_PERSON_ID to bid bidders
 * twice; here once, as Beam does. No out-of-order groups (outOfOrderGroupSize = 1, the default).
 */
import { WrtError } from '../../errors.js';
import { JavaRandom } from './java-random.js';

/** 2015-07-15T00:00:00.000Z, Beam's `NexmarkUtils.BASE_TIME`. */
export const NEXMARK_BASE_TIME_MS = Date.UTC(2015, 6, 15);

export const FIRST_PERSON_ID = 1000;
export const FIRST_AUCTION_ID = 1000;
export const FIRST_CATEGORY_ID = 10;
const PERSON_PROPORTION = 1;
const AUCTION_PROPORTION = 3;
const BID_PROPORTION = 46;
const TOTAL_PROPORTION = PERSON_PROPORTION + AUCTION_PROPORTION + BID_PROPORTION;
const NUM_CATEGORIES = 5;
const PERSON_ID_LEAD = 10;
const AUCTION_ID_LEAD = 10;
/** A hot item is the first of each batch of this many (HOT_SELLER/BIDDER/AUCTION_RATIO). */
const HOT_BATCH = 100;
/** Odds against a hot pick are 1 in these (NexmarkConfiguration defaults). */
const HOT_AUCTION_RATIO = 2;
const HOT_SELLERS_RATIO = 4;
const HOT_BIDDERS_RATIO = 4;
const NUM_ACTIVE_PEOPLE = 1000;
const NUM_IN_FLIGHT_AUCTIONS = 100;
const AVG_PERSON_BYTES = 200;
const AVG_AUCTION_BYTES = 500;
const AVG_BID_BYTES = 100;
const MIN_STRING_LENGTH = 3;
const HOT_CHANNELS_RATIO = 2;
const CHANNELS_NUMBER = 10_000;
const HOT_CHANNELS = ['Google', 'Facebook', 'Baidu', 'Apple'];

const US_STATES = ['AZ', 'CA', 'ID', 'OR', 'WA', 'WY'];
const US_CITIES = ['Phoenix', 'Los Angeles', 'San Francisco', 'Boise', 'Portland', 'Bend', 'Redmond', 'Seattle', 'Kent', 'Cheyenne'];
const FIRST_NAMES = ['Peter', 'Paul', 'Luke', 'John', 'Saul', 'Vicky', 'Kate', 'Julie', 'Sarah', 'Deiter', 'Walter'];
const LAST_NAMES = ['Shultz', 'Abrams', 'Spencer', 'White', 'Bartels', 'Walton', 'Smith', 'Jones', 'Noris'];

/** Times are milliseconds since the Unix epoch (UTC); ids and prices are integers (prices in cents). */
export interface Person {
  kind: 'person';
  id: number;
  name: string;
  emailAddress: string;
  creditCard: string;
  city: string;
  state: string;
  dateTime: number;
  extra: string;
}

export interface Auction {
  kind: 'auction';
  id: number;
  itemName: string;
  description: string;
  initialBid: number;
  reserve: number;
  dateTime: number;
  expires: number;
  seller: number;
  category: number;
  extra: string;
}

export interface Bid {
  kind: 'bid';
  auction: number;
  bidder: number;
  price: number;
  channel: string;
  url: string;
  dateTime: number;
  extra: string;
}

export type NexmarkEvent = Person | Auction | Bid;
export type NexmarkEventKind = NexmarkEvent['kind'];

export interface NexmarkConfig {
  /** Seeds every draw; 0 reproduces Beam's per-event seeding. A non-negative safe integer. */
  seed?: number;
  /** Event time of event 0, ms since the epoch (default {@link NEXMARK_BASE_TIME_MS}). */
  baseTimeMs?: number;
  /** Events per second of event time (Beam's `firstEventRate`, default 10 000). */
  eventsPerSecond?: number;
}

/** Which kind event `id` is: ids repeat person, 3 auctions, 46 bids. */
export function eventKind(id: number): NexmarkEventKind {
  const rem = id % TOTAL_PROPORTION;
  return rem < PERSON_PROPORTION ? 'person' : rem < PERSON_PROPORTION + AUCTION_PROPORTION ? 'auction' : 'bid';
}

/** The last person id (base 0) created at or before event `id`. */
function lastBase0PersonId(id: number): number {
  const epoch = Math.floor(id / TOTAL_PROPORTION);
  const offset = Math.min(id % TOTAL_PROPORTION, PERSON_PROPORTION - 1);
  return epoch * PERSON_PROPORTION + offset;
}

/** The last auction id (base 0) created at or before event `id`. */
function lastBase0AuctionId(id: number): number {
  let epoch = Math.floor(id / TOTAL_PROPORTION);
  let offset = id % TOTAL_PROPORTION;
  if (offset < PERSON_PROPORTION) {
    epoch--;
    offset = AUCTION_PROPORTION - 1;
  } else if (offset >= PERSON_PROPORTION + AUCTION_PROPORTION) {
    offset = AUCTION_PROPORTION - 1;
  } else {
    offset -= PERSON_PROPORTION;
  }
  return epoch * AUCTION_PROPORTION + offset;
}

function nextBase0PersonId(id: number, r: JavaRandom): number {
  const numPeople = lastBase0PersonId(id) + 1;
  const active = Math.min(numPeople, NUM_ACTIVE_PEOPLE);
  return numPeople - active + r.nextInt(active + PERSON_ID_LEAD);
}

function nextBase0AuctionId(id: number, r: JavaRandom): number {
  const max = lastBase0AuctionId(id);
  const min = Math.max(max - NUM_IN_FLIGHT_AUCTIONS, 0);
  return min + r.nextInt(max - min + 1 + AUCTION_ID_LEAD);
}

function nextPrice(r: JavaRandom): number {
  return Math.round(Math.pow(10, r.nextDouble() * 6) * 100);
}

/**
 * Char codes of a string being generated: one flat string at the end, not a chain of one-letter
 * concatenations. Every code is ASCII (letters, space, '_', and the codes 72–96 Java's negative
 * remainders give), so one byte each, turned into a string by the native Latin-1 decoder.
 */
let codes = new Uint8Array(256);
function codesFor(length: number): Uint8Array {
  if (codes.length < length) codes = new Uint8Array(Math.max(length, codes.length * 2));
  return codes;
}
const latin1 = new TextDecoder('latin1');
const flat = (c: Uint8Array, length: number): string => latin1.decode(c.subarray(0, length));

/** A string of 3..maxLength-1 letters with about one `space` in 13, trimmed (Beam's `nextString`). */
function nextString(r: JavaRandom, maxLength: number, space = ' '): string {
  const len = MIN_STRING_LENGTH + r.nextInt(maxLength - MIN_STRING_LENGTH);
  const c = codesFor(len);
  const spaceCode = space.charCodeAt(0);
  for (let i = 0; i < len; i++) c[i] = r.nextInt(13) === 0 ? spaceCode : 97 + r.nextInt(26);
  const s = flat(c, len);
  return space === ' ' ? s.trim() : s;
}

function nextExactString(r: JavaRandom, length: number): string {
  nextExactCodes(r, length, codesFor(length), 0);
  return flat(codes, length);
}

/** The codes of {@link nextExactString} (Beam's), into `c` from `at`. */
function nextExactCodes(r: JavaRandom, length: number, c: Uint8Array, at: number): void {
  let rnd = 0;
  let n = 0;
  for (let i = 0; i < length; i++) {
    if (n === 0) {
      rnd = r.nextInt();
      n = 6;
    }
    // Java's % and / on int truncate toward zero; a negative rnd gives a code below 'a' as in Java.
    c[at + i] = 97 + (rnd % 26);
    rnd = (rnd / 26) | 0; // int32: truncates toward zero as Java does
    n--;
  }
}

/** The length of the padding that brings an event's idealized size to `average` bytes on average (drawn as Beam's `nextExtra` does). */
function extraLength(r: JavaRandom, currentSize: number, average: number): number {
  if (currentSize > average) return 0;
  const desired = average - currentSize;
  const delta = Math.round(desired * 0.2);
  const min = desired - delta;
  return min + (delta === 0 ? 0 : r.nextInt(2 * delta));
}

/**
 * Where a generator writes the `extra` padding of its events as bytes (ASCII codes) instead of
 * strings, for a source that puts them straight into a row batch: event i of those generated since
 * {@link reset} has its padding at `bytes[starts[i] .. starts[i] + lengths[i])` (its `extra` is '').
 */
export class ExtraBytes {
  bytes = new Uint8Array(1 << 16);
  readonly starts: number[] = [];
  readonly lengths: number[] = [];
  private used = 0;

  /** Forgets the events recorded so far (their bytes may be overwritten). */
  reset(): void {
    this.used = 0;
    this.starts.length = 0;
    this.lengths.length = 0;
  }

  /** Bytes recorded since the last reset. */
  get total(): number {
    return this.used;
  }

  /** Records the next event's padding of `length` bytes; returns where to write it. */
  reserve(length: number): number {
    if (this.used + length > this.bytes.length) {
      const grown = new Uint8Array(Math.max(this.used + length, this.bytes.length * 2));
      grown.set(this.bytes.subarray(0, this.used));
      this.bytes = grown;
    }
    const at = this.used;
    this.starts.push(at);
    this.lengths.push(length);
    this.used += length;
    return at;
  }
}

function reverseBits32(v: number): number {
  let x = v >>> 0;
  let out = 0;
  for (let i = 0; i < 32; i++) {
    out = (out << 1) | (x & 1);
    x >>>= 1;
  }
  return out | 0;
}

/** 2^48, the period of java.util.Random's state. */
const TWO_48 = 281_474_976_710_656;

export class NexmarkGenerator {
  readonly seed: number;
  readonly baseTimeMs: number;
  readonly eventsPerSecond: number;
  /** What event ids are offset by before they seed java.util.Random: seed × golden ratio mod 2^48. */
  readonly seedOffset: number;
  private readonly r = new JavaRandom(0);
  private readonly urls = new Map<number, string>();
  /** When set, events' padding goes here as bytes and their `extra` is '' ({@link ExtraBytes}). */
  extraBytes: ExtraBytes | null = null;

  /** @throws RangeError when the seed is not a non-negative safe integer or the rate is not positive. */
  constructor(config: NexmarkConfig = {}) {
    this.seed = config.seed ?? 0;
    this.baseTimeMs = config.baseTimeMs ?? NEXMARK_BASE_TIME_MS;
    this.eventsPerSecond = config.eventsPerSecond ?? 10_000;
    if (!Number.isSafeInteger(this.seed) || this.seed < 0)
      throw new WrtError('WRT_INVALID_ARGUMENT', `Nexmark seed must be a non-negative integer, got ${this.seed}`);
    if (!(this.eventsPerSecond > 0))
      throw new WrtError('WRT_INVALID_ARGUMENT', `Nexmark eventsPerSecond must be positive, got ${this.eventsPerSecond}`);
    // seed · golden-ratio constant mod 2^48: spreads seeds over the state space, 0 stays 0.
    this.seedOffset = Number((BigInt(this.seed) * 0x9e3779b97f4a7c15n) % BigInt(TWO_48));
  }

  /** Event time of event `id`, ms since the epoch (Beam's `timestampForEvent`). */
  timestamp(id: number): number {
    return this.baseTimeMs + Math.floor(Math.floor((id * 1_000_000) / this.eventsPerSecond) / 1000);
  }

  /** Event `id` (a non-negative safe integer). */
  event(id: number): NexmarkEvent {
    this.r.setSeed((id + this.seedOffset) % TWO_48);
    const t = this.timestamp(id);
    switch (eventKind(id)) {
      case 'person':
        return this.person(id, t);
      case 'auction':
        return this.auction(id, t);
      default:
        return this.bid(id, t);
    }
  }

  private person(id: number, dateTime: number): Person {
    const r = this.r;
    const name = `${FIRST_NAMES[r.nextInt(FIRST_NAMES.length)]} ${LAST_NAMES[r.nextInt(LAST_NAMES.length)]}`;
    const emailAddress = `${nextString(r, 7)}@${nextString(r, 5)}.com`;
    const card: string[] = [];
    for (let i = 0; i < 4; i++) card.push(String(r.nextInt(10000)).padStart(4, '0'));
    const creditCard = card.join(' ');
    const city = US_CITIES[r.nextInt(US_CITIES.length)]!;
    const state = US_STATES[r.nextInt(US_STATES.length)]!;
    const size = 8 + name.length + emailAddress.length + creditCard.length + city.length + state.length;
    const extra = this.extra(r, size, AVG_PERSON_BYTES);
    return { kind: 'person', id: lastBase0PersonId(id) + FIRST_PERSON_ID, name, emailAddress, creditCard, city, state, dateTime, extra };
  }

  private auction(id: number, dateTime: number): Auction {
    const r = this.r;
    const seller =
      (r.nextInt(HOT_SELLERS_RATIO) > 0 ? Math.floor(lastBase0PersonId(id) / HOT_BATCH) * HOT_BATCH : nextBase0PersonId(id, r)) +
      FIRST_PERSON_ID;
    const category = FIRST_CATEGORY_ID + r.nextInt(NUM_CATEGORIES);
    const initialBid = nextPrice(r);
    // Auctions last on average as long as it takes to create NUM_IN_FLIGHT_AUCTIONS more.
    const eventsForAuctions = Math.floor((NUM_IN_FLIGHT_AUCTIONS * TOTAL_PROPORTION) / AUCTION_PROPORTION);
    const horizonMs = this.timestamp(id + eventsForAuctions) - dateTime;
    const expires = dateTime + 1 + r.nextInt(Math.max(horizonMs * 2, 1));
    const itemName = nextString(r, 20);
    const description = nextString(r, 100);
    const reserve = initialBid + nextPrice(r);
    const size = 8 + itemName.length + description.length + 8 + 8 + 8 + 8 + 8;
    const extra = this.extra(r, size, AVG_AUCTION_BYTES);
    const auctionId = lastBase0AuctionId(id) + FIRST_AUCTION_ID;
    return { kind: 'auction', id: auctionId, itemName, description, initialBid, reserve, dateTime, expires, seller, category, extra };
  }

  private bid(id: number, dateTime: number): Bid {
    const r = this.r;
    const auction =
      (r.nextInt(HOT_AUCTION_RATIO) > 0 ? Math.floor(lastBase0AuctionId(id) / HOT_BATCH) * HOT_BATCH : nextBase0AuctionId(id, r)) +
      FIRST_AUCTION_ID;
    const bidder =
      (r.nextInt(HOT_BIDDERS_RATIO) > 0 ? Math.floor(lastBase0PersonId(id) / HOT_BATCH) * HOT_BATCH + 1 : nextBase0PersonId(id, r)) +
      FIRST_PERSON_ID;
    const price = nextPrice(r);
    let channel: string;
    let url: string;
    if (r.nextInt(HOT_CHANNELS_RATIO) > 0) {
      const i = r.nextInt(HOT_CHANNELS.length);
      channel = HOT_CHANNELS[i]!;
      url = this.channelUrl(-1 - i);
    } else {
      const c = r.nextInt(CHANNELS_NUMBER);
      channel = `channel-${c}`;
      url = this.channelUrl(c);
    }
    const extra = this.extra(r, 8 + 8 + 8 + 8, AVG_BID_BYTES);
    return { kind: 'bid', auction, bidder, price, channel, url, dateTime, extra };
  }

  /** The event's padding (Beam's `nextExtra`): a string, or '' with its bytes in {@link extraBytes}. */
  private extra(r: JavaRandom, currentSize: number, average: number): string {
    const length = extraLength(r, currentSize, average);
    const into = this.extraBytes;
    if (into === null) return length === 0 ? '' : nextExactString(r, length);
    const at = into.reserve(length);
    nextExactCodes(r, length, into.bytes, at);
    return '';
  }

  /** The URL of channel `c` (hot channel i is c = -1 - i), drawn once from a generator seeded by (seed, c). */
  private channelUrl(c: number): string {
    let url = this.urls.get(c);
    if (url !== undefined) return url;
    const r = new JavaRandom((this.seedOffset + TWO_48 / 2 + c + 16) % TWO_48);
    url = `https://www.nexmark.com/${nextString(r, 5, '_')}/${nextString(r, 5, '_')}/${nextString(r, 5, '_')}/item.htm?query=1`;
    if (c >= 0 && r.nextInt(10) > 0) url += `&channel_id=${Math.abs(reverseBits32(c))}`;
    this.urls.set(c, url);
    return url;
  }
}
