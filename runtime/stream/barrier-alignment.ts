/**
 * Aligned checkpoint barriers at one subtask's input channels (Flink's exactly-once mode,
 * `CheckpointBarrierHandler` with alignment): once a channel has delivered the barrier of
 * checkpoint n, what it sends is held back until every other channel has delivered it too (or
 * ended); then the subtask snapshots, passes the barrier on and goes through what was held. A
 * held channel is blocked, as in Flink: the slot returns a held batch's credit only once the batch
 * has been processed ({@link released}), and stops a sender in the same slot once
 * {@link heldBatches} reaches its credit.
 */
import type { JobGraphEdge } from '../protocol/messages.js';
import type { StreamElement } from './stream-element.js';

/** An element held back, with the channel it came on (edge, upstream subtask) and its index. */
export interface HeldElement {
  edge: JobGraphEdge;
  from: number;
  element: StreamElement;
}

export class BarrierAlignment {
  /** The checkpoint being aligned, or null. */
  private aligning: number | null = null;
  /** Per channel index: whether its barrier has come in this alignment. */
  private seen: boolean[] = [];
  private held: HeldElement[] = [];
  /** Batches held now. */
  heldBatches = 0;
  /** Held batches processed since the slot last looked: their credit is due now. */
  readonly released: { edge: JobGraphEdge; from: number }[] = [];

  /** @param channels the subtask's input channels (their indices are 0 .. channels − 1) */
  constructor(private readonly channels: number) {}

  /** Whether channel `c` is held now (its barrier came, others' not yet). */
  holds(c: number): boolean {
    return this.aligning !== null && this.seen[c] === true;
  }

  /** Holds `element` of a held channel back. */
  hold(d: HeldElement): void {
    this.held.push(d);
    if (d.element.type === 'batch') this.heldBatches++;
  }

  /** A held batch of channel (`edge`, upstream subtask `from`) has been processed: its credit is due. */
  release(edge: JobGraphEdge, from: number): void {
    this.released.push({ edge, from });
  }

  /** The barrier of checkpoint `id` came on channel `c` (starting an alignment when none runs). */
  barrier(id: number, c: number): void {
    if (this.aligning === null) {
      this.aligning = id;
      this.seen = new Array<boolean>(this.channels).fill(false);
    }
    this.seen[c] = true;
  }

  /**
   * Ends the alignment when every channel not `ended` has sent its barrier: returns its checkpoint
   * id and the held elements, in arrival order, to go through again; else null.
   */
  complete(ended: readonly boolean[]): { id: number; held: HeldElement[] } | null {
    if (this.aligning === null || ended.some((e, c) => !e && !this.seen[c])) return null;
    const id = this.aligning;
    this.aligning = null;
    this.heldBatches = 0;
    return { id, held: this.held.splice(0) };
  }
}
