/**
 * Runs every subtask of a bounded stream job in one thread: elements go through one FIFO queue,
 * sources are pumped in turn whenever it is empty. Deterministic for a given plan. It is the
 * engine's reference executor — the unit tests run the Nexmark queries through it against DuckDB —
 * and the body a slot runs for a chain of subtasks; across slots and nodes the same
 * {@link StreamSubtask}s are wired by the node agent instead.
 */
import type { ConnectorAccess } from '../platform/platform.js';
import type { JobGraphEdge } from '../protocol/messages.js';
import type { StreamPlan } from './execution-graph.js';
import { StreamSubtask, type StreamElement, type SubtaskHost } from './stream-subtask.js';

export interface LocalRunOptions {
  /** Rows a source emits per batch. @default 1024 */
  batchRows?: number;
  /** Output cap of one wasm call in bytes. @default 64 MiB */
  outputCapBytes?: number;
  /** For file sources (sources that wait for data, as NATS, do not run here). */
  connectors?: ConnectorAccess;
  /** A fresh instance of the pipeline module with `imports` added. */
  instantiate(imports: WebAssembly.Imports): WebAssembly.Instance;
}

export interface LocalRunResult {
  /** Sink parts by vertex id, in subtask order. */
  parts: Map<string, { part: Uint8Array; rows: number }[]>;
}

export function runLocally(plan: StreamPlan, o: LocalRunOptions): LocalRunResult {
  const queue: { edge: JobGraphEdge; from: number; to: number; element: StreamElement }[] = [];
  const pieces = new Map<string, { pieces: Uint8Array[]; rows: number }[]>();
  const host: SubtaskHost = {
    instantiate: (imports) => o.instantiate(imports),
    outputCapBytes: o.outputCapBytes ?? 64 * 2 ** 20,
    connectors: o.connectors,
    send: (edge, from, to, element) => queue.push({ edge, from, to, element }),
    sinkOutput: (id, index, bytes, rows) => {
      const list = pieces.get(id) ?? [];
      const p = (list[index] ??= { pieces: [], rows: 0 });
      p.pieces.push(bytes);
      if (rows !== null) p.rows = rows;
      pieces.set(id, list);
    },
  };
  const subtasks = new Map<string, StreamSubtask[]>();
  for (const pv of plan.vertices)
    subtasks.set(
      pv.vertex.id,
      Array.from({ length: pv.parallelism }, (_, i) => new StreamSubtask(plan, pv, i, host)),
    );
  const sources = [...subtasks.values()].flat().filter((s) => s.pv.vertex.kind === 'Source');
  const batchRows = o.batchRows ?? 1024;
  let live = sources.slice();
  for (;;) {
    let head = 0;
    while (head < queue.length) {
      const d = queue[head++]!;
      subtasks.get(d.edge.to)![d.to]!.receive(d.edge, d.from, d.element);
      if (head > 4096) {
        queue.splice(0, head);
        head = 0;
      }
    }
    queue.length = 0;
    if (live.length === 0) break;
    for (const s of live) s.pump(batchRows);
    live = live.filter((s) => !s.done);
  }
  const parts = new Map<string, { part: Uint8Array; rows: number }[]>();
  for (const [id, list] of pieces)
    parts.set(
      id,
      Array.from(list, (p) => ({ part: concatBytes(p.pieces), rows: p.rows })),
    );
  return { parts };
}

/** The concatenation of `pieces`. */
export function concatBytes(pieces: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(pieces.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of pieces) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}
