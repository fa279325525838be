/**
 * What stream connectors reach in Node: the file system for file sources (`source-file.ts`) and
 * NATS JetStream over TCP (`jetstream.ts`). Twin of `../browser/connectors.ts`.
 */
import type { ConnectorAccess } from '../platform.js';
import { openFile } from './source-file.js';
import { connectJetStream } from './jetstream.js';

export const nodeConnectors: ConnectorAccess = { openFile, connectJetStream };
