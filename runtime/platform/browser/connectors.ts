/**
 * What stream connectors reach in a browser tab: nothing. A tab has no file system and cannot open
 * TCP connections to NATS, so file and `nats` sources and sinks placed on a browser node fail with
 * a message saying so (runtime/stream/connectors.ts); generator sources (`nexmark`) and sinks whose
 * output goes to the head run anywhere. Twin of `../node/connectors.ts`.
 */
import type { ConnectorAccess } from '../platform.js';

export const browserConnectors: ConnectorAccess = {};
