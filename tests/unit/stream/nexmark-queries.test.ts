// The Nexmark queries as stream jobs: samples/nexmark/build/pipeline.wasm's `configure` gives each
// query's job graph, its wasm operators (maps, filters, keyed process functions with host keyed
// state and timers) and the built-in windows, interval join and aggregate run at parallelism 1, 2
// and 3 in the in-thread runner, and every query's CSV output must equal DuckDB's reference result.
import test from 'ava';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateNexmark } from '../../../runtime/cli/nexmark.js';
import { nexmarkGraphOf, runNexmarkLocally } from '../../helpers/nexmark-local.js';
import { planStreamJob } from '../../../runtime/stream/execution-graph.js';
import { NEXMARK_QUERIES, diffResults, referenceResults, type NexmarkQuery, type QueryResult } from '../../helpers/nexmark-oracle.js';
import type { WrtError } from '../../../runtime/errors.js';

const EVENTS = 60_000;
const SEED = 11;
const work = mkdtempSync(join(tmpdir(), 'wrt-nexmark-queries-'));
test.after.always(() => rmSync(work, { recursive: true, force: true }));

const graphOf = nexmarkGraphOf;
const run = (q: NexmarkQuery, parallelism: number): QueryResult => runNexmarkLocally(q, EVENTS, SEED, parallelism);

let reference: Map<NexmarkQuery, QueryResult>;
test.before(async () => {
  await generateNexmark({ events: EVENTS, seed: SEED, output: join(work, 'events'), overwrite: false, progress: false });
  reference = await referenceResults(join(work, 'events'), NEXMARK_QUERIES);
});

for (const q of NEXMARK_QUERIES) {
  test.serial(`${q} as a stream job equals DuckDB at parallelism 1, 2 and 3`, () => {
    const expected = reference.get(q)!;
    assert.ok(expected.rows.length > 0, `${q}: the reference result is empty; pick more events`);
    for (const p of [1, 2, 3]) {
      const diff = diffResults(expected, run(q, p));
      assert.equal(diff, null, `${q} at parallelism ${p}: ${diff}`);
    }
  });
}

test.serial('configure refuses an unknown or missing query with a message naming the choices', () => {
  assert.throws(
    () => graphOf({ query: 'q6' }),
    (e: WrtError) => e.code === 'WRT_INVALID_ARGUMENT' && /unknown query "q6".*0, 1, 2/.test(e.message),
  );
  assert.throws(
    () => graphOf({}),
    (e: WrtError) => e.code === 'WRT_INVALID_ARGUMENT' && /no query given/.test(e.message),
  );
});

test.serial('a job argument the graph needs but was not given is named', () => {
  const g = graphOf({ query: 'q0' });
  assert.throws(
    () => planStreamJob(g, { seed: '1' }, 2),
    (e: WrtError) => e.code === 'WRT_INVALID_ARGUMENT' && /--arg events=VALUE/.test(e.message),
  );
});
