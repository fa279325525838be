/**
 * The one interface between wrt's core and its host environment. `runtime/platform/node/` and
 * `runtime/platform/browser/` implement it under the same file names; everything else in
 * `runtime/` receives a {@link Platform} and touches no Node built-in and no DOM global.
 */

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
  /** Opens a file for a stream job's file source; absent where there is no file system (browsers). */
  openFile?: OpenFile;
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
