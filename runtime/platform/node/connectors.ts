/**
 * What stream connectors reach in Node: the file system for file sources (`source-file.ts`) and
 * NATS JetStream over TCP (`jetstream.ts`). Twin of `../browser/connectors.ts`.
 */
import type { ConnectorAccess } from '../platform.js';
import { openFile } from './source-file.js';
import type { ConnectJetStream } from '../platform.js';

/** The NATS client loads with the first JetStream connector a job opens, not with the slot. */
export const connectJetStream: ConnectJetStream = async (servers) => (await import('./jetstream.js')).connectJetStream(servers);

export const nodeConnectors: ConnectorAccess = { openFile, connectJetStream };
