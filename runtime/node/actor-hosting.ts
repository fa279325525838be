/**
 * The actors a node hosts (each an {@link ActorHost}: a slot thread of its own whose wasm instance
 * is the actor's state): creation, calls in arrival order (through the head, or made directly by
 * the owner's driver: ADR 0009), kills, and the `ActorState Dead` report to the head when an
 * actor's instance dies (trap, deadline, dead thread).
 */
import type { MessageOf } from '../protocol/messages.js';
import { WrtError } from '../errors.js';
import { ActorHost } from './actor-host.js';
import { macrotask } from '../platform/macrotask.js';
import type { GpuRequestHandler } from './gpu-bridge.js';
import type { OperatorCall } from './slot-pool.js';
import type { NodeContext } from './node-context.js';
import type { TaskRunner } from './task-runner.js';

/**
 * Actor threads booting at once. Starting a thread costs the node's main thread a few
 * milliseconds and its boot tens of milliseconds of CPU; a burst of hundreds of creations started
 * together kept the node's loop from sending heartbeats for over 5 s, and the head declared the
 * node lost. Started a few at a time, the rest wait (their calls queue behind their creation).
 */
export const MAX_BOOTING_ACTORS = 2;

/** A turn of the loop (between actor starts). */
const nextTurn = macrotask();

type Deploy = MessageOf<'DeployTask'>;
/** Where a call's `TaskStatus` goes: the head, or the driver that called directly. */
type Reply = (m: MessageOf<'TaskStatus'>) => void;

/** A live actor: its thread, and its creation (whose module and limits its direct calls run with). */
interface Hosted {
  host: ActorHost;
  creation: Deploy;
}

export class ActorHosting {
  private readonly actors = new Map<string, Hosted>();
  /** Actors created and not yet started, in creation order. */
  private readonly toStart: ActorHost[] = [];
  private booting = 0;

  constructor(
    private readonly ctx: NodeContext,
    private readonly tasks: TaskRunner,
    private readonly serveGpu: GpuRequestHandler,
  ) {}

  /** Actor creation (`ActorCreate`), calls (`ActorCall`) and kills (`ActorKill`). */
  handle(d: MessageOf<'DeployTask'>): void {
    const { ctx } = this;
    if (d.kind === 'ActorKill') {
      this.actors.get(d.actorId)?.host.kill();
      this.actors.delete(d.actorId);
      return;
    }
    let actor = this.actors.get(d.actorId)?.host;
    if (d.kind === 'ActorCreate') {
      actor?.kill();
      actor = new ActorHost(
        d.actorId,
        ctx.platform,
        ctx.store.memory,
        (reason) => {
          this.actors.delete(d.actorId);
          ctx.send({
            type: 'ActorState',
            actorId: d.actorId,
            state: 'Dead',
            nodeId: ctx.nodeId(),
            message: `${reason.code}: ${reason.message}`,
            restarts: 0,
          });
        },
        this.serveGpu,
      );
      this.actors.set(d.actorId, { host: actor, creation: d });
      this.toStart.push(actor);
      this.startSome();
    }
    this.run(d, actor, (m) => ctx.send(m));
  }

  /**
   * A call the actor's owner made directly (ADR 0009; the listener checked its route): runs in
   * arrival order with the calls from the head, with the limits of the actor's creation; the
   * result, inline whatever its size, and any failure go to `reply`.
   */
  directCall(m: MessageOf<'ActorCall'>, reply: Reply): void {
    this.ctx.counters.directCalls++;
    const hosted = this.actors.get(m.actorId);
    const d: Deploy = {
      ...(hosted?.creation ?? {
        type: 'DeployTask',
        jobId: '',
        moduleHash: '',
        module: new Uint8Array(0),
        partitions: 0,
        maxMemoryBytes: 0,
        deadlineMs: 0,
        gpus: 0,
      }),
      taskId: `${m.actorId}/call-${m.returnId}`,
      operator: m.method,
      inputs: [],
      inlineInput: null,
      output: 'head',
      args: m.args,
      returnId: m.returnId,
      actorId: m.actorId,
      kind: 'ActorCall',
    };
    this.run(d, hosted?.host, reply);
  }

  /** Whether actor `actorId` lives here now. */
  hosts(actorId: string): boolean {
    return this.actors.has(actorId);
  }

  private run(d: Deploy, actor: ActorHost | undefined, reply: Reply): void {
    const { ctx } = this;
    if (!actor) {
      this.tasks.failTask(d, new WrtError('WRT_ACTOR_DIED', `actor ${d.actorId} is not on node ${ctx.nodeId()}`), reply);
      return;
    }
    const temporary: string[] = [];
    let prepare: Promise<OperatorCall> | OperatorCall;
    try {
      prepare = this.tasks.prepareCall(d, temporary);
    } catch (err) {
      prepare = Promise.reject(err instanceof Error ? err : new WrtError('WRT_INVALID_ARGUMENT', String(err)));
    }
    ctx.counters.running++;
    actor
      .enqueue(prepare)
      .then(
        (output) => {
          ctx.counters.tasksFinished++;
          this.tasks.finishWithResult(d, output, 0, reply);
        },
        (err) => {
          this.tasks.failTask(d, err, reply);
          actor.reportDeath();
        },
      )
      .finally(() => {
        ctx.objects.releaseHeld(temporary);
        ctx.counters.running--;
      });
  }

  /** Starts waiting actors' threads while fewer than {@link MAX_BOOTING_ACTORS} are booting. */
  private startSome(): void {
    while (this.booting < MAX_BOOTING_ACTORS && this.toStart.length > 0) {
      const actor = this.toStart.shift()!;
      if (actor.dead) continue;
      this.booting++;
      actor.start(() => {
        this.booting--;
        // A turn of the loop between starts: heartbeats and messages go out in between.
        nextTurn(() => this.startSome());
      });
    }
  }

  /** Kills every actor (the node is stopping). */
  killAll(): void {
    for (const a of this.actors.values()) a.host.kill();
    this.actors.clear();
    this.toStart.length = 0;
  }
}
