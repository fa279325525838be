// The Nexmark reference's constants and id formulas (Beam's NexmarkConfiguration defaults and its
// generators' id arithmetic), for kernels/nexmark.ts: functions of an event id and of
// java.util.Random draws, the same as runtime/stream/nexmark/generator.ts's.

import { nextDouble, nextInt, round } from './java-random';

// Math.pow of the host, so that prices equal the TypeScript generator's (V8 calls it directly).
@external("env", "pow") declare function hostPow(x: f64, y: f64): f64;

@inline export function nextPrice(): i64 {
  return <i64>round(hostPow(10, nextDouble() * 6) * 100);
}

// ---- the reference's constants (NexmarkConfiguration defaults) ----------------------------------

export const TOTAL_PROPORTION: i64 = 50; // person 1 : auction 3 : bid 46
export const FIRST_PERSON_ID: i64 = 1000;
export const FIRST_AUCTION_ID: i64 = 1000;
export const FIRST_CATEGORY_ID: i64 = 10;
export const HOT_BATCH: i64 = 100;
export const NUM_ACTIVE_PEOPLE: i64 = 1000;
export const NUM_IN_FLIGHT_AUCTIONS: i64 = 100;
export const ID_LEAD: i64 = 10;
export const CHANNELS_NUMBER: i32 = 10_000;
export const TWO_48: i64 = <i64>1 << 48;

export const FIRST_NAMES: StaticArray<string> = ['Peter', 'Paul', 'Luke', 'John', 'Saul', 'Vicky', 'Kate', 'Julie', 'Sarah', 'Deiter', 'Walter'];
export const LAST_NAMES: StaticArray<string> = ['Shultz', 'Abrams', 'Spencer', 'White', 'Bartels', 'Walton', 'Smith', 'Jones', 'Noris'];
export const US_CITIES: StaticArray<string> = ['Phoenix', 'Los Angeles', 'San Francisco', 'Boise', 'Portland', 'Bend', 'Redmond', 'Seattle', 'Kent', 'Cheyenne'];
export const US_STATES: StaticArray<string> = ['AZ', 'CA', 'ID', 'OR', 'WA', 'WY'];
export const HOT_CHANNELS: StaticArray<string> = ['Google', 'Facebook', 'Baidu', 'Apple'];

@inline export function lastBase0PersonId(id: i64): i64 {
  return id / TOTAL_PROPORTION;
}

export function lastBase0AuctionId(id: i64): i64 {
  let epoch = id / TOTAL_PROPORTION;
  let offset = id % TOTAL_PROPORTION;
  if (offset < 1) {
    epoch--;
    offset = 2;
  } else if (offset >= 4) offset = 2;
  else offset -= 1;
  return epoch * 3 + offset;
}

export function nextBase0PersonId(id: i64): i64 {
  const people = lastBase0PersonId(id) + 1;
  const active = people < NUM_ACTIVE_PEOPLE ? people : NUM_ACTIVE_PEOPLE;
  return people - active + <i64>nextInt(<i32>(active + ID_LEAD));
}

export function nextBase0AuctionId(id: i64): i64 {
  const max = lastBase0AuctionId(id);
  const min = max - NUM_IN_FLIGHT_AUCTIONS > 0 ? max - NUM_IN_FLIGHT_AUCTIONS : 0;
  return min + <i64>nextInt(<i32>(max - min + 1 + ID_LEAD));
}

export function reverseBits32(v: i32): i32 {
  let x = <u32>v;
  let out: u32 = 0;
  for (let i = 0; i < 32; i++) {
    out = (out << 1) | (x & 1);
    x >>= 1;
  }
  return <i32>out;
}

/** 0 person, 1 auction, 2 bid. */
@inline export function kindOf(id: i64): i32 {
  const rem = id % TOTAL_PROPORTION;
  return rem < 1 ? 0 : rem < 4 ? 1 : 2;
}
