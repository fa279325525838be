/** What flows between stream subtasks (batches, watermarks, barriers, idleness, end of input) and what a subtask needs from the slot it runs in. */
import type { JobGraphEdge } from '../protocol/messages.js';
import type { ConnectorAccess } from '../platform/platform.js';

/** A sink hands its part file on in pieces of about this many bytes. */
export const SINK_PIECE_BYTES = 1 << 20;

/** The watermark of a finished input (ms): every window and timer fires. */
export const MAX_WATERMARK = Number.MAX_SAFE_INTEGER;

export type StreamElement =
  | { type: 'batch'; bytes: Uint8Array }
  | { type: 'watermark'; time: number }
  | { type: 'end' }
  /** Checkpoint barrier `id` (ids grow from 1). */
  | { type: 'barrier'; id: number }
  /** The sender went idle (true) or became active again (false). */
  | { type: 'status'; idle: boolean };

/** What a subtask needs from where it runs. */
export interface SubtaskHost {
  /** Instantiates the pipeline's module with `imports` added (a fresh instance per subtask). */
  instantiate(imports: WebAssembly.Imports): WebAssembly.Instance;
  /** Delivers `element` on edge `edge` from subtask `from` to subtask `to` of the edge's target. */
  send(edge: JobGraphEdge, from: number, to: number, element: StreamElement): void;
  /**
   * The next piece of a sink subtask's part file (pieces concatenate to the file; the first starts
   * with the header). `rows` is given with the last piece only: the rows of the whole part.
   * `epoch` is the id of the last checkpoint barrier the sink passed before writing the piece (0:
   * none): the piece belongs to the output committed when a later checkpoint completes.
   */
  sinkOutput(vertexId: string, index: number, bytes: Uint8Array, rows: number | null, epoch: number): void;
  /** The subtask took its snapshot for checkpoint `id` (aligned: every input's barrier had arrived). */
  checkpointed?(vertexId: string, index: number, id: number, state: Uint8Array): void;
  outputCapBytes: number;
  /** What sources and sinks reach outside through (files, NATS); absent in browser nodes. */
  connectors?: ConnectorAccess;
  /** Runs the subtask's slot again soon: a source that had nothing now has data (or failed). */
  wake?: () => void;
}
