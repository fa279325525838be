/**
 * The sending side of one channel between slots (credit-based flow control, stream-slot.ts):
 * a batch leaves only while the sender has credit; one that finds none waits, and everything after
 * it waits behind it, so the channel keeps its order.
 */
import type { StreamElement } from './stream-element.js';

/** Credits left on one channel, and the elements that wait for more. */
export class OutboundChannel {
  private readonly waiting: StreamElement[] = [];

  constructor(
    private credits: number,
    private readonly post: (element: StreamElement) => void,
  ) {}

  /** A batch (and what follows it) waits for credit. */
  get blocked(): boolean {
    return this.waiting.length > 0;
  }

  send(element: StreamElement): void {
    if (this.waiting.length > 0 || (element.type === 'batch' && this.credits === 0)) {
      this.waiting.push(element);
      return;
    }
    if (element.type === 'batch') this.credits--;
    this.post(element);
  }

  grant(credits: number): void {
    this.credits += credits;
    while (this.waiting.length > 0) {
      const e = this.waiting[0]!;
      if (e.type === 'batch') {
        if (this.credits === 0) return;
        this.credits--;
      }
      this.waiting.shift();
      this.post(e);
    }
  }
}
