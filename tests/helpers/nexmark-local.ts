/**
 * A Nexmark query of samples/nexmark/build/pipeline.wasm run to its end in the in-thread runner
 * (runtime/stream/local-runner.ts): its job graph from `configure`, at `parallelism`, over
 * `events` events of `seed`, and its CSV sink's rows gathered from every part.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { callConfigure } from '../../runtime/sandbox/operator-call.js';
import { decodeJobGraph } from '../../runtime/protocol/job-graph-codec.js';
import { planStreamJob } from '../../runtime/stream/execution-graph.js';
import { runLocally } from '../../runtime/stream/local-runner.js';
import { refusingKeyedState } from '../../runtime/stream/keyed-state-imports.js';
import type { JobGraph } from '../../runtime/protocol/messages.js';
import { parseCsv, type NexmarkQuery, type QueryResult } from './nexmark-oracle.js';

const root = join(import.meta.dirname, '../../..');
export const NEXMARK_MODULE = new WebAssembly.Module(readFileSync(join(root, 'samples/nexmark/build/pipeline.core.wasm')));

/** The job graph `configure` returns for `args` (query=qN, events, seed). */
export function nexmarkGraphOf(args: Record<string, string>): JobGraph {
  return decodeJobGraph(callConfigure(new WebAssembly.Instance(NEXMARK_MODULE, refusingKeyedState(NEXMARK_MODULE)), args));
}

/** Query `q`'s result at `parallelism` over `events` events of `seed` (batches of 500 rows). */
export function runNexmarkLocally(q: NexmarkQuery, events: number, seed: number, parallelism: number): QueryResult {
  const args = { query: q, events: String(events), seed: String(seed) };
  const plan = planStreamJob(nexmarkGraphOf(args), args, parallelism);
  const { parts } = runLocally(plan, {
    batchRows: 500,
    instantiate: (imports) => new WebAssembly.Instance(NEXMARK_MODULE, { ...refusingKeyedState(NEXMARK_MODULE), ...imports }),
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
