/**
 * What batch and stream jobs need of the head (JobHost: the ledger, sending to nodes and the
 * client, module caching, logging, volunteers) and the limits they share.
 */
import type { Message } from '../protocol/messages.js';
import type { ResourceLedger } from './resource-ledger.js';
import type { VolunteerPool } from './volunteer-pool.js';
import type { HeldObjectStore } from './batch-held.js';

/** How long a job waits with no live node before it fails, in milliseconds. */
export const NO_NODE_GRACE_MS = 10_000;

/** The ledger key of a batch subtask attempt (`SUBTASK#ATTEMPT`, as in its TaskStatus's `taskId`). */
export function batchGrantKey(attemptId: string): string {
  return `batch:${attemptId}`;
}

/** What a job needs from the head. */
export interface JobHost extends HeldObjectStore {
  /** The cluster's one ledger: placed subtasks hold grants in it (keys `batch:SUBTASK#ATTEMPT`, `stream:…`). */
  ledger: ResourceLedger;
  /** Sends to a node. */
  sendToNode(nodeId: string, m: Message): void;
  sendToClient(m: Message): void;
  nodeName(nodeId: string): string;
  /** True the first time a node is asked for `hash` (the module must then travel with the task). */
  needsModule(nodeId: string, hash: string): boolean;
  log(line: string): void;
  /** The head's volunteers (absent: this head gives volunteers no work). */
  volunteers?: VolunteerPool;
}
