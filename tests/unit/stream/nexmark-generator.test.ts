// The Nexmark generator: java.util.Random reproduced bit for bit, the reference's proportions,
// id, time and price formulas, determinism per (seed, event id), and the CSV layout.
import test from 'ava';
import assert from 'node:assert/strict';
import { JavaRandom } from '../../../runtime/stream/nexmark/java-random.js';
import {
  NexmarkGenerator,
  NEXMARK_BASE_TIME_MS,
  eventKind,
  type Auction,
  type Bid,
  type NexmarkEvent,
  type NexmarkEventKind,
  type Person,
} from '../../../runtime/stream/nexmark/generator.js';
import {
  NEXMARK_ALL_COLUMNS,
  NEXMARK_COLUMNS,
  NEXMARK_EVENT_TYPES,
  isStringField,
  nexmarkHeader,
  nexmarkRecord,
  nexmarkValues,
} from '../../../runtime/stream/nexmark/csv.js';
import { NexmarkSource } from '../../../runtime/stream/connectors.js';
import { RowBatch } from '../../../runtime/stream/row-batch.js';
import { NexmarkBatchMaker, type NexmarkBatches } from '../../../runtime/stream/nexmark/event-batch.js';
import { WasmNexmarkBatchMaker } from '../../../runtime/stream/nexmark/wasm-generator.js';
import type { ColumnType } from '../../../runtime/protocol/messages.js';
import { BID, nexmarkGraph } from '../../../samples/nexmark/graphs.js';
import type { JobGraphVertex } from '../../../runtime/protocol/messages.js';
import { csvField } from '../../../runtime/stream/csv.js';

test('JavaRandom draws what java.util.Random draws (values printed by OpenJDK 17)', () => {
  // new Random(seed): nextInt(), nextInt(100), nextInt(1 << 20), nextInt(2147483647),
  // nextInt(2000000007), nextDouble(), Math.round(Math.pow(10, nextDouble() * 6) * 100).
  const golden: [number, (number | string)[]][] = [
    [0, [-1155484576, 48, 252220, 1302116447, 1368843515, '0.3090505681997092', 504]],
    [42, [-1170105035, 63, 716411, 102948884, 662969970, '0.9420735430282128', 1763046]],
    [1000, [-1244746321, 35, 602759, 988461124, 34204349, '0.039405954311386604', 82882]],
    [123456789012345, [-1421006947, 4, 906057, 1308132652, 1893134285, '0.8393613858006863', 36903950]],
    [9007199254740991, [1155099827, 25, 12866, 1176895439, 1421815604, '0.6007954689329611', 24873]],
  ];
  for (const [seed, want] of golden) {
    const r = new JavaRandom(seed);
    const got = [
      r.nextInt(),
      r.nextInt(100),
      r.nextInt(1 << 20),
      r.nextInt(2147483647),
      r.nextInt(2000000007),
      String(r.nextDouble()),
      Math.round(Math.pow(10, r.nextDouble() * 6) * 100),
    ];
    assert.deepEqual(got, want, `seed ${seed}`);
  }
  assert.throws(() => new JavaRandom(-1), { code: 'WRT_INVALID_ARGUMENT' });
  assert.throws(() => new JavaRandom(1).nextInt(0), { code: 'WRT_INVALID_ARGUMENT' });
});

test('JavaRandom.next(bits) follows the 48-bit LCG of the Java SE specification over 200 000 steps (BigInt reference)', () => {
  const MASK = (1n << 48n) - 1n;
  for (const seed of [0, 1, 42, 2 ** 47 + 12345, 9007199254740991]) {
    const r = new JavaRandom(seed);
    let state = (BigInt(seed) ^ 0x5deece66dn) & MASK;
    for (let i = 0; i < 40_000; i++) {
      const bits = 1 + (i % 32);
      state = (state * 0x5deece66dn + 0xbn) & MASK;
      const want = Number(BigInt.asIntN(32, state >> BigInt(48 - bits)));
      const got = r.next(bits);
      if (got !== want) assert.fail(`seed ${seed}, step ${i}, next(${bits}): ${got}, want ${want}`);
    }
  }
});

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

test('proportions 1:3:46 by event id, sequential person and auction ids, ten events a millisecond', () => {
  const g = new NexmarkGenerator();
  const events = range(5000).map((id) => g.event(id));
  const persons = events.filter((e): e is Person => e.kind === 'person');
  const auctions = events.filter((e): e is Auction => e.kind === 'auction');
  const bids = events.filter((e): e is Bid => e.kind === 'bid');
  assert.deepEqual([persons.length, auctions.length, bids.length], [100, 300, 4600]);
  assert.deepEqual(
    persons.map((p) => p.id),
    range(100).map((i) => 1000 + i),
  );
  assert.deepEqual(
    auctions.map((a) => a.id),
    range(300).map((i) => 1000 + i),
  );
  assert.deepEqual(
    range(50).map((id) => eventKind(id)),
    ['person', 'auction', 'auction', 'auction', ...Array<string>(46).fill('bid')],
  );
  assert.equal(g.timestamp(0), NEXMARK_BASE_TIME_MS);
  assert.equal(g.timestamp(9), NEXMARK_BASE_TIME_MS);
  assert.equal(g.timestamp(10), NEXMARK_BASE_TIME_MS + 1);
  assert.equal(g.timestamp(123_456), NEXMARK_BASE_TIME_MS + 12_345);
  assert.equal(new NexmarkGenerator({ eventsPerSecond: 1000 }).timestamp(5), NEXMARK_BASE_TIME_MS + 5);
  assert.equal(new Date(NEXMARK_BASE_TIME_MS).toISOString(), '2015-07-15T00:00:00.000Z');
});

test('each event depends only on (seed, id): order and parallel split do not matter, the seed does', () => {
  const a = new NexmarkGenerator({ seed: 7 });
  const b = new NexmarkGenerator({ seed: 7 });
  const forward = range(2000).map((id) => a.event(id));
  // Three parallel source subtasks, each taking ids ≡ i (mod 3), in reverse.
  const split = new Map<number, NexmarkEvent>();
  for (let i = 0; i < 3; i++) for (let id = 1999 - ((1999 - i) % 3); id >= 0; id -= 3) split.set(id, b.event(id));
  assert.deepEqual(
    range(2000).map((id) => split.get(id)),
    forward,
  );
  const other = new NexmarkGenerator({ seed: 8 });
  const differing = range(2000).filter((id) => JSON.stringify(other.event(id)) !== JSON.stringify(forward[id]));
  assert.ok(differing.length > 1900, `${differing.length} of 2000 events differ between seeds 7 and 8`);
  assert.throws(() => new NexmarkGenerator({ seed: -1 }), { code: 'WRT_INVALID_ARGUMENT' });
});

test('every string the generator makes is ASCII (the nexmark source writes one byte a character)', () => {
  for (const seed of [0, 7]) {
    const gen = new NexmarkGenerator({ seed });
    for (let id = 0; id < 20_000; id++)
      for (const v of Object.values(gen.event(id))) if (typeof v === 'string') assert.match(v, /^[\x20-\x7e]*$/, `event ${id}: ${v}`);
  }
});

test('ids, prices and times follow the reference formulas', () => {
  const g = new NexmarkGenerator({ seed: 3 });
  const n = 50_000;
  let hotAuctionBids = 0;
  let bidCount = 0;
  for (let id = 0; id < n; id++) {
    const e = g.event(id);
    const lastPerson = 1000 + Math.floor(id / 50);
    const lastAuction = 1000 + Math.floor(id / 50) * 3 + Math.min(Math.max((id % 50) - 1, -1), 2);
    if (e.kind === 'bid') {
      bidCount++;
      // A bid's auction is the hot one of its batch of 100, or one of the last 100 in flight + 10 ahead.
      if (e.auction === Math.floor((lastAuction - 1000) / 100) * 100 + 1000) hotAuctionBids++;
      else assert.ok(e.auction >= Math.max(lastAuction - 100, 1000) && e.auction <= lastAuction + 10, `bid ${id} auction ${e.auction}`);
      assert.ok(e.bidder >= 1000 && e.bidder <= lastPerson + 10, `bid ${id} bidder ${e.bidder}`);
      assert.ok(e.price >= 100 && e.price <= 100_000_000, `price ${e.price}`);
      assert.ok(e.extra.length >= 54 && e.extra.length <= 81, `bid extra ${e.extra.length}`);
      assert.ok(/^(Google|Facebook|Baidu|Apple|channel-\d{1,4})$/.test(e.channel), e.channel);
      assert.ok(e.url.startsWith('https://www.nexmark.com/'), e.url);
    } else if (e.kind === 'auction') {
      assert.ok(e.seller >= 1000 && e.seller <= lastPerson + 10, `auction ${id} seller ${e.seller}`);
      assert.ok(e.category >= 10 && e.category <= 14);
      assert.ok(e.reserve >= e.initialBid + 100);
      assert.ok(e.expires > e.dateTime && e.expires - e.dateTime <= 2 * 167, `auction length ${e.expires - e.dateTime}`);
      assert.ok(e.itemName.length <= 19 && e.description.length <= 99);
    } else {
      assert.equal(e.id, lastPerson);
      assert.ok(/^[a-z ]*@[a-z ]*\.com$/.test(e.emailAddress), e.emailAddress);
      assert.ok(/^\d{4} \d{4} \d{4} \d{4}$/.test(e.creditCard), e.creditCard);
    }
    assert.equal(e.dateTime, g.timestamp(id));
  }
  // P(hot auction) = 1 - 1/2. The first draws of java.util.Random over consecutive seeds are
  // correlated (the reference seeds each event with its id, so it has the same drift), so the
  // share wanders around 1/2 over a few thousand events: 0.42 here, 0.50 over 200 000.
  const share = hotAuctionBids / bidCount;
  assert.ok(share > 0.35 && share < 0.65, `hot-auction share ${share}`);
});

test('CSV records: reference header names, RFC 4180 quoting, ISO-8601 UTC times with milliseconds', () => {
  assert.equal(nexmarkHeader('bid'), 'auction,bidder,price,channel,url,dateTime,extra\n');
  assert.equal(nexmarkHeader('person'), 'id,name,emailAddress,creditCard,city,state,dateTime,extra\n');
  assert.equal(nexmarkHeader('auction'), 'id,itemName,description,initialBid,reserve,dateTime,expires,seller,category,extra\n');
  assert.equal(csvField('a,b'), '"a,b"');
  assert.equal(csvField('say "hi"'), '"say ""hi"""');
  assert.equal(csvField('two\nlines'), '"two\nlines"');
  assert.equal(csvField('plain text'), 'plain text');
  const bid: Bid = {
    kind: 'bid',
    auction: 1000,
    bidder: 1001,
    price: 123,
    channel: 'x,y',
    url: 'u',
    dateTime: NEXMARK_BASE_TIME_MS + 1234,
    extra: '',
  };
  assert.equal(nexmarkRecord(bid), '1000,1001,123,"x,y",u,2015-07-15T00:00:01.234Z,\n');
});

test('the nexmark source with table=all: every event once, in one wide row type, the same events as the per-table sources', () => {
  const graph = nexmarkGraph('q3');
  const events = graph.vertices.find((v) => v.kind === 'Source')!;
  const vertex = { ...events, properties: { table: 'all', events: '5000', seed: '3' } };
  const drain = (v: JobGraphVertex, index: number, parallelism: number): unknown[][] => {
    const source = new NexmarkSource(v, index, parallelism);
    const rows: unknown[][] = [];
    for (let step = source.next(700); ; step = source.next(700)) {
      if (step.batch) {
        const b = new RowBatch(step.batch);
        for (let r = 0; r < b.rows; r++) rows.push(b.row(r));
      }
      if (step.done) return rows;
    }
  };
  assert.deepEqual(
    NEXMARK_ALL_COLUMNS,
    (vertex.columns ?? []).map((c) => c.name),
  );
  // Two subtasks together: all 5000 events, persons:auctions:bids = 1:3:46.
  const all = [...drain(vertex, 0, 2), ...drain(vertex, 1, 2)];
  assert.equal(all.length, 5000);
  const byType = [0, 1, 2].map((t) => all.filter((r) => r[0] === t).length);
  assert.deepEqual(byType, [100, 300, 4600]);
  // A bid row carries the bid table's columns, zeros and '' elsewhere; as the bid source makes it.
  const bidColumns = { ...vertex, id: 'bids', columns: BID, properties: { table: 'bid', events: '5000', seed: '3' } };
  const bids = drain(bidColumns, 0, 1);
  const wideBids = all.filter((r) => r[0] === 2).map((r) => r.slice(1 + 8 + 10));
  assert.deepEqual(new Set(wideBids.map((r) => JSON.stringify(r))), new Set(bids.map((r) => JSON.stringify(r))));
  const aBid = all.find((r) => r[0] === 2)!;
  assert.deepEqual(aBid.slice(1, 1 + 8 + 10), [0, '', '', '', '', '', 0, '', 0, '', '', 0, 0, 0, 0, 0, 0, '']);
  // One subtask: row i is event i, its own table's cells as the generator made them, its time the event's.
  const gen = new NexmarkGenerator({ seed: 3 });
  const base = { person: 1, auction: 1 + 8, bid: 1 + 8 + 10 };
  const one = new NexmarkSource(vertex, 0, 1);
  for (let id = 0, step = one.next(1200); ; step = one.next(1200)) {
    const b = new RowBatch(step.batch!);
    for (let r = 0; r < b.rows; r++, id++) {
      const e = gen.event(id);
      const row = b.row(r);
      assert.equal(b.timestamp(r), e.dateTime);
      assert.deepEqual(row.slice(base[e.kind], base[e.kind] + NEXMARK_COLUMNS[e.kind].length), nexmarkValues(e));
    }
    if (step.done) break;
  }
  // Declared types must hold the fields: a string field declared I64 is refused when the job starts.
  const mistyped = vertex.columns!.map((c) => (c.name === 'bid_url' ? { ...c, type: 'I64' as const } : c));
  assert.throws(() => new NexmarkSource({ ...vertex, columns: mistyped }, 0, 1), /column "bid_url" must be Utf8, got I64/);
  assert.throws(
    () => new NexmarkSource({ ...vertex, properties: { table: 'everything', events: '1', seed: '0' } }, 0, 1),
    /must be all, person, auction or bid/,
  );
});

test('eventsPerSecond caps how fast the subtasks together produce, wakes them when more is due, and counts again from a restore', async () => {
  const events = nexmarkGraph('q0').vertices.find((v) => v.kind === 'Source')!;
  const vertex = { ...events, properties: { table: 'all', events: '1200', seed: '3', eventsPerSecond: '4000' } };
  /** Drains subtask `index` of 2 (each may produce 2000 events a second), waiting for its wake-ups. */
  const drain = async (source: NexmarkSource, woken: () => Promise<void>): Promise<{ rows: number; waits: number }> => {
    let rows = 0;
    let waits = 0;
    for (;;) {
      const step = source.next(10_000);
      if (step.batch) rows += new RowBatch(step.batch).rows;
      if (step.done) return { rows, waits };
      if (!step.batch) {
        waits++;
        await woken();
      }
    }
  };
  const subtask = (index: number): [NexmarkSource, () => Promise<void>] => {
    let wake: () => void = () => {};
    const source = new NexmarkSource(vertex, index, 2, () => wake());
    return [source, () => new Promise<void>((resolve) => (wake = resolve))];
  };
  const start = performance.now();
  const [a, b] = [subtask(0), subtask(1)];
  const [ra, rb] = await Promise.all([drain(...a), drain(...b)]);
  // 600 events each at 2000 a second: at least 0.3 s, every event once, after waiting to be woken.
  assert.ok(performance.now() - start >= 290, `1200 events at 4000/s took only ${performance.now() - start} ms`);
  assert.deepEqual([ra.rows, rb.rows], [600, 600]);
  assert.ok(ra.waits > 0 && rb.waits > 0, 'the subtasks never waited');
  // A restored subtask starts counting at its restart, not at its first start.
  const [c, wakeC] = subtask(0);
  c.restore({ nextId: 600, maxTs: 0 });
  const first = c.next(10_000);
  assert.ok(first.batch && new RowBatch(first.batch).rows <= 2, 'a restored source does not catch up in one burst');
  assert.equal((await drain(c, wakeC)).rows + new RowBatch(first.batch).rows, 300);
  for (const bad of ['-1', '1.5', 'fast'])
    assert.throws(
      () => new NexmarkSource({ ...vertex, properties: { ...vertex.properties, eventsPerSecond: bad } }, 0, 1),
      /"eventsPerSecond" must be a non-negative integer/,
    );
});

/** Each maker of the `nexmark` source's batches, for the same generator settings. */
const MAKERS: [string, (gen: NexmarkGenerator, table: NexmarkEventKind | 'all', types: ColumnType[]) => NexmarkBatches][] = [
  ['TypeScript', (gen, table, types) => new NexmarkBatchMaker(gen, table, types)],
  [
    'WebAssembly',
    (gen, table, types) => {
      const maker = WasmNexmarkBatchMaker.create(gen, table, types);
      assert.ok(maker, 'the WebAssembly generator does not compile here');
      return maker;
    },
  ],
];

for (const [name, make] of MAKERS)
  test(`${name} batches: every cell is the event's (from the generator's event objects), other tables' cells 0 and ''`, () => {
    const stringColumn = /(^|_)(name|emailAddress|creditCard|city|state|itemName|description|channel|url|extra)$/;
    for (const table of ['all', 'person', 'auction', 'bid'] as const) {
      const names = table === 'all' ? NEXMARK_ALL_COLUMNS : NEXMARK_COLUMNS[table];
      // Prices as doubles where the job declares them F64 (any numeric type may hold a number field).
      const types = names.map((n): ColumnType => (stringColumn.test(n) ? 'Utf8' : n.endsWith('price') ? 'F64' : 'I64'));
      for (const seed of [0, 3]) {
        const reference = new NexmarkGenerator({ seed });
        const maker = make(new NexmarkGenerator({ seed }), table, types);
        // Consecutive ids; every third id (a subtask of three) past the first batch's 64 KiB; ids past 2^32 and near 2^48.
        for (const [from, step, count] of [
          [0, 1, 300],
          [5001, 3, 2000],
          [2 ** 32 + 7, 3, 200],
          [2 ** 48 - 5000, 1, 100],
        ] as const) {
          const end = from + step * count * 50;
          const batch = maker.batch(from, step, end, count);
          assert.ok(batch, `table ${table}: no batch from ${from}`);
          const ids: number[] = [];
          let id = from;
          for (; ids.length < count && id < end; id += step) if (table === 'all' || eventKind(id) === table) ids.push(id);
          assert.equal(maker.nextId, id, `table ${table}, from ${from}: next id`);
          const rows = new RowBatch(batch);
          assert.equal(rows.rows, ids.length);
          ids.forEach((id, r) => {
            const e = reference.event(id);
            const want: (string | number)[] = names.map((n) => (stringColumn.test(n) ? '' : 0));
            const at = table === 'all' ? names.indexOf(`${e.kind}_${NEXMARK_COLUMNS[e.kind][0]}`) : 0;
            if (table === 'all') want[0] = NEXMARK_EVENT_TYPES[e.kind];
            nexmarkValues(e).forEach((v, i) => (want[at + i] = v));
            assert.equal(rows.timestamp(r), e.dateTime, `table ${table}, event ${id}: time`);
            assert.deepEqual(rows.row(r), want, `table ${table}, seed ${seed}, event ${id}`);
          });
          assert.equal(maker.lastTimestamp, reference.timestamp(ids.at(-1)!));
        }
        // A range with no event of the table makes no batch and moves past it.
        if (table === 'person') {
          assert.equal(maker.batch(51, 1, 60, 10), null);
          assert.equal(maker.nextId, 60);
        }
      }
    }
  });

test('the WebAssembly and TypeScript makers make the same rows, 1024 events a batch, batch after batch', () => {
  const types = NEXMARK_ALL_COLUMNS.map((n): ColumnType =>
    n === 'event_type' || !isStringField(n.slice(n.indexOf('_') + 1)) ? 'I64' : 'Utf8',
  );
  const [ts, wasm] = MAKERS.map(([, make]) => make(new NexmarkGenerator({ seed: 11 }), 'all', types));
  let agreed = 0;
  for (let from = 1; from < 200_000; from = ts!.nextId) {
    const a = ts!.batch(from, 2, 200_000, 1024)!;
    const b = wasm!.batch(from, 2, 200_000, 1024)!;
    const [x, y] = [new RowBatch(a), new RowBatch(b)];
    for (let r = 0; r < x.rows; r++) assert.deepEqual(y.row(r), x.row(r), `from ${from}, row ${r}`);
    assert.equal(wasm!.nextId, ts!.nextId);
    agreed += x.rows;
  }
  assert.equal(agreed, 100_000);
});
