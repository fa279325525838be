/**
 * Actors on a node: each actor owns one slot thread (a {@link SlotWorker}) and its wasm instance
 * there — the actor's state is that instance's linear memory. Calls run strictly one after
 * another in the order they arrived; their arguments may be fetched while earlier calls run.
 * A trap, a memory-cap hit, a deadline or a dead thread ends the actor (its memory cannot be
 * trusted or is gone); the head decides whether it restarts.
 */
import type { Platform } from '../platform/platform.js';
import { SlotWorker, type OperatorCall } from './slot-pool.js';
import { WrtError, ACTOR_ENDING_CODES } from '../errors.js';
import type { GpuRequestHandler } from './gpu-bridge.js';

export class ActorHost {
  private readonly worker: SlotWorker;
  private chain: Promise<unknown> = Promise.resolve();
  dead: WrtError | null = null;
  private deathReported = false;

  constructor(
    readonly actorId: string,
    platform: Platform,
    arena: WebAssembly.Memory,
    private readonly onDeath: (reason: WrtError) => void,
    gpu: GpuRequestHandler | null = null,
  ) {
    this.worker = new SlotWorker(platform, arena, gpu);
    this.worker.onReset = (reason) => this.die(reason, false);
  }

  /**
   * Marks the actor dead at once. When a call killed it, the node reports that call's failure
   * first and then calls {@link reportDeath}, so the head learns both in that order.
   */
  private die(reason: WrtError, byCall: boolean): void {
    if (this.dead) return;
    this.dead = reason;
    void this.worker.close();
    if (!byCall) this.reportDeath();
  }

  /** Tells the node (once) that this actor is dead. */
  reportDeath(): void {
    if (!this.dead || this.deathReported) return;
    this.deathReported = true;
    this.onDeath(this.dead);
  }

  /**
   * Queues one call (the constructor or a method) behind every earlier one. `prepare` runs at once
   * (fetching arguments); the call itself waits its turn.
   */
  enqueue(prepare: Promise<Omit<OperatorCall, 'moduleKey'>>): Promise<Uint8Array> {
    const result = this.chain.then(async () => {
      const call = await prepare;
      if (this.dead) throw new WrtError('WRT_ACTOR_DIED', `actor ${this.actorId} is dead: ${this.dead.message}`);
      try {
        return await this.worker.run({ ...call, moduleKey: this.actorId });
      } catch (err) {
        if (err instanceof WrtError && ACTOR_ENDING_CODES.has(err.code)) this.die(err, true);
        throw err;
      }
    });
    this.chain = result.catch(() => undefined);
    return result;
  }

  /** Ends the actor on request (ActorKill). */
  kill(): void {
    this.die(new WrtError('WRT_ACTOR_DIED', `actor ${this.actorId} was killed`), false);
  }
}
