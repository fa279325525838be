/** What the NATS source, sink and committer share: vertex properties, payload formats, the platform's JetStream connector and its errors (runtime/stream/nats-connector.ts says what each property means). */
import type { JobGraphVertex } from '../../protocol/messages.js';
import type { ConnectJetStream, ConnectorAccess } from '../../platform/platform.js';
import { RECORD_FORMATS, type RecordFormat } from '../record-format.js';
import { WrtError } from '../../errors.js';

export const decoder = new TextDecoder();
export const encoder = new TextEncoder();

export interface Split {
  filter: string;
  /** Stream sequence of the next message to read. */
  nextSeq: number;
  /** Bounded: messages left to read; null: unbounded. */
  remaining: number | null;
  /** Largest event time read from this filter (ms). */
  maxTs: number;
}

export function property(v: JobGraphVertex, name: string, what: string): string {
  const value = v.properties?.[name] ?? '';
  if (!value) throw new WrtError('WRT_BAD_JOB_GRAPH', `${what} "${v.id}" (nats): give property "${name}"`);
  return value;
}

export function payloadFormat(v: JobGraphVertex, what: string): RecordFormat {
  const p = v.properties?.payload || 'json';
  if (!(RECORD_FORMATS as readonly string[]).includes(p))
    throw new WrtError(
      'WRT_BAD_JOB_GRAPH',
      `${what} "${v.id}" (nats): property "payload" must be ${RECORD_FORMATS.join(', ')}, got "${p}"`,
    );
  return p as RecordFormat;
}

export function connectorOf(v: JobGraphVertex, access: ConnectorAccess, what: string): ConnectJetStream {
  if (!access.connectJetStream)
    throw new WrtError(
      'WRT_BAD_JOB_GRAPH',
      `${what} "${v.id}" uses NATS, which this platform cannot reach (a browser node); run the job on Node nodes`,
    );
  return access.connectJetStream;
}

/** A connection failure: retryable, so the job restarts from its checkpoint. */
export function connectionError(v: JobGraphVertex, servers: string, err: unknown): WrtError {
  return new WrtError('WRT_CONNECTION', `nats "${v.id}" (${servers}): ${(err as Error)?.message ?? String(err)}`, { retryable: true });
}
