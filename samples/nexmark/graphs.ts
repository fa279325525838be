/**
 * The Nexmark queries as stream job graphs, built with the DataStream API (sdk/datastream.ts).
 * `scripts/build-wasm.mjs` encodes each into `build/graphs.ts` for the pipeline's `graph-for`
 * export; the wasm operators they name are in `assembly/pipeline.ts`. What each query computes is
 * stated in DuckDB's SQL in `sql/qN.sql`.
 */
import { StreamEnvironment, type StreamColumn, type DataStream } from '../../sdk/datastream.js';
import type { JobGraph } from '../../runtime/protocol/messages.js';

const i64 = (name: string): StreamColumn => ({ name, type: 'I64' });
const f64 = (name: string): StreamColumn => ({ name, type: 'F64' });
const str = (name: string): StreamColumn => ({ name, type: 'Utf8' });
const ts = (name: string): StreamColumn => ({ name, type: 'Timestamp' });

export const PERSON: StreamColumn[] = [
  i64('id'),
  str('name'),
  str('emailAddress'),
  str('creditCard'),
  str('city'),
  str('state'),
  ts('dateTime'),
  str('extra'),
];
export const AUCTION: StreamColumn[] = [
  i64('id'),
  str('itemName'),
  str('description'),
  i64('initialBid'),
  i64('reserve'),
  ts('dateTime'),
  ts('expires'),
  i64('seller'),
  i64('category'),
  str('extra'),
];
export const BID: StreamColumn[] = [i64('auction'), i64('bidder'), i64('price'), str('channel'), str('url'), ts('dateTime'), str('extra')];
const BID_OUT = [i64('auction'), i64('bidder'), i64('price'), ts('dateTime'), str('extra')];

export const QUERIES = ['q0', 'q1', 'q2', 'q3', 'q4', 'q5', 'q7', 'q8', 'q11'] as const;
export type Query = (typeof QUERIES)[number];

/**
 * The whole event stream in one row type, as Flink's Nexmark `datagen` table: `event_type` (0
 * person, 1 auction, 2 bid), then the person, auction and bid columns prefixed with their table
 * (runtime/stream/nexmark/csv.ts `NEXMARK_ALL_COLUMNS`); only the event's own table is filled.
 */
export const EVENTS: StreamColumn[] = [
  i64('event_type'),
  ...PERSON.map((c) => ({ ...c, name: `person_${c.name}` })),
  ...AUCTION.map((c) => ({ ...c, name: `auction_${c.name}` })),
  ...BID.map((c) => ({ ...c, name: `bid_${c.name}` })),
];

/**
 * The query's one source: every event, persons, auctions and bids in the reference proportions
 * (1:3:46); each query's first operators filter by `event_type` (Flink Nexmark's views), so the
 * benchmark's events are all really produced. `events` and `seed` come from the job's `--arg`s,
 * and `eventsPerSecond` (optional, default 0: no cap) caps the rate they are produced at.
 *
 * Its subtasks keep within 5 s of event time of each other (watermark alignment, reported every
 * 10 ms): at 10 000 events per event-time second, a subtask that runs alone ahead would make the
 * joins and windows of q3–q8 buffer everything it is ahead by.
 */
function source(env: StreamEnvironment): DataStream {
  return env.source('events', {
    format: 'nexmark',
    columns: EVENTS,
    properties: { table: 'all', events: '${events}', seed: '${seed}', eventsPerSecond: '${eventsPerSecond:-0}' },
    watermarkAlignment: { group: 'events', maxDriftMs: 5_000, updateIntervalMs: 10 },
  });
}

const sink = (s: DataStream): void => s.sinkTo('sink', { format: 'csv' });

const build: Record<Query, (env: StreamEnvironment) => void> = {
  q0: (env) => sink(source(env).map('project', 'q0project', BID_OUT)),
  q1: (env) => sink(source(env).map('euros', 'q1euros', [i64('auction'), i64('bidder'), f64('price'), ts('dateTime'), str('extra')])),
  q2: (env) => sink(source(env).map('select', 'q2select', [i64('auction'), i64('price')])),
  q3: (env) => {
    const events = source(env);
    const auctions = events.map('category10', 'q3auctions', [i64('seller'), i64('id')]);
    const persons = events.map('westPersons', 'q3persons', [i64('id'), str('name'), str('city'), str('state')]);
    const joined = auctions
      .keyBy('seller')
      .connect(persons.keyBy('id'))
      .process(
        'join',
        'q3join',
        [str('name'), str('city'), str('state'), i64('id')],
        [
          { name: 'person', kind: 'Value', ttlMs: 0 },
          { name: 'auctions', kind: 'List', ttlMs: 0 },
        ],
      );
    sink(joined);
  },
  q4: (env) => {
    const events = source(env);
    const auctions = events.map('auctionTimes', 'q4auctions', [i64('id'), i64('category'), ts('dateTime'), ts('expires')]);
    const bids = events.map('bidPrices', 'q4bids', [i64('auction'), i64('price'), ts('dateTime')]);
    const finals = auctions
      .keyBy('id')
      .connect(bids.keyBy('auction'))
      .process(
        'final',
        'q4final',
        [i64('category'), i64('final')],
        [
          { name: 'auction', kind: 'Value', ttlMs: 0 },
          { name: 'max', kind: 'Value', ttlMs: 0 },
          { name: 'early', kind: 'List', ttlMs: 0 },
        ],
      );
    sink(finals.keyBy('category').aggregate('average', [{ function: 'avg', column: 'final', as: 'final' }]));
  },
  q5: (env) => {
    const counts = source(env)
      .map('auctionIds', 'q5auctions', [i64('auction')])
      .keyBy('auction')
      .window({ kind: 'Sliding', sizeMs: 10_000, slideMs: 2_000 })
      .aggregate('counts', [{ function: 'count', as: 'num' }]);
    sink(
      counts
        .keyBy('window_start')
        .process('hottest', 'q5hottest', [i64('auction'), i64('num')], [{ name: 'counts', kind: 'List', ttlMs: 0 }]),
    );
  },
  q7: (env) => {
    const bids = source(env).map('project', 'q0project', BID_OUT);
    const maxima = bids
      .global()
      .window({ kind: 'Tumbling', sizeMs: 10_000 })
      .aggregate('maxPrice', [{ function: 'max', column: 'price', as: 'maxprice' }]);
    // A maximum's row time is its window's end − 1; a bid joins when end − 10000 ≤ time ≤ end.
    sink(
      bids
        .keyBy('price')
        .intervalJoin(maxima.keyBy('maxprice'), -1, 9_999)
        .project('highest', ['auction', 'bidder', 'price', 'dateTime', 'extra']),
    );
  },
  q8: (env) => {
    const events = source(env);
    const persons = events.map('personNames', 'q8persons', [i64('id'), str('name')]);
    const sellers = events.map('sellers', 'q8sellers', [i64('seller')]);
    const joined = persons
      .keyBy('id')
      .connect(sellers.keyBy('seller'))
      .process(
        'newUsers',
        'q8join',
        [i64('id'), str('name'), ts('starttime')],
        [
          { name: 'persons', kind: 'Map', ttlMs: 0 },
          { name: 'sellers', kind: 'Map', ttlMs: 0 },
        ],
      );
    sink(joined);
  },
  q11: (env) => {
    const sessions = source(env)
      .map('bidders', 'q11bidders', [i64('bidder')])
      .keyBy('bidder')
      .window({ kind: 'Session', gapMs: 10_000 })
      .aggregate('sessions', [{ function: 'count', as: 'bid_count' }], ['starttime', 'endtime']);
    sink(sessions);
  },
};

/** The job graph of query `q`. */
export function nexmarkGraph(q: Query): JobGraph {
  const env = new StreamEnvironment(`nexmark-${q}`);
  build[q](env);
  return env.build();
}
