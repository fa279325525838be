// `wrt nexmark generate` as a real process, and the DuckDB oracle over its files: every reference
// query runs and finds rows at this size, and two of them agree with a direct evaluation over the
// generator's events (so the oracle, the CSV round trip and the SQL are checked against each other).
import test from 'ava';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killAll, runWrt } from '../helpers/wrt-process.js';
import { NEXMARK_QUERIES, diffResults, parseCsv, referenceResults, type QueryResult } from '../helpers/nexmark-oracle.js';
import { NexmarkGenerator, type Auction, type Person } from '../../runtime/stream/nexmark/generator.js';

const work = mkdtempSync(join(tmpdir(), 'wrt-nexmark-gen-'));
test.after.always(async () => {
  await killAll();
  rmSync(work, { recursive: true, force: true });
});

const EVENTS = 60_000;
const SEED = 11;

test.serial('generate writes three CSV files with reference headers; the same seed gives the same bytes', async () => {
  const out = join(work, 'events');
  const r = await runWrt(['nexmark', 'generate', '--events', String(EVENTS), '--seed', String(SEED), '--output', out, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const s = JSON.parse(r.stdout) as { persons: number; auctions: number; bids: number; events: number };
  assert.deepEqual([s.events, s.persons, s.auctions, s.bids], [EVENTS, 1200, 3600, 55_200]);
  assert.deepEqual(readdirSync(out).sort(), ['auction.csv', 'bid.csv', 'person.csv']);
  const bid = parseCsv(readFileSync(join(out, 'bid.csv'), 'utf8'));
  assert.deepEqual(bid[0], ['auction', 'bidder', 'price', 'channel', 'url', 'dateTime', 'extra']);
  assert.equal(bid.length, 1 + 55_200);
  assert.equal(bid[1]![5], '2015-07-15T00:00:00.000Z');
  assert.equal(bid.at(-1)![5], '2015-07-15T00:00:05.999Z');

  const again = join(work, 'again');
  assert.equal((await runWrt(['nexmark', 'generate', '--events', String(EVENTS), '--seed', String(SEED), '--output', again])).code, 0);
  for (const f of ['person.csv', 'auction.csv', 'bid.csv']) assert.ok(readFileSync(join(out, f)).equals(readFileSync(join(again, f))), f);
});

test.serial('bad input: a non-numeric count and an occupied directory exit 2 and leave the files alone', async () => {
  const bad = await runWrt(['nexmark', 'generate', '--events', 'many', '--output', join(work, 'bad')]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--events must be a non-negative integer/);
  const dir = join(work, 'occupied');
  assert.equal((await runWrt(['nexmark', 'generate', '--events', '100', '--output', dir])).code, 0);
  writeFileSync(join(dir, 'bid.csv'), 'mine\n');
  const r = await runWrt(['nexmark', 'generate', '--events', '100', '--output', dir]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /WRT_OUTPUT_EXISTS.*--overwrite/);
  assert.equal(readFileSync(join(dir, 'bid.csv'), 'utf8'), 'mine\n');
  assert.deepEqual(readdirSync(dir).sort(), ['auction.csv', 'bid.csv', 'person.csv'], 'no temporary files left');
  assert.equal((await runWrt(['nexmark', 'generate', '--events', '100', '--output', dir, '--overwrite'])).code, 0);
  assert.notEqual(readFileSync(join(dir, 'bid.csv'), 'utf8'), 'mine\n');
});

/** q2 and q3 evaluated directly over the generator's events, without SQL or CSV. */
function directResults(): { q2: QueryResult; q3: QueryResult } {
  const g = new NexmarkGenerator({ seed: SEED });
  const persons = new Map<number, Person>();
  const auctions: Auction[] = [];
  const q2: string[][] = [];
  for (let id = 0; id < EVENTS; id++) {
    const e = g.event(id);
    if (e.kind === 'person') persons.set(e.id, e);
    else if (e.kind === 'auction') auctions.push(e);
    else if (e.auction % 123 === 0) q2.push([String(e.auction), String(e.price)]);
  }
  const q3: string[][] = [];
  for (const a of auctions) {
    const p = persons.get(a.seller);
    if (a.category === 10 && p && ['OR', 'ID', 'CA'].includes(p.state)) q3.push([p.name, p.city, p.state, String(a.id)]);
  }
  return { q2: { columns: ['auction', 'price'], rows: q2 }, q3: { columns: ['name', 'city', 'state', 'id'], rows: q3 } };
}

test.serial('DuckDB oracle: all reference queries run with their column names; q2 and q3 match a direct evaluation', async () => {
  const results = await referenceResults(join(work, 'events'), NEXMARK_QUERIES);
  const columns: Record<string, string> = {
    q0: 'auction,bidder,price,dateTime,extra',
    q1: 'auction,bidder,price,dateTime,extra',
    q2: 'auction,price',
    q3: 'name,city,state,id',
    q4: 'category,final',
    q5: 'auction,num',
    q7: 'auction,bidder,price,dateTime,extra',
    q8: 'id,name,starttime',
    q11: 'bidder,bid_count,starttime,endtime',
  };
  for (const q of NEXMARK_QUERIES) {
    const r = results.get(q)!;
    assert.equal(r.columns.join(','), columns[q], q);
    assert.ok(r.rows.length > 0, `${q} finds rows over ${EVENTS} events`);
  }
  assert.equal(results.get('q0')!.rows.length, 55_200);
  assert.equal(results.get('q0')!.rows[0]![3], '2015-07-15T00:00:00.000Z');
  // q1: 0.908 × price, a decimal.
  const q1 = results.get('q1')!.rows;
  const q0 = results.get('q0')!.rows;
  assert.ok(Math.abs(Number(q1[0]![2]) - 0.908 * Number(q0[0]![2])) < 1e-6);
  // q4 has one row per category; q11's sessions partition the bids.
  assert.deepEqual(
    results
      .get('q4')!
      .rows.map((r) => r[0])
      .sort(),
    ['10', '11', '12', '13', '14'],
  );
  assert.equal(
    results.get('q11')!.rows.reduce((n, r) => n + Number(r[1]), 0),
    55_200,
  );
  const direct = directResults();
  assert.equal(diffResults(results.get('q2')!, direct.q2), null);
  assert.equal(diffResults(results.get('q3')!, direct.q3), null);
  // The comparison is not vacuous: a changed row is reported.
  const wrong = { columns: direct.q3.columns, rows: direct.q3.rows.map((r, i) => (i === 0 ? [...r.slice(0, 3), '1'] : r)) };
  assert.match(diffResults(results.get('q3')!, wrong) ?? '', /1 missing, 1 unexpected/);
});
