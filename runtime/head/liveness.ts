/**
 * The head's failure detector: which nodes have sent nothing for longer than the heartbeat
 * timeout. Time in which the head's own event loop stood still (a long GC pause, a starved CPU)
 * is not counted as the nodes' silence: after such a stall Node.js runs due timers before it reads
 * the sockets, so the nodes' heartbeats of that time are still waiting unread when the check runs.
 * Each check therefore credits every node with the time by which it came later than due (the
 * phi-accrual detectors of Akka and Cassandra guard against the same with their pause tolerance).
 */
import type { NodeEntry } from './node-view.js';

export class Liveness {
  private lastCheck: number;

  /**
   * @param checkMs how often {@link silent} is called (ms)
   * @param timeoutMs a node silent for longer than this (ms) is reported
   */
  constructor(
    private readonly checkMs: number,
    private readonly timeoutMs: number,
    now: number,
  ) {
    this.lastCheck = now;
  }

  /**
   * The live nodes silent for longer than the timeout, each with its silence in ms, at time `now`
   * (ms since the epoch). Moves every node's `lastSeen` later by this check's lateness.
   */
  silent(nodes: Iterable<NodeEntry>, now: number): [NodeEntry, number][] {
    const late = Math.max(0, now - this.lastCheck - this.checkMs);
    this.lastCheck = now;
    const out: [NodeEntry, number][] = [];
    for (const n of nodes) {
      n.lastSeen = Math.min(now, n.lastSeen + late);
      if (n.alive && now - n.lastSeen > this.timeoutMs) out.push([n, now - n.lastSeen]);
    }
    return out;
  }
}
