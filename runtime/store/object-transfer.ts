/**
 * Moving an object's bytes between a holder and a requester (node ↔ node, node → driver, and a
 * driver's large put → node), relayed by the head.
 *
 * Flow control is credit-based, as in Flink's network stack since Flink 1.5 (FLINK-7282): the
 * requester asks for byte ranges (`ObjectPull` with `offset`/`length`)
 * and the holder sends exactly those bytes as `ObjectChunk`s of at most {@link OBJECT_CHUNK_BYTES}
 * and nothing more. A requester keeps at most `windowBytes` asked-for-but-not-received bytes
 * outstanding and asks for more as chunks land, so a slow receiver (or a slow link) holds the
 * sender back instead of the head or a socket buffering a whole object. The holder keeps no state
 * between requests (each range is looked up afresh), so nothing needs cleaning when a requester
 * goes away. Format and sequence: docs/object-transfer.md.
 */
import type { FailureRecord } from '../errors.js';
import { WrtError } from '../errors.js';
import type { MessageOf } from '../protocol/messages.js';

/** Largest `ObjectChunk` payload, in bytes. */
export const OBJECT_CHUNK_BYTES = 1 << 20;
/**
 * Objects put by drivers up to this many bytes stay on the head, which never refuses them: the
 * driver holds them as ready from the put on (as Ray's `max_direct_call_object_size`, 100 KiB).
 */
export const INLINE_PUT_BYTES = 100 * 1024;
/** Bytes a requester may have asked for and not yet received, per object. */
export const PULL_WINDOW_BYTES = 8 * OBJECT_CHUNK_BYTES;

type Pull = MessageOf<'ObjectPull'>;
type Chunk = MessageOf<'ObjectChunk'>;

/**
 * One object being received. `allocate(totalBytes)` is called once, when the first chunk tells the
 * size, and returns where the bytes go (a store block or a plain array); `send` carries the
 * range requests. Settles `done` with that buffer, or rejects with the holder's failure.
 */
export class InboundPull {
  readonly done: Promise<Uint8Array>;
  private resolve!: (b: Uint8Array) => void;
  private reject!: (e: Error) => void;
  private buffer: Uint8Array | null = null;
  private total = -1;
  private received = 0;
  /** End of the bytes asked for so far. */
  private requested = 0;
  private settled = false;

  constructor(
    private readonly pull: Omit<Pull, 'type' | 'offset' | 'length'>,
    private readonly send: (m: Pull) => void,
    private readonly allocate: (totalBytes: number) => Uint8Array,
    private readonly windowBytes = PULL_WINDOW_BYTES,
  ) {
    if (!(windowBytes >= OBJECT_CHUNK_BYTES))
      throw new WrtError('WRT_INVALID_ARGUMENT', `pull window ${windowBytes} is smaller than a chunk`);
    this.done = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  /** Asks for the first window (the size is not known until the first chunk). */
  start(): this {
    this.ask(0, this.windowBytes);
    return this;
  }

  /** Bytes asked for and not yet received (never more than the window). */
  get outstandingBytes(): number {
    return this.requested - this.received;
  }

  /** Takes one chunk; returns true once the pull has settled (finished or failed). */
  onChunk(c: Chunk): boolean {
    if (this.settled) return true;
    if (c.failure) return this.fail(new WrtError(c.failure.code, c.failure.message, { retryable: c.failure.retryable }));
    try {
      if (this.total < 0) {
        this.total = c.totalBytes;
        this.requested = Math.min(this.requested, this.total);
        this.buffer = this.allocate(this.total);
      }
      if (c.totalBytes !== this.total || c.offset + c.data.byteLength > this.total)
        throw new WrtError(
          'WRT_PROTOCOL',
          `chunk [${c.offset}, +${c.data.byteLength}) does not fit object ${c.objectId} of ${this.total} bytes`,
        );
      this.buffer!.set(c.data, c.offset);
      this.received += c.data.byteLength;
    } catch (err) {
      return this.fail(err as Error);
    }
    if (this.received >= this.total) {
      this.settled = true;
      this.resolve(this.buffer!);
      return true;
    }
    // Refill once half the window has landed: fewer requests than one per chunk, never over credit.
    if (this.requested < this.total && this.outstandingBytes <= this.windowBytes / 2)
      this.ask(this.requested, Math.min(this.windowBytes - this.outstandingBytes, this.total - this.requested));
    return false;
  }

  /** Ends the pull with `err` (the connection went away, the object was lost). */
  fail(err: Error): true {
    if (!this.settled) {
      this.settled = true;
      this.reject(err);
    }
    return true;
  }

  private ask(offset: number, length: number): void {
    this.requested = offset + length;
    this.send({ type: 'ObjectPull', ...this.pull, offset, length });
  }
}

/**
 * Answers one range request from `bytes` (the whole object): chunks of at most
 * {@link OBJECT_CHUNK_BYTES} covering [offset, min(offset + length, size)). A request that starts
 * past the end gets a `WRT_PROTOCOL` failure.
 */
export function serveRange(bytes: Uint8Array, req: Pull, send: (c: Chunk) => void): void {
  const base = { type: 'ObjectChunk' as const, requestId: req.requestId, objectId: req.objectId, requester: req.requester };
  if (req.offset > bytes.byteLength || req.length < 0) {
    const failure: FailureRecord = {
      code: 'WRT_PROTOCOL',
      message: `range [${req.offset}, +${req.length}) is outside object ${req.objectId} of ${bytes.byteLength} bytes`,
      retryable: false,
    };
    send({ ...base, offset: 0, totalBytes: bytes.byteLength, data: new Uint8Array(0), failure });
    return;
  }
  const end = Math.min(bytes.byteLength, req.offset + req.length);
  let offset = req.offset;
  do {
    const next = Math.min(end, offset + OBJECT_CHUNK_BYTES);
    send({ ...base, offset, totalBytes: bytes.byteLength, data: bytes.subarray(offset, next), failure: null });
    offset = next;
  } while (offset < end);
}

/** The `ObjectChunk` that fails a pull with `failure`. */
export function failedChunk(req: Pick<Pull, 'requestId' | 'objectId' | 'requester'>, failure: FailureRecord): Chunk {
  return {
    type: 'ObjectChunk',
    requestId: req.requestId,
    objectId: req.objectId,
    requester: req.requester,
    offset: 0,
    totalBytes: 0,
    data: new Uint8Array(0),
    failure,
  };
}

/** Whether `c` is the last chunk its holder sends for its request (the end of the object, or a failure). */
export function endsObject(c: Chunk): boolean {
  return c.failure !== null || c.offset + c.data.byteLength >= c.totalBytes;
}
