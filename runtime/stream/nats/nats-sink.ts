/** Format `nats` sink subtask: rows become message payloads, framed into the sink's pieces and published by the head once a checkpoint covers them (runtime/stream/nats-connector.ts). */
import type { JobGraphVertex } from '../../protocol/messages.js';
import type { RowBatch } from '../row-batch.js';
import { RecordWriter } from '../record-format.js';
import type { StreamSink } from '../connector-types.js';
import { encodeFrame, splitFrame } from '../../protocol/codec.js';
import { encoder, payloadFormat, property } from './properties.js';

/** Sink messages travel to the head as frames: a u32 (little-endian) byte length, then the payload (codec.ts's framing). */
export const frameMessages: (payloads: readonly Uint8Array[]) => Uint8Array = encodeFrame;

/** The payloads of {@link frameMessages}' bytes. @throws WrtError `WRT_PROTOCOL` for a cut frame. */
export function unframeMessages(bytes: Uint8Array): Uint8Array[] {
  return splitFrame(bytes, 'NATS sink piece');
}

/** Format `nats` sink subtask: each row becomes one message payload, held until {@link drain}. */
export class NatsSink implements StreamSink {
  private readonly writer: RecordWriter;
  private payloads: Uint8Array[] = [];
  buffered = 0;
  rows = 0;

  /** @throws WrtError `WRT_BAD_JOB_GRAPH` for missing or bad properties. */
  constructor(v: JobGraphVertex) {
    property(v, 'servers', 'sink');
    property(v, 'subject', 'sink');
    this.writer = new RecordWriter(payloadFormat(v, 'sink'), v.columns ?? [], `sink "${v.id}" (nats)`);
  }

  write(batch: RowBatch): void {
    for (let r = 0; r < batch.rows; r++) {
      const p = encoder.encode(this.writer.write(batch.row(r)));
      this.payloads.push(p);
      this.buffered += p.byteLength + 4;
    }
    this.rows += batch.rows;
  }

  restore(rows: number): void {
    this.payloads = [];
    this.buffered = 0;
    this.rows = rows;
  }

  drain(): Uint8Array {
    const bytes = frameMessages(this.payloads);
    this.payloads = [];
    this.buffered = 0;
    return bytes;
  }
}
