/**
 * The shapes of stream connectors: what a source emits per step and what sources and sinks offer
 * their subtask (runtime/stream/connectors.ts makes them; file-source.ts and nats-connector.ts
 * implement them). Apart from connectors.ts so the implementations do not import their factory.
 */
import type { RowBatch } from './row-batch.js';

export interface SourceStep {
  /** Null when nothing was read: the source is done, or (`done` false) it waits for data and will wake its slot. */
  batch: Uint8Array | null;
  /** Event-time high mark of what was emitted so far (ms). */
  maxTimestamp: number;
  done: boolean;
}

export interface StreamSource {
  /**
   * Emits up to `maxRows` rows; never waits. A source whose data arrives asynchronously (NATS)
   * returns no batch when it has none and calls the `wake` it was made with once it has.
   */
  next(maxRows: number): SourceStep;
  /** The replay position, taken at a checkpoint barrier. */
  snapshot(): unknown;
  /** Rewinds a fresh source to a position of {@link snapshot}. */
  restore(state: unknown): void;
}

/** What a sink subtask writes to: its part file, handed out in pieces. */
export interface StreamSink {
  /** Bytes buffered since the last {@link drain} (about; UTF-16 code units for CSV). */
  readonly buffered: number;
  /** Rows written since the job began (restored across restarts). */
  readonly rows: number;
  write(batch: RowBatch): void;
  /** After a restore from a checkpoint of `rows` rows; `freshOutput`: a new part file begins. */
  restore(rows: number, freshOutput?: boolean): void;
  drain(): Uint8Array;
}
