/**
 * The one interface between wrt's core and its host environment. `runtime/platform/node/` and
 * `runtime/platform/browser/` implement it under the same file names; everything else in
 * `runtime/` receives a {@link Platform} and touches no Node built-in and no DOM global.
 */
import type { Message } from '../protocol/messages.js';

/** A message-oriented, ordered, reliable connection (a WebSocket) carrying binary frames. */
export interface Connection {
  /**
   * Sends one message (an `encodeMessage` result); messages of one event-loop turn share a frame
   * (`encodeFrame`). Messages sent after close are dropped.
   */
  send(message: Uint8Array): void;
  /** Closes the connection; `code` is a WebSocket close code (1000 normal, 1002 protocol error). */
  close(code?: number, reason?: string): void;
  /** Bytes queued but not yet sent (for back-pressure). */
  readonly bufferedAmount: number;
  /** Called for each received frame (one or more messages: `decodeFrame`). */
  onMessage: ((frame: Uint8Array) => void) | null;
  /** Called once when the connection closes, for whatever reason. */
  onClose: ((reason: string) => void) | null;
  /** A label for logs (peer address). */
  readonly peer: string;
  /**
   * In-memory connections only (memory-connection.ts): sends a message object as it is, without
   * encoding it, when the peer takes objects ({@link onMessages}); use `sendMessage` of
   * protocol/codec.ts, which falls back to {@link send}. The sender must not change the message
   * or the buffers it holds afterwards.
   */
  sendObject?(message: Message): void;
  /**
   * Set by receivers that take message objects: an in-memory connection calls it instead of
   * {@link onMessage}, with the messages of one turn in order.
   */
  onMessages?: ((messages: Message[]) => void) | null;
}

/** A worker thread (Node `worker_threads` or a Web Worker) running `slot-entry`. */
export interface SlotThread {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  onMessage: ((message: unknown) => void) | null;
  /** Called when the thread dies from an uncaught error. */
  onError: ((error: Error) => void) | null;
  /** Stops the thread at once, even in the middle of a wasm call. */
  terminate(): Promise<void>;
}

/** What a slot thread sees of its parent. */
export interface SlotParent {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  onMessage(handler: (message: unknown) => void): void;
  /**
   * Takes the next message from the parent without waiting, if one has arrived (it is then not
   * given to the `onMessage` handler); undefined when none has. Absent where the platform cannot
   * (browsers): task slots then wait for messages in their event loop only.
   */
  poll?(): unknown;
  /** What stream connectors of the slot's jobs reach outside the sandbox through. */
  connectors?: ConnectorAccess;
}

/**
 * What stream connectors (runtime/stream/connectors.ts) reach outside the sandbox through; a member
 * is absent where the platform has none (a browser node has no file system and no NATS over TCP).
 */
export interface ConnectorAccess {
  /** Files of file sources. */
  openFile?: OpenFile;
  /** NATS JetStream, for `nats` sources and sinks. */
  connectJetStream?: ConnectJetStream;
}

/** A file opened for reading by a source (runtime/stream/file-source.ts). Synchronous: sources run inside a slot's turn. */
export interface SourceFile {
  /** Bytes. */
  readonly size: number;
  /** Up to `length` bytes from byte `offset` (fewer only at the end). */
  read(offset: number, length: number): Uint8Array;
  close(): void;
}

/** @throws Error (the platform's) when the file cannot be opened. */
export type OpenFile = (path: string) => SourceFile;

/** A message of a JetStream stream. */
export interface JetStreamMessage {
  /** The stream sequence number (from 1). */
  seq: number;
  subject: string;
  data: Uint8Array;
  /** When the stream stored it, ms since the epoch. */
  timestampMs: number;
}

/**
 * One subject filter of a JetStream stream read in stream order from a start sequence (an ordered
 * consumer without acks: the reader's position is the reader's own business, kept in checkpoints).
 * Messages are fetched ahead into a bounded buffer; the buffer refills as {@link take} empties it.
 */
export interface JetStreamReader {
  /** Messages matching the filter at or after the start sequence when the reader opened. */
  readonly pendingAtOpen: number;
  /** Up to `max` buffered messages, in order; none when nothing has arrived (it does not wait). */
  take(max: number): JetStreamMessage[];
  /** Called when messages arrive while the buffer was empty, and when the reader fails. */
  onReady: (() => void) | null;
  /** Why the reader stopped (the connection closed, the stream went away), once it has. */
  readonly error: Error | null;
  close(): void;
}

/** A connection to a NATS server with JetStream. */
export interface JetStreamLink {
  /**
   * Opens a reader of `stream`'s messages on `filter` (a subject, wildcards allowed) from stream
   * sequence `startSeq` on.
   * @throws Error when the stream does not exist.
   */
  read(stream: string, filter: string, startSeq: number): Promise<JetStreamReader>;
  /**
   * Publishes one message and waits for the stream's acknowledgement. `msgId` goes in the
   * `Nats-Msg-Id` header: the stream drops a second message of one id within its duplicate window
   * (`duplicate` is then true).
   * @throws Error when no stream takes `subject`, or on timeout.
   */
  publish(subject: string, data: Uint8Array, msgId: string): Promise<{ seq: number; duplicate: boolean }>;
  close(): Promise<void>;
}

/**
 * Connects to the NATS servers `servers` (comma-separated `nats://host:port` URLs).
 * @throws Error when none can be reached.
 */
export type ConnectJetStream = (servers: string) => Promise<JetStreamLink>;

/**
 * Where a node's object store spills objects when its arena is full (Node: files). Synchronous:
 * the store spills and restores inside an allocation.
 */
export interface SpillStorage {
  /** Stores `bytes` as object `id`, replacing nothing (ids are unique). */
  write(id: string, bytes: Uint8Array): void;
  /** Reads object `id` into `into` (exactly its length). @throws WrtError `WRT_OBJECT_LOST` */
  read(id: string, into: Uint8Array): void;
  /** Deletes object `id`; unknown ids are ignored. */
  remove(id: string): void;
  /** Deletes everything (the node is stopping). */
  close(): void;
}

/** The host's WebGPU entry point, or why it has none. */
export type GpuLookup = { gpu: GPU; note: string } | { gpu: null; reason: string };

export interface Platform {
  readonly kind: 'node' | 'browser';
  /** Opens a WebSocket to `url` (ws:// or wss://); rejects with `WRT_CONNECTION` on failure. */
  connect(url: string): Promise<Connection>;
  /**
   * Opens a WebSocket without the head's handshake: a node's direct-call listener (ADR 0009), which
   * checks a route instead. Set by `withCredential` to the platform's own `connect`; absent where
   * drivers make no direct calls.
   */
  connectDirect?(url: string): Promise<Connection>;
  /** Starts one slot thread. */
  spawnSlot(): SlotThread;
  /** Logical CPUs the host offers. */
  hardwareConcurrency(): number;
  /** Memory the host offers, in bytes (an estimate in the browser). */
  totalMemoryBytes(): number;
  /** A default name for this node (host name and pid, or "browser-…"). */
  defaultNodeName(): string;
  /**
   * The host's WebGPU entry point (`navigator.gpu`, or Dawn's in Node), looked up once. An
   * adapter is not requested here; `null` with a reason when WebGPU is missing or disabled.
   */
  gpu(): Promise<GpuLookup>;
  /**
   * Spill storage for the node called `nodeName` (Node: files in `dir`, by default a directory
   * under the OS temp directory), or `null` where there is none (browsers).
   */
  spillStorage(nodeName: string, dir?: string): SpillStorage | null;
  /** Writes one diagnostic line (stderr in Node, console in the browser). */
  log(line: string): void;
}
