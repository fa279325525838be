// The window operator, the interval join and watermarks on Nexmark events delivered out of order,
// checked against the DuckDB oracle: q5 (sliding windows, then a per-window max), q7 (tumbling
// max, interval-joined back to the bids), q8 (a tumbling-window join of two streams) and q11
// (session windows) must equal the reference SQL's results exactly.
import test from 'ava';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateNexmark } from '../../../runtime/cli/nexmark.js';
import { NexmarkGenerator, type NexmarkEvent } from '../../../runtime/stream/nexmark/generator.js';
import { BoundedOutOfOrdernessWatermarks } from '../../../runtime/stream/watermarks.js';
import { WindowOperator } from '../../../runtime/stream/window-operator.js';
import { IntervalJoinOperator } from '../../../runtime/stream/interval-join.js';
import { maxTimestamp, type TimeWindow } from '../../../runtime/stream/time-window.js';
import { diffResults, referenceResults, type QueryResult } from '../../helpers/nexmark-oracle.js';

const EVENTS = 150_000;
const SEED = 5;
const BLOCK = 1000; // events shuffled within blocks of 1000 ids: up to 100 ms of disorder
const work = mkdtempSync(join(tmpdir(), 'wrt-windows-nexmark-'));
test.after.always(() => rmSync(work, { recursive: true, force: true }));

/**
 * Event ids in a fixed out-of-order sequence: blocks of ids (offset by half a block, so blocks
 * straddle window boundaries) each visited with a stride of 7.
 */
function disordered(n: number): number[] {
  const ids: number[] = [];
  for (let b = -BLOCK / 2; b < n; b += BLOCK) {
    const first = Math.max(b, 0);
    const len = Math.min(b + BLOCK, n) - first;
    for (let i = 0; i < len; i++) ids.push(first + ((i * 7) % len));
  }
  return ids;
}

const iso = (ms: number): string => new Date(ms).toISOString();

interface Run {
  q5: QueryResult;
  q7: QueryResult;
  q8: QueryResult;
  q11: QueryResult;
  late: number;
}

/** Runs the three queries over the disordered stream with a watermark `boundMs` behind the max. */
function runQueries(boundMs: number, allowedLatenessMs: number): Run {
  // q5 stage 1: bids per auction per 10 s window sliding by 2 s.
  const q5rows: string[][] = [];
  const hot = new WindowOperator<
    number,
    { auction: number; num: number },
    { max: number; rows: { auction: number; num: number }[] },
    string[][]
  >({
    assigner: { kind: 'tumbling', sizeMs: 2000 }, // results of one sliding window share a timestamp (its end - 1)
    aggregate: {
      create: () => ({ max: 0, rows: [] }),
      add: (a, v) => ({ max: Math.max(a.max, v.num), rows: [...a.rows, v] }),
      merge: (a, b) => ({ max: Math.max(a.max, b.max), rows: [...a.rows, ...b.rows] }),
      result: (a) => a.rows.filter((r) => r.num >= a.max).map((r) => [String(r.auction), String(r.num)]),
    },
    emit: (_k, _w, rows) => q5rows.push(...rows),
  });
  const counts = new WindowOperator<number, null, number, number>({
    assigner: { kind: 'sliding', sizeMs: 10_000, slideMs: 2000 },
    aggregate: { create: () => 0, add: (a) => a + 1, merge: (a, b) => a + b, result: (a) => a },
    allowedLatenessMs,
    emit: (auction, w, num) => hot.processElement(0, { auction, num }, maxTimestamp(w)),
  });
  // q7: the highest price of each 10 s tumbling window (timestamp end - 1), joined by price with
  // the bids in [end - 10 s, end]: bid time r and window time l match when l - 9999 ≤ r ≤ l + 1.
  const q7rows: string[][] = [];
  const q7join = new IntervalJoinOperator<number, null, NexmarkEvent & { kind: 'bid' }>({
    lowerMs: -9999,
    upperMs: 1,
    emit: (_price, _w, b) => q7rows.push([String(b.auction), String(b.bidder), String(b.price), iso(b.dateTime), b.extra]),
  });
  const maxPrice = new WindowOperator<number, number, number, number>({
    assigner: { kind: 'tumbling', sizeMs: 10_000 },
    aggregate: { create: () => -Infinity, add: (a, p) => Math.max(a, p), merge: (a, b) => Math.max(a, b), result: (a) => a },
    allowedLatenessMs,
    emit: (_k, w, price) => q7join.processLeft(price, null, maxTimestamp(w)),
  });
  // q8: persons and auctions in one keyed stream (person id = seller), 10 s tumbling windows.
  const q8final = new Map<string, string[][]>();
  const newUsers = new WindowOperator<number, string | null, { names: Set<string>; sold: boolean }, { names: Set<string>; sold: boolean }>({
    assigner: { kind: 'tumbling', sizeMs: 10_000 },
    aggregate: {
      create: () => ({ names: new Set(), sold: false }),
      add: (a, v) => (v === null ? { names: a.names, sold: true } : { names: new Set([...a.names, v]), sold: a.sold }),
      merge: (a, b) => ({ names: new Set([...a.names, ...b.names]), sold: a.sold || b.sold }),
      result: (a) => a,
    },
    allowedLatenessMs,
    // Re-firings (allowed lateness) replace the window's earlier result.
    emit: (id, w: TimeWindow, r) => q8final.set(`${id}@${w.start}`, r.sold ? [...r.names].map((n) => [String(id), n, iso(w.start)]) : []),
  });
  // q11: bids per bidder per session (gap 10 s).
  const q11rows: string[][] = [];
  const sessions = new WindowOperator<number, null, number, number>({
    assigner: { kind: 'session', gapMs: 10_000 },
    aggregate: { create: () => 0, add: (a) => a + 1, merge: (a, b) => a + b, result: (a) => a },
    emit: (bidder, w, n) => q11rows.push([String(bidder), String(n), iso(w.start), iso(w.end)]),
  });

  const g = new NexmarkGenerator({ seed: SEED });
  const wm = new BoundedOutOfOrdernessWatermarks(boundMs);
  const ops = [counts, hot, maxPrice, q7join, newUsers, sessions];
  let i = 0;
  for (const id of disordered(EVENTS)) {
    const e: NexmarkEvent = g.event(id);
    wm.onEvent(e.dateTime);
    if (e.kind === 'bid') {
      counts.processElement(e.auction, null, e.dateTime);
      maxPrice.processElement(0, e.price, e.dateTime);
      q7join.processRight(e.price, e, e.dateTime);
      sessions.processElement(e.bidder, null, e.dateTime);
    } else if (e.kind === 'person') newUsers.processElement(e.id, e.name, e.dateTime);
    else newUsers.processElement(e.seller, null, e.dateTime);
    // Watermarks every 100 elements, forwarded downstream in operator order (as Flink does).
    if (++i % 100 === 0) for (const op of ops) op.advanceWatermark(wm.watermark);
  }
  for (const op of ops) op.advanceWatermark(Infinity); // end of input
  return {
    q5: { columns: ['auction', 'num'], rows: q5rows },
    q7: { columns: ['auction', 'bidder', 'price', 'dateTime', 'extra'], rows: q7rows },
    q8: { columns: ['id', 'name', 'starttime'], rows: [...q8final.values()].flat() },
    q11: { columns: ['bidder', 'bid_count', 'starttime', 'endtime'], rows: q11rows },
    late: counts.lateElements + maxPrice.lateElements + q7join.lateElements + newUsers.lateElements + sessions.lateElements,
  };
}

test('q5, q7, q8 and q11 over out-of-order events equal the reference SQL; too tight a watermark does not', async () => {
  const events = join(work, 'events');
  await generateNexmark({ events: EVENTS, seed: SEED, output: events, overwrite: false, progress: false });
  const ref = await referenceResults(events, ['q5', 'q7', 'q8', 'q11']);

  const order = disordered(EVENTS);
  assert.ok(
    [...order].sort((a, b) => a - b).every((id, i) => id === i),
    'a permutation of the event ids',
  );
  assert.ok(
    order.some((id, i) => id !== i),
    'out of order',
  );
  const bounded = runQueries(100, 0);
  assert.equal(bounded.late, 0);
  for (const q of ['q5', 'q7', 'q8', 'q11'] as const) {
    const least = { q5: 10, q7: 2, q8: 100, q11: 100 }[q]; // 15 s of event time: q7 has two windows
    assert.ok(ref.get(q)!.rows.length >= least, `${q} has ${ref.get(q)!.rows.length} rows`);
    assert.equal(diffResults(ref.get(q)!, bounded[q]), null, q);
  }

  // A watermark that ignores the disorder drops elements as late, and the results go wrong ...
  const tight = runQueries(0, 0);
  assert.ok(tight.late > 0, 'elements arrive behind a zero-bound watermark');
  assert.notEqual(diffResults(ref.get('q8')!, tight.q8), null);
  // ... unless the windows allow that much lateness (late elements re-fire their windows).
  const lenient = runQueries(0, 100);
  assert.equal(diffResults(ref.get('q8')!, lenient.q8), null, 'q8 with allowed lateness');
});
