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

interface PendingCall {
  /** Set once the call's preparation (fetching arguments) has settled. */
  prepared: { call: Omit<OperatorCall, 'moduleKey'> } | { error: unknown } | null;
  resolve: (output: Uint8Array) => void;
  reject: (err: unknown) => void;
}

export class ActorHost {
  /** The actor's thread, once {@link start} made it (a node starts actor threads a few at a time). */
  private worker: SlotWorker | null = null;
  /** Told once the thread has booted or the actor died first (frees the node's start gate). */
  private booted: (() => void) | null = null;
  /** Calls whose arguments are still being fetched, or that wait for an earlier such call. */
  private readonly pending: PendingCall[] = [];
  dead: WrtError | null = null;
  private deathReported = false;

  constructor(
    readonly actorId: string,
    private readonly platform: Platform,
    private readonly arena: WebAssembly.Memory,
    private readonly onDeath: (reason: WrtError) => void,
    private readonly gpu: GpuRequestHandler | null = null,
  ) {}

  /**
   * Starts the actor's thread; calls enqueued before wait for it. `booted` is called once, when the
   * thread can take calls or the actor died before that.
   */
  start(booted: () => void): void {
    if (this.worker || this.dead) {
      booted();
      return;
    }
    this.booted = booted;
    this.worker = new SlotWorker(this.platform, this.arena, this.gpu);
    this.worker.onReset = (reason) => this.die(reason, false);
    this.worker.onReady = () => this.bootEnded();
    this.drain();
  }

  private bootEnded(): void {
    const booted = this.booted;
    this.booted = null;
    booted?.();
  }

  /**
   * Marks the actor dead at once. When a call killed it, the node reports that call's failure
   * first and then calls {@link reportDeath}, so the head learns both in that order.
   */
  private die(reason: WrtError, byCall: boolean): void {
    if (this.dead) return;
    this.dead = reason;
    void this.worker?.close(this.deadError());
    this.bootEnded();
    this.drain();
    if (!byCall) this.reportDeath();
  }

  private deadError(): WrtError {
    return new WrtError('WRT_ACTOR_DIED', `actor ${this.actorId} is dead: ${this.dead!.message}`);
  }

  /** Tells the node (once) that this actor is dead. */
  reportDeath(): void {
    if (!this.dead || this.deathReported) return;
    this.deathReported = true;
    this.onDeath(this.dead);
  }

  /**
   * Queues one call (the constructor or a method) behind every earlier one. `prepare` runs at once
   * (fetching arguments), or is the call itself when it needed nothing fetched; the call goes to
   * the actor's thread once it and every earlier call have been prepared, so calls run in the
   * order they were enqueued.
   */
  enqueue(prepare: Promise<Omit<OperatorCall, 'moduleKey'>> | Omit<OperatorCall, 'moduleKey'>): Promise<Uint8Array> {
    return new Promise<Uint8Array>((resolve, reject) => {
      if (!(prepare instanceof Promise)) {
        this.pending.push({ prepared: { call: prepare }, resolve, reject });
        this.drain();
        return;
      }
      const p: PendingCall = { prepared: null, resolve, reject };
      this.pending.push(p);
      prepare.then(
        (call) => {
          p.prepared = { call };
          this.drain();
        },
        (error: unknown) => {
          p.prepared = { error };
          this.drain();
        },
      );
    });
  }

  /** Hands the prepared calls at the front of the line to the thread, in order. */
  private drain(): void {
    if (!this.worker && !this.dead) return;
    while (this.pending.length > 0 && (this.pending[0]!.prepared || this.dead)) {
      const p = this.pending.shift()!;
      if (this.dead) p.reject(this.deadError());
      else if ('error' in p.prepared!) p.reject(p.prepared.error);
      else
        this.worker!.run({ ...p.prepared!.call, moduleKey: this.actorId }).then(p.resolve, (err: unknown) => {
          if (err instanceof WrtError && ACTOR_ENDING_CODES.has(err.code)) this.die(err, true);
          p.reject(err);
        });
    }
  }

  /** Ends the actor on request (ActorKill). */
  kill(): void {
    this.die(new WrtError('WRT_ACTOR_DIED', `actor ${this.actorId} was killed`), false);
  }
}
