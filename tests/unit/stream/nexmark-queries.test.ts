// The Nexmark queries as stream jobs: samples/nexmark/build/pipeline.wasm's `configure` gives each
// query's job graph, its wasm operators (maps, filters, keyed process functions with host keyed
// state and timers) and the built-in windows, interval join and aggregate run at parallelism 1, 2
// and 3 in the in-thread runner, and every query's CSV output must equal DuckDB's reference result.
import test from 'ava';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateNexmark } from '../../../runtime/cli/nexmark.js';
import { callConfigure } from '../../../runtime/sandbox/operator-call.js';
import { decodeJobGraph } from '../../../runtime/protocol/job-graph-codec.js';
import { planStreamJob } from '../../../runtime/stream/execution-graph.js';
import { runLocally } from '../../../runtime/stream/local-runner.js';
import { refusingKeyedState } from '../../../runtime/stream/keyed-state-imports.js';
import {
  NEXMARK_QUERIES,
  diffResults,
  parseCsv,
  referenceResults,
  type NexmarkQuery,
  type QueryResult,
} from '../../helpers/nexmark-oracle.js';
import type { WrtError } from '../../../runtime/errors.js';

const EVENTS = 60_000;
const SEED = 11;
const root = join(import.meta.dirname, '../../../..');
const module = new WebAssembly.Module(readFileSync(join(root, 'samples/nexmark/build/pipeline.core.wasm')));
const work = mkdtempSync(join(tmpdir(), 'wrt-nexmark-queries-'));
test.after.always(() => rmSync(work, { recursive: true, force: true }));

const refusing = (): WebAssembly.Imports => refusingKeyedState(module);

function graphOf(args: Record<string, string>) {
  return decodeJobGraph(callConfigure(new WebAssembly.Instance(module, refusing()), args));
}

function run(q: NexmarkQuery, parallelism: number): QueryResult {
  const args = { query: q, events: String(EVENTS), seed: String(SEED) };
  const plan = planStreamJob(graphOf(args), args, parallelism);
  const { parts } = runLocally(plan, {
    batchRows: 500,
    instantiate: (imports) => new WebAssembly.Instance(module, { ...refusing(), ...imports }),
  });
  const files = parts.get('sink')!;
  assert.equal(files.length, plan.byId.get('sink')!.parallelism);
  let columns: string[] = [];
  const rows: string[][] = [];
  for (const f of files) {
    const [header, ...records] = parseCsv(new TextDecoder().decode(f.part));
    columns = header!;
    assert.equal(records.length, f.rows);
    rows.push(...records);
  }
  return { columns, rows };
}

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
