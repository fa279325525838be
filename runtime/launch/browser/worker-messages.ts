/**
 * What a browser node's page and its agent worker (node-worker.ts) tell each other: the page starts
 * the agent and sets what it offers; the worker reports the agent's events.
 */
import type { NodeAgentEvent } from '../../node/node-context.js';

/** page → agent worker. `offer`: slots to offer the head (0 pauses; -1 all). */
export type ToAgent =
  | { type: 'start'; address: string; token: string; role: 'node' | 'volunteer'; cpus?: number; name?: string }
  | { type: 'offer'; cpus: number }
  | { type: 'stop' };

/** agent worker → page. `started`: the agent registered with `cpus` slots. */
export type FromAgent =
  { type: 'started'; nodeId: string; cpus: number } | { type: 'event'; event: NodeAgentEvent } | { type: 'error'; message: string };
