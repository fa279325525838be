/**
 * The head's actor manager (the role of Ray's GCS actor manager): an actor lives on one node,
 * placed through the ledger once its constructor arguments exist; its calls are sent there in
 * submission order, each once its arguments exist; when it dies, calls in flight fail with
 * `WRT_ACTOR_DIED` and it restarts up to `maxRestarts` times, its constructor run again with the
 * original arguments. Named actors are found by name.
 */
import { copyBytes } from '../store/small-copy.js';
import type { MessageOf, TaskArg, ActorLifecycle } from '../protocol/messages.js';
import { ACTOR_ENDING_CODES } from '../errors.js';
import type { Resources } from './resources.js';
import { requirementOf, type TaskContext } from './task-context.js';
import { nameProblem } from '../protocol/names.js';
import { ROUTE_TICKET_TTL_MS } from '../protocol/route-ticket.js';

interface ActorRecord {
  spec: MessageOf<'CreateActor'>;
  owner: string;
  state: ActorLifecycle;
  nodeId: string;
  restarts: number;
  requirement: Resources;
  /** The requirement as a key: actors with equal keys form one scheduling class. */
  schedulingClass: string;
  /** Calls not yet sent to the node, in order. */
  queue: MessageOf<'ActorCall'>[];
  /** Calls sent and not finished: return id → arguments (released when the call ends). */
  inFlight: Map<string, TaskArg[]>;
  /**
   * A call of this incarnation failed with an actor-ending code and the node's `ActorState Dead`
   * has not arrived yet: later calls wait in `queue` so they reach the restarted instance.
   */
  ending: boolean;
}

/** One actor as `GET /api/v1/actors` lists it. */
export interface ActorView {
  actorId: string;
  /** Its registered name ('' for none). */
  name: string;
  /** The constructor export. */
  className: string;
  state: ActorLifecycle;
  /** Its node ('' while not placed). */
  nodeId: string;
  restarts: number;
  /** Calls queued and in flight. */
  pendingCalls: number;
}

export class ActorManager {
  private readonly actors = new Map<string, ActorRecord>();
  /** Actor restarts since the head started (a Prometheus counter). */
  restartsTotal = 0;
  private readonly actorNames = new Map<string, string>();
  /** Actor-call return id → actor id. */
  private readonly callActor = new Map<string, string>();
  /**
   * Actors waiting for a node, by scheduling class, in the order they began to wait (as Ray's GCS
   * queues pending actors per scheduling class): a retry stops at a class's first actor that finds
   * no room, so ten thousand waiting actors cost one placement try per class, not one each.
   */
  private readonly unplaced = new Map<string, Set<ActorRecord>>();
  /** Live actors whose next call waits for its arguments. */
  private readonly waitingCalls = new Set<ActorRecord>();

  constructor(private readonly ctx: TaskContext) {
    ctx.onDrop((id) => this.callActor.delete(id));
  }

  createActor(driver: string, m: MessageOf<'CreateActor'>): void {
    const badName = m.name ? nameProblem('actor name', m.name) : null;
    if (badName) {
      this.ctx.host.sendToDriver(driver, {
        type: 'ActorState',
        actorId: m.actorId,
        state: 'Dead',
        nodeId: '',
        message: `WRT_INVALID_ARGUMENT: ${badName}`,
        restarts: 0,
      });
      return;
    }
    if (m.name && this.actorNames.has(m.name)) {
      this.ctx.host.sendToDriver(driver, {
        type: 'ActorState',
        actorId: m.actorId,
        state: 'Dead',
        nodeId: '',
        message: `WRT_INVALID_ARGUMENT: an actor named "${m.name}" already exists`,
        restarts: 0,
      });
      return;
    }
    const a: ActorRecord = {
      spec: m,
      owner: driver,
      state: 'Pending',
      nodeId: '',
      restarts: 0,
      requirement: requirementOf(m.options, 0),
      schedulingClass: '',
      queue: [],
      inFlight: new Map(),
      ending: false,
    };
    a.schedulingClass = JSON.stringify(Object.entries(a.requirement).sort(([x], [y]) => (x < y ? -1 : 1)));
    this.actors.set(m.actorId, a);
    if (m.name) this.actorNames.set(m.name, m.actorId);
    for (const arg of m.args) if (arg.objectId) this.ctx.objects.retain(arg.objectId);
    const infeasible = this.ctx.infeasible(a.requirement);
    if (infeasible) return this.actorDead(a, `WRT_INFEASIBLE: actor ${m.initFunction}: ${infeasible}`);
    this.placeActor(a);
  }

  actorCall(driver: string, m: MessageOf<'ActorCall'>): void {
    this.ctx.objects.create(m.returnId, driver, null);
    for (const a of m.args) if (a.objectId) this.ctx.objects.retain(a.objectId);
    this.callActor.set(m.returnId, m.actorId);
    const a = this.actors.get(m.actorId);
    if (!a || a.state === 'Dead') {
      this.ctx.failCall(m.returnId, m.args, { code: 'WRT_ACTOR_DIED', message: `actor ${m.actorId} is dead`, retryable: false });
      return;
    }
    a.queue.push(m);
    this.flushActor(a);
  }

  lookupActor(driver: string, m: MessageOf<'LookupActor'>): void {
    const id = this.actorNames.get(m.name) ?? '';
    const a = this.actors.get(id);
    this.ctx.host.sendToDriver(driver, {
      type: 'ActorInfo',
      requestId: m.requestId,
      actorId: a ? id : '',
      moduleId: a?.spec.moduleId ?? '',
      state: a?.state ?? 'Dead',
    });
  }

  /** The actor a status is for: an actor call's (by return id) or a constructor's (`ACTOR/ctor#N`), else undefined. */
  actorOf(s: MessageOf<'TaskStatus'>): string | undefined {
    return this.callActor.get(s.returnId) ?? (s.taskId.includes('/ctor') ? s.taskId.split('/ctor')[0] : undefined);
  }

  /** A node says an actor of its died (trap, deadline, dead thread). */
  actorDied(nodeId: string, m: MessageOf<'ActorState'>): void {
    const a = this.actors.get(m.actorId);
    if (a && a.nodeId === nodeId && a.state !== 'Dead') this.actorLost(a, m.message);
  }

  /** A node is gone: its actors restart elsewhere or die. */
  nodeLost(nodeId: string): void {
    for (const a of this.actors.values())
      if (a.nodeId === nodeId && a.state !== 'Dead') this.actorLost(a, `WRT_NODE_LOST: node ${nodeId} was lost`);
  }

  /** Kills the actors of a driver that left. */
  driverGone(driver: string): void {
    for (const a of [...this.actors.values()]) if (a.owner === driver) this.killActor(a);
  }

  /**
   * Places `a` on a node with room, or leaves it waiting in its scheduling class: 'placed', 'args'
   * (a constructor argument does not exist yet) or 'room' (no node has room for its class now).
   */
  private placeActor(a: ActorRecord): 'placed' | 'args' | 'room' {
    let waiting = this.unplaced.get(a.schedulingClass);
    if (!waiting) this.unplaced.set(a.schedulingClass, (waiting = new Set()));
    waiting.add(a);
    if (a.spec.args.some((x) => x.objectId && this.ctx.objects.get(x.objectId)?.state === 'pending')) return 'args'; // placed once they exist
    const nodeId = this.ctx.pick(a.requirement, a.spec.args, 'actor');
    if (!nodeId) {
      a.state = a.state === 'Restarting' ? 'Restarting' : 'Pending';
      return 'room'; // placed when capacity appears (see retryActors)
    }
    this.stopWaiting(a);
    a.nodeId = nodeId;
    this.ctx.host.ledger.grant(`actor:${a.spec.actorId}`, nodeId, a.requirement, 'actor');
    const s = a.spec;
    this.ctx.deploy(
      nodeId,
      {
        taskId: `${s.actorId}/ctor#${a.restarts}`,
        moduleHash: s.moduleId,
        operator: s.initFunction,
        args: s.args,
        returnId: '',
        actorId: s.actorId,
        kind: 'ActorCreate',
      },
      s.options,
    );
    return 'placed';
  }

  /** Takes `a` out of the waiting sets (placed, dead or killed). */
  private stopWaiting(a: ActorRecord): void {
    const waiting = this.unplaced.get(a.schedulingClass);
    if (waiting?.delete(a) && waiting.size === 0) this.unplaced.delete(a.schedulingClass);
    this.waitingCalls.delete(a);
  }

  /**
   * Places actors still waiting for room or arguments, and sends actor calls whose arguments now
   * exist. Within a scheduling class the first actor that finds no room ends the class's turn.
   */
  retryActors(): void {
    for (const waiting of [...this.unplaced.values()]) for (const a of waiting) if (this.placeActor(a) === 'room') break;
    for (const a of this.waitingCalls) this.flushActor(a);
  }

  private setActorState(a: ActorRecord, state: ActorLifecycle, message: string): void {
    a.state = state;
    this.ctx.host.sendToDriver(a.owner, {
      type: 'ActorState',
      actorId: a.spec.actorId,
      state,
      nodeId: a.nodeId,
      message,
      restarts: a.restarts,
    });
  }

  /**
   * Tells the owner of `a`, alive on a node that takes direct calls, how to call it there (ADR
   * 0009): the node's address and a ticket valid for {@link ROUTE_TICKET_TTL_MS}.
   */
  private sendRoute(a: ActorRecord): void {
    const sign = this.ctx.host.signRoute;
    const node = [...this.ctx.host.nodes()].find((n) => n.id === a.nodeId);
    if (!sign || !node?.directAddress) return;
    const claim = { actorId: a.spec.actorId, nodeId: node.id, expiresMs: Date.now() + ROUTE_TICKET_TTL_MS };
    const address = node.directAddress;
    void sign(claim).then((ticket) => {
      // Still there (not restarted elsewhere, killed or dead since).
      if (this.actors.get(claim.actorId) === a && a.state === 'Alive' && a.nodeId === claim.nodeId)
        this.ctx.host.sendToDriver(a.owner, { type: 'ActorRoute', ...claim, address, ticket });
    });
  }

  private flushActor(a: ActorRecord): void {
    if (a.state !== 'Alive' || a.ending) return;
    while (a.queue.length > 0) {
      const call = a.queue[0]!;
      const failed = call.args.map((x) => (x.objectId ? this.ctx.objects.get(x.objectId) : undefined)).find((e) => e?.state === 'failed');
      if (failed) {
        a.queue.shift();
        this.ctx.failCall(call.returnId, call.args, failed.failure!);
        continue;
      }
      if (call.args.some((x) => x.objectId && this.ctx.objects.get(x.objectId)?.state !== 'ready')) {
        this.waitingCalls.add(a);
        return;
      }
      a.queue.shift();
      a.inFlight.set(call.returnId, call.args);
      this.ctx.deploy(
        a.nodeId,
        {
          taskId: `${a.spec.actorId}/call-${call.returnId}`,
          moduleHash: a.spec.moduleId,
          operator: call.method,
          args: call.args,
          returnId: call.returnId,
          actorId: a.spec.actorId,
          kind: 'ActorCall',
        },
        a.spec.options,
      );
    }
    this.waitingCalls.delete(a);
  }

  actorStatus(nodeId: string, actorId: string, s: MessageOf<'TaskStatus'>): void {
    const a = this.actors.get(actorId);
    if (!s.returnId) {
      // constructor
      if (!a || a.nodeId !== nodeId) return;
      if (s.state === 'Finished') {
        this.setActorState(a, 'Alive', '');
        this.flushActor(a);
        this.sendRoute(a);
      } else this.actorLost(a, `${s.failure?.code}: constructor ${a.spec.initFunction} failed: ${s.failure?.message}`, true);
      return;
    }
    // A call not in flight was already failed when its actor was reported dead (or dropped).
    const args = a?.inFlight.get(s.returnId);
    a?.inFlight.delete(s.returnId);
    if (a && args && s.state !== 'Finished' && ACTOR_ENDING_CODES.has(s.failure?.code ?? '')) a.ending = true;
    const e = this.ctx.objects.get(s.returnId);
    if (!e || !args) {
      if (!s.returnInline && s.outputs.length) this.ctx.host.sendToNode(nodeId, { type: 'ReleaseObjects', objectIds: [s.returnId] });
      return;
    }
    if (s.state === 'Finished') {
      for (const x of args) if (x.objectId) this.ctx.drop(x.objectId);
      this.ctx.notify(
        this.ctx.objects.ready(
          s.returnId,
          s.returnInline ? '' : nodeId,
          s.returnBytes,
          s.returnInline ? copyBytes(s.data ?? new Uint8Array(0)) : null,
        )!,
      );
    } else this.ctx.failCall(s.returnId, args, s.failure ?? { code: 'WRT_OPERATOR_ERROR', message: 'unknown failure', retryable: false });
  }

  private actorLost(a: ActorRecord, why: string, constructorFailed = false): void {
    a.ending = false;
    this.ctx.host.ledger.release(`actor:${a.spec.actorId}`);
    this.ctx.dependentsMayRun = true; // its room may place a waiting actor
    for (const [id, args] of a.inFlight)
      this.ctx.failCall(id, args, {
        code: 'WRT_ACTOR_DIED',
        message: `actor ${a.spec.actorId} died while the call was in flight: ${why}`,
        retryable: false,
      });
    a.inFlight.clear();
    const max = a.spec.options.maxRestarts >= 0 ? a.spec.options.maxRestarts : 0;
    if (!constructorFailed && a.restarts < max) {
      a.restarts++;
      this.restartsTotal++;
      a.nodeId = '';
      this.setActorState(a, 'Restarting', why);
      this.ctx.host.log(`head: restarting actor ${a.spec.actorId} (${a.restarts} of ${max}): ${why}`);
      this.placeActor(a);
      return;
    }
    this.actorDead(a, why);
  }

  private actorDead(a: ActorRecord, why: string): void {
    this.stopWaiting(a);
    this.setActorState(a, 'Dead', why);
    for (const call of a.queue)
      this.ctx.failCall(call.returnId, call.args, {
        code: 'WRT_ACTOR_DIED',
        message: `actor ${a.spec.actorId} is dead: ${why}`,
        retryable: false,
      });
    a.queue = [];
    for (const arg of a.spec.args) if (arg.objectId) this.ctx.drop(arg.objectId);
  }

  /** The actors the head knows (killed ones are forgotten; dead ones stay while their driver does), filtered by state and name. */
  *list(filter: { state?: string; name?: string } = {}): IterableIterator<ActorView> {
    for (const a of this.actors.values()) {
      if (filter.state && a.state !== filter.state) continue;
      if (filter.name && a.spec.name !== filter.name) continue;
      yield {
        actorId: a.spec.actorId,
        name: a.spec.name,
        className: a.spec.initFunction,
        state: a.state,
        nodeId: a.nodeId,
        restarts: a.restarts,
        pendingCalls: a.queue.length + a.inFlight.size,
      };
    }
  }

  /** Actors by state. */
  counts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const a of this.actors.values()) out[a.state] = (out[a.state] ?? 0) + 1;
    return out;
  }

  private killActor(a: ActorRecord): void {
    if (a.state !== 'Dead' && a.nodeId) {
      this.ctx.host.sendToNode(a.nodeId, {
        type: 'DeployTask',
        jobId: '',
        taskId: `${a.spec.actorId}/kill`,
        moduleHash: '',
        module: new Uint8Array(0),
        operator: '',
        partitions: 0,
        inputs: [],
        inlineInput: null,
        output: 'store',
        maxMemoryBytes: 0,
        deadlineMs: 0,
        args: [],
        returnId: '',
        actorId: a.spec.actorId,
        kind: 'ActorKill',
        gpus: 0,
      });
      this.ctx.host.ledger.release(`actor:${a.spec.actorId}`);
      this.ctx.dependentsMayRun = true;
    }
    a.state = 'Dead';
    this.stopWaiting(a);
    this.actors.delete(a.spec.actorId);
    if (a.spec.name) this.actorNames.delete(a.spec.name);
  }
}
