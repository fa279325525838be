/**
 * The `nexmark` source's batches from the WebAssembly generator (kernels/nexmark.ts, embedded by
 * scripts/build-runtime-wasm.mjs): the events of {@link NexmarkGenerator} bit for bit, written into
 * a WRB1 batch inside the module (the 48-bit java.util.Random step is one i64 multiply there, and
 * bytes are stored without a JavaScript loop), then copied out once. Each maker has its own
 * instance and memory (≈ 1.4 MB, plus 1 KiB a row of the largest batch).
 *
 * {@link NexmarkBatchMaker} (event-batch.ts) makes the same batches in TypeScript: the fallback
 * where the module cannot compile, and the reference the tests compare this one with.
 */
import type { ColumnType } from '../../protocol/messages.js';
import { COLUMN_CODES } from '../row-batch.js';
import { NEXMARK_GENERATOR_WASM } from './build/generator-wasm.js';
import type { NexmarkEventKind, NexmarkGenerator } from './generator.js';
import type { NexmarkBatches } from './event-batch.js';

interface GeneratorExports {
  memory: WebAssembly.Memory;
  configure(seedOffset: number, baseTimeMs: number, eventsPerSecond: number, table: number, columns: number): void;
  column(c: number, code: number): void;
  batch(from: number, step: number, end: number, maxRows: number): number;
  output(): number;
  nextId(): number;
  lastTimestamp(): number;
}

const TABLES: Record<NexmarkEventKind | 'all', number> = { person: 0, auction: 1, bid: 2, all: 3 };

let compiled: WebAssembly.Module | null | undefined;

/** The generator module, compiled once per thread; null where it cannot be (the caller falls back). */
function generatorModule(): WebAssembly.Module | null {
  if (compiled === undefined) {
    try {
      const bytes = Uint8Array.from(atob(NEXMARK_GENERATOR_WASM), (c) => c.charCodeAt(0));
      compiled = new WebAssembly.Module(bytes);
    } catch {
      // e.g. a browser's main thread, where synchronous compilation of modules past 4 KB is refused
      compiled = null;
    }
  }
  return compiled;
}

/** Makes the `nexmark` source's batches in WebAssembly; the same contract as {@link NexmarkBatchMaker}. */
export class WasmNexmarkBatchMaker implements NexmarkBatches {
  private readonly wasm: GeneratorExports;
  /** The id after the last event of the last {@link batch} (where the next one starts). */
  nextId = 0;
  /** The time of the last event of the last non-empty {@link batch}, ms since the epoch. */
  lastTimestamp = -Infinity;

  private constructor(
    instance: WebAssembly.Instance,
    gen: NexmarkGenerator,
    table: NexmarkEventKind | 'all',
    types: readonly ColumnType[],
  ) {
    this.wasm = instance.exports as unknown as GeneratorExports;
    this.wasm.configure(gen.seedOffset, gen.baseTimeMs, gen.eventsPerSecond, TABLES[table], types.length);
    types.forEach((t, c) => this.wasm.column(c, COLUMN_CODES[t]));
  }

  /**
   * A maker for `gen`'s stream (its seed, base time and rate), `table`'s events and `types`
   * (checked by `nexmarkColumnTypes` for `table`, at most 64 columns); null where the module cannot
   * be compiled here.
   */
  static create(gen: NexmarkGenerator, table: NexmarkEventKind | 'all', types: readonly ColumnType[]): WasmNexmarkBatchMaker | null {
    const module = generatorModule();
    if (module === null || types.length > 64) return null;
    return new WasmNexmarkBatchMaker(new WebAssembly.Instance(module, { env: { pow: Math.pow } }), gen, table, types);
  }

  /**
   * The next batch of up to `maxRows` events of the table among ids `from`, `from + step`, … below
   * `end` (safe integers); row i is the i-th such event. Sets {@link nextId}. Null when no id in
   * range is of the table.
   */
  batch(from: number, step: number, end: number, maxRows: number): Uint8Array | null {
    const length = this.wasm.batch(from, step, end, maxRows);
    this.nextId = this.wasm.nextId();
    if (length === 0) return null;
    this.lastTimestamp = this.wasm.lastTimestamp();
    const at = this.wasm.output();
    return new Uint8Array(this.wasm.memory.buffer, at, length).slice();
  }
}
