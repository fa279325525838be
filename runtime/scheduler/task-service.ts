/**
 * Tasks, actors and objects on the head (the roles of Ray's GCS actor manager, the cluster task
 * manager and the owners' object tables, folded into one place for now):
 *
 * - a task waits until its object arguments exist, then goes to a node with the resources it asks
 *   for, preferring the node that holds most of its argument bytes; it is retried after node
 *   failures (and, with `retryExceptions`, user errors) up to `maxRetries` times;
 * - a task that no node of the cluster could ever run fails at once with `WRT_INFEASIBLE`, naming
 *   the missing resource;
 * - an object lost with its node is rebuilt by running the task that made it again (lineage);
 * - an actor lives on one node; its calls are sent there in submission order, each once its
 *   arguments exist; when it dies, calls in flight fail with `WRT_ACTOR_DIED` and it restarts up to
 *   `maxRestarts` times, its constructor run again with the original arguments.
 */
import { copyBytes } from '../store/small-copy.js';
import type { Message, MessageOf, TaskArg, TaskOptions, ActorLifecycle } from '../protocol/messages.js';
import { ACTOR_ENDING_CODES, type FailureRecord } from '../errors.js';
import { ObjectDirectory, type ObjectEntry } from './object-directory.js';
import type { Resources } from './resources.js';
import type { ResourceLedger } from './resource-ledger.js';
import { placeOne } from './placement.js';

/** Node failures (and user errors, with retryExceptions) a task survives by default (Ray: 3). */
export const DEFAULT_MAX_RETRIES = 3;
/** Operator memory cap and deadline when a task sets none. */
export const DEFAULT_TASK_MEMORY_BYTES = 256 * 2 ** 20;
export const DEFAULT_TASK_DEADLINE_MS = 60_000;
/** Objects put by drivers up to this size stay on the head. */
export const INLINE_PUT_BYTES = 100 * 1024;

/** The empty `module` of a deployment whose node has the module already (shared: never written). */
const NO_BYTES = new Uint8Array(0);

export interface TaskNode {
  id: string;
  alive: boolean;
  total: Resources;
  storeUsedBytes: number;
}

export interface TaskHost {
  nodes(): Iterable<TaskNode>;
  /** The cluster's one ledger: tasks and actors take their grants from it (keys `task:ID#ATTEMPT`, `actor:ID`). */
  ledger: ResourceLedger;
  sendToNode(nodeId: string, m: Message): void;
  sendToDriver(driverId: string, m: Message): void;
  /** True the first time a node is asked for `moduleId`. */
  needsModule(nodeId: string, moduleId: string): boolean;
  log(line: string): void;
}

interface TaskRecord {
  spec: MessageOf<'SubmitTask'>;
  owner: string;
  state: 'queued' | 'running' | 'done';
  nodeId: string;
  attempt: number;
  requirement: Resources;
}

interface ActorRecord {
  spec: MessageOf<'CreateActor'>;
  owner: string;
  state: ActorLifecycle;
  nodeId: string;
  restarts: number;
  requirement: Resources;
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

function requirementOf(o: TaskOptions, defaultCpus: number): Resources {
  const r: Resources = { cpus: o.cpus > 0 ? o.cpus : defaultCpus, ...o.resources };
  if (o.gpus > 0) r.gpus = o.gpus;
  if (o.memoryBytes > 0) r.memoryBytes = o.memoryBytes;
  return r;
}

export class TaskService {
  readonly objects = new ObjectDirectory();
  private readonly modules = new Map<string, Uint8Array>();
  private readonly tasks = new Map<string, TaskRecord>();
  private readonly taskByReturn = new Map<string, string>();
  private readonly queue: string[] = [];
  private readonly actors = new Map<string, ActorRecord>();
  private readonly actorNames = new Map<string, string>();
  /** Actor-call return id → actor id. */
  private readonly callActor = new Map<string, string>();
  /** Pulled puts not yet stored, by object id: the node pulling and the size in bytes. */
  private readonly pulledPuts = new Map<string, { nodeId: string; totalBytes: number }>();
  /** Set when an object settled: queued tasks and actor calls may now run. */
  private dependentsMayRun = false;

  constructor(private readonly host: TaskHost) {}

  // ---- drivers ------------------------------------------------------------------------------

  registerModule(m: MessageOf<'RegisterModule'>): void {
    this.modules.set(m.moduleId, m.module.slice());
  }

  submitTask(driver: string, m: MessageOf<'SubmitTask'>): void {
    this.objects.create(m.returnId, driver, m.taskId);
    for (const a of m.args) if (a.objectId) this.objects.retain(a.objectId);
    const t: TaskRecord = { spec: m, owner: driver, state: 'queued', nodeId: '', attempt: 0, requirement: requirementOf(m.options, 1) };
    this.tasks.set(m.taskId, t);
    this.taskByReturn.set(m.returnId, m.taskId);
    // GPU tasks of the built-in kernel library (`gpu.*` with no module) need no module.
    const builtin = m.moduleId === '' && m.functionName.startsWith('gpu.');
    if (!builtin && !this.modules.has(m.moduleId))
      return this.finishTask(t, { code: 'WRT_MODULE_NOT_FOUND', message: `module ${m.moduleId} was never loaded`, retryable: false });
    const infeasible = this.infeasible(t.requirement);
    if (infeasible)
      return this.finishTask(t, {
        code: 'WRT_INFEASIBLE',
        message: `task ${m.functionName} (${m.taskId}): ${infeasible}`,
        retryable: false,
      });
    this.queue.push(m.taskId);
    this.schedule();
  }

  /**
   * A driver's put. With a `source`, node `source` holds it already (a driver in that node's
   * process stored it). Up to {@link INLINE_PUT_BYTES} it stays here; larger ones go to the node with
   * the emptiest store: with their bytes (ready at once: the node stores them before it reads any
   * later message), or — larger than one chunk — as a pulled put that the node fetches from the
   * driver and reports with `ObjectReady` ({@link putStored}).
   */
  put(driver: string, m: MessageOf<'PutObject'>): void {
    this.objects.create(m.objectId, driver, null);
    if (m.source) {
      // Stored already, by a driver sharing node `source`'s process (the embedded cluster).
      const holder = [...this.host.nodes()].find((n) => n.id === m.source && n.alive);
      this.notify(
        holder
          ? this.objects.ready(m.objectId, holder.id, m.totalBytes, null)!
          : this.objects.fail(m.objectId, {
              code: 'WRT_OBJECT_LOST',
              message: `put ${m.objectId}: node ${m.source} is not alive`,
              retryable: false,
            })!,
      );
      return;
    }
    const pulled = m.data.byteLength < m.totalBytes;
    // Small puts, and any that came with their bytes while no node is up, stay here.
    const nodeId = pulled || m.data.byteLength > INLINE_PUT_BYTES ? this.storeNode() : null;
    if (!nodeId) {
      if (pulled) {
        this.notify(
          this.objects.fail(m.objectId, {
            code: 'WRT_INFEASIBLE',
            message: `no live node can store put ${m.objectId} (${m.totalBytes} bytes); start a node first`,
            retryable: false,
          })!,
        );
      } else this.notify(this.objects.ready(m.objectId, '', m.data.byteLength, m.data.slice())!);
      return;
    }
    if (!pulled) {
      this.host.sendToNode(nodeId, { ...m, source: '' });
      this.notify(this.objects.ready(m.objectId, nodeId, m.data.byteLength, null)!);
      return;
    }
    this.placePulledPut(m.objectId, driver, m.totalBytes, nodeId);
  }

  private placePulledPut(objectId: string, driver: string, totalBytes: number, nodeId: string): void {
    this.pulledPuts.set(objectId, { nodeId, totalBytes });
    this.host.sendToNode(nodeId, { type: 'PutObject', objectId, data: new Uint8Array(0), totalBytes, source: driver });
  }

  /** A node stored a pulled put (or could not: the object fails with the node's reason). */
  putStored(nodeId: string, m: MessageOf<'ObjectReady'>): void {
    const placedHere = this.pulledPuts.get(m.objectId)?.nodeId === nodeId;
    if (placedHere) this.pulledPuts.delete(m.objectId);
    if (!placedHere || this.objects.get(m.objectId)?.state !== 'pending') {
      // Released meanwhile: the node's copy is nobody's.
      if (!m.failure) this.host.sendToNode(nodeId, { type: 'ReleaseObjects', objectIds: [m.objectId] });
      return;
    }
    this.notify(
      m.failure
        ? this.objects.fail(m.objectId, {
            ...m.failure,
            message: `put ${m.objectId} could not be stored on ${nodeId}: ${m.failure.message}`,
          })!
        : this.objects.ready(m.objectId, nodeId, m.sizeBytes, null)!,
    );
  }

  /** The live node with the emptiest store, or null. */
  private storeNode(): string | null {
    let best: TaskNode | null = null;
    for (const n of this.host.nodes()) if (n.alive && (!best || n.storeUsedBytes < best.storeUsedBytes)) best = n;
    return best?.id ?? null;
  }

  release(ids: string[]): void {
    for (const id of ids) this.drop(id);
    this.schedule();
  }

  cancel(driver: string, m: MessageOf<'CancelTask'>): void {
    const taskId = this.taskByReturn.get(m.objectId);
    const t = taskId ? this.tasks.get(taskId) : undefined;
    if (!t || t.owner !== driver || t.state === 'done') return;
    const failure: FailureRecord = {
      code: 'WRT_TASK_CANCELLED',
      message: `task ${t.spec.functionName} (${t.spec.taskId}) was cancelled`,
      retryable: false,
    };
    if (t.state === 'queued') {
      this.queue.splice(this.queue.indexOf(t.spec.taskId), 1);
      this.finishTask(t, failure);
    } else this.host.sendToNode(t.nodeId, { type: 'CancelTask', objectId: m.objectId, force: true });
  }

  createActor(driver: string, m: MessageOf<'CreateActor'>): void {
    if (m.name && this.actorNames.has(m.name)) {
      this.host.sendToDriver(driver, {
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
      queue: [],
      inFlight: new Map(),
      ending: false,
    };
    this.actors.set(m.actorId, a);
    if (m.name) this.actorNames.set(m.name, m.actorId);
    for (const arg of m.args) if (arg.objectId) this.objects.retain(arg.objectId);
    const infeasible = this.infeasible(a.requirement);
    if (infeasible) return this.actorDead(a, `WRT_INFEASIBLE: actor ${m.initFunction}: ${infeasible}`);
    this.placeActor(a);
  }

  actorCall(driver: string, m: MessageOf<'ActorCall'>): void {
    this.objects.create(m.returnId, driver, null);
    for (const a of m.args) if (a.objectId) this.objects.retain(a.objectId);
    this.callActor.set(m.returnId, m.actorId);
    const a = this.actors.get(m.actorId);
    if (!a || a.state === 'Dead') {
      this.failCall(m.returnId, m.args, { code: 'WRT_ACTOR_DIED', message: `actor ${m.actorId} is dead`, retryable: false });
      return;
    }
    a.queue.push(m);
    this.flushActor(a);
  }

  lookupActor(driver: string, m: MessageOf<'LookupActor'>): void {
    const id = this.actorNames.get(m.name) ?? '';
    const a = this.actors.get(id);
    this.host.sendToDriver(driver, {
      type: 'ActorInfo',
      requestId: m.requestId,
      actorId: a ? id : '',
      moduleId: a?.spec.moduleId ?? '',
      state: a?.state ?? 'Dead',
    });
  }

  /** A driver left: its objects are released, its queued tasks dropped, its actors killed. */
  driverGone(driver: string): void {
    for (const id of [...this.queue]) {
      const t = this.tasks.get(id);
      if (t?.owner === driver) this.queue.splice(this.queue.indexOf(id), 1);
    }
    for (const a of [...this.actors.values()]) if (a.owner === driver) this.killActor(a);
    for (const e of this.objects.ownedBy(driver)) {
      e.refs = 1;
      this.drop(e.id);
    }
    this.schedule();
  }

  // ---- nodes --------------------------------------------------------------------------------

  /** A node reported a task or actor call; returns false when the status was not for us. */
  taskStatus(nodeId: string, s: MessageOf<'TaskStatus'>): boolean {
    const [base, attempt] = s.taskId.split('#');
    const t = this.tasks.get(base ?? '');
    if (t) {
      if (t.state !== 'running' || t.nodeId !== nodeId || String(t.attempt) !== attempt) return true;
      this.host.ledger.release(`task:${s.taskId}`);
      if (s.state === 'Finished') this.finishTask(t, null, s, nodeId);
      else this.taskFailed(t, s.failure ?? { code: 'WRT_OPERATOR_ERROR', message: 'unknown failure', retryable: false });
      this.schedule();
      return true;
    }
    const actorId = this.callActor.get(s.returnId) ?? (s.taskId.includes('/ctor') ? s.taskId.split('/ctor')[0] : undefined);
    if (actorId !== undefined) {
      this.actorStatus(nodeId, actorId, s);
      return true;
    }
    return false;
  }

  /** A node says an actor of its died (trap, deadline, dead thread). */
  actorDied(nodeId: string, m: MessageOf<'ActorState'>): void {
    const a = this.actors.get(m.actorId);
    if (a && a.nodeId === nodeId && a.state !== 'Dead') this.actorLost(a, m.message);
  }

  /** A node is gone (the head has taken it out of the ledger, with its grants). */
  nodeLost(nodeId: string): void {
    for (const t of this.tasks.values()) {
      if (t.state === 'running' && t.nodeId === nodeId) {
        this.taskFailed(t, {
          code: 'WRT_NODE_LOST',
          message: `node ${nodeId} was lost while running task ${t.spec.functionName} (${t.spec.taskId})`,
          retryable: true,
        });
      }
    }
    for (const e of this.objects.onNode(nodeId)) this.reconstruct(e);
    for (const [id, p] of this.pulledPuts) {
      if (p.nodeId !== nodeId) continue;
      this.pulledPuts.delete(id);
      const e = this.objects.get(id);
      if (e?.state !== 'pending') continue;
      // The driver still holds the bytes: another node pulls them.
      const other = this.storeNode();
      if (other) this.placePulledPut(id, e.owner, p.totalBytes, other);
      else
        this.notify(
          this.objects.fail(id, {
            code: 'WRT_OBJECT_LOST',
            message: `put ${id} was lost with node ${nodeId} and no node is left`,
            retryable: false,
          })!,
        );
    }
    for (const a of this.actors.values())
      if (a.nodeId === nodeId && a.state !== 'Dead') this.actorLost(a, `WRT_NODE_LOST: node ${nodeId} was lost`);
    this.schedule();
  }

  private deferring = false;

  /**
   * Runs `fn` (handling several messages) with scheduling deferred to its end: one pass over the
   * queue instead of one per message. The head handles each frame's messages in one.
   */
  batch(fn: () => void): void {
    if (this.deferring) return fn();
    this.deferring = true;
    try {
      fn();
    } finally {
      this.deferring = false;
      this.schedule();
    }
  }

  /** Runs whatever can run now: called after every event that may free capacity or settle an object. */
  schedule(): void {
    if (this.deferring) return;
    if (this.dependentsMayRun) {
      this.dependentsMayRun = false;
      this.retryActors();
    }
    while (this.queue.length > 0) {
      const id = this.queue[0]!;
      const t = this.tasks.get(id)!;
      const failedArg = t.spec.args.map((a) => (a.objectId ? this.objects.get(a.objectId) : undefined)).find((e) => e?.state === 'failed');
      if (failedArg) {
        this.queue.shift();
        this.finishTask(t, failedArg.failure);
        continue;
      }
      if (t.spec.args.some((a) => a.objectId && this.objects.get(a.objectId)?.state !== 'ready')) {
        // Head-of-line: wait for this task's arguments (keeps submission order among ready tasks).
        const ready = this.queue.findIndex((q) => this.argsReady(this.tasks.get(q)!));
        if (ready < 0) return;
        const [moved] = this.queue.splice(ready, 1);
        this.queue.unshift(moved!);
        continue;
      }
      const nodeId = this.pick(t.requirement, t.spec.args, 'task');
      if (!nodeId) return;
      this.queue.shift();
      this.deployTask(t, nodeId);
    }
  }

  // ---- internals ----------------------------------------------------------------------------

  private argsReady(t: TaskRecord): boolean {
    return t.spec.args.every((a) => !a.objectId || this.objects.get(a.objectId)?.state !== 'pending');
  }

  private infeasible(req: Resources): string | null {
    return this.host.ledger.infeasible(req);
  }

  /** The node with room for `req` in the ledger, most argument bytes first, then least CPU in use. */
  private pick(req: Resources, args: TaskArg[], kind: 'task' | 'actor'): string | null {
    let local: Map<string, number> | undefined;
    for (const a of args) {
      const e = a.objectId ? this.objects.get(a.objectId) : undefined;
      if (!e?.nodeId) continue;
      local ??= new Map();
      local.set(e.nodeId, (local.get(e.nodeId) ?? 0) + e.sizeBytes);
    }
    const p = placeOne(this.host.ledger, req, kind, local);
    return p.kind === 'placed' ? p.nodeId : null;
  }

  private wireArgs(args: TaskArg[]): TaskArg[] {
    return args.map((a) => {
      const e = a.objectId ? this.objects.get(a.objectId) : undefined;
      return e?.inline ? { data: e.inline, objectId: '' } : a;
    });
  }

  private deploy(
    nodeId: string,
    fields: Pick<MessageOf<'DeployTask'>, 'taskId' | 'moduleHash' | 'operator' | 'args' | 'returnId' | 'actorId' | 'kind'>,
    o: TaskOptions,
  ): void {
    const module = this.modules.get(fields.moduleHash);
    this.host.sendToNode(nodeId, {
      type: 'DeployTask',
      jobId: '',
      module: module && this.host.needsModule(nodeId, fields.moduleHash) ? module : NO_BYTES,
      partitions: 0,
      inputs: [],
      inlineInput: null,
      output: 'store',
      maxMemoryBytes: o.memoryBytes || DEFAULT_TASK_MEMORY_BYTES,
      deadlineMs: o.deadlineMs || DEFAULT_TASK_DEADLINE_MS,
      gpus: o.gpus > 0 ? o.gpus : 0,
      // Each field by name (no spread): this runs once per task and per actor call.
      taskId: fields.taskId,
      moduleHash: fields.moduleHash,
      operator: fields.operator,
      returnId: fields.returnId,
      actorId: fields.actorId,
      kind: fields.kind,
      args: this.wireArgs(fields.args),
    });
  }

  private deployTask(t: TaskRecord, nodeId: string): void {
    t.state = 'running';
    t.nodeId = nodeId;
    t.attempt++;
    this.host.ledger.grant(`task:${t.spec.taskId}#${t.attempt}`, nodeId, t.requirement, 'task');
    const s = t.spec;
    this.deploy(
      nodeId,
      {
        taskId: `${s.taskId}#${t.attempt}`,
        moduleHash: s.moduleId,
        operator: s.functionName,
        args: s.args,
        returnId: s.returnId,
        actorId: '',
        kind: 'Task',
      },
      s.options,
    );
  }

  private taskFailed(t: TaskRecord, f: FailureRecord): void {
    const max = t.spec.options.maxRetries >= 0 ? t.spec.options.maxRetries : DEFAULT_MAX_RETRIES;
    const retry = f.code !== 'WRT_TASK_CANCELLED' && (f.retryable || t.spec.options.retryExceptions) && t.attempt <= max;
    if (retry) {
      this.host.log(`head: task ${t.spec.functionName} (${t.spec.taskId}) failed (${f.code}); retry ${t.attempt} of ${max}`);
      t.state = 'queued';
      t.nodeId = '';
      this.queue.push(t.spec.taskId);
      return;
    }
    this.finishTask(t, { ...f, message: `task ${t.spec.functionName} (${t.spec.taskId}) failed: ${f.message}` });
  }

  /** Records a task's end: its object ready (from `s`) or failed (`failure`). */
  private finishTask(t: TaskRecord, failure: FailureRecord | null, s?: MessageOf<'TaskStatus'>, nodeId = ''): void {
    const first = t.state !== 'done';
    t.state = 'done';
    const e = failure
      ? this.objects.fail(t.spec.returnId, failure)
      : this.objects.ready(
          t.spec.returnId,
          s!.returnInline ? '' : nodeId,
          s!.returnBytes,
          s!.returnInline ? copyBytes(s!.data ?? new Uint8Array(0)) : null,
        );
    if (first) for (const a of t.spec.args) if (a.objectId) this.drop(a.objectId);
    if (e) this.notify(e);
    else if (s && !s.returnInline && nodeId) this.host.sendToNode(nodeId, { type: 'ReleaseObjects', objectIds: [t.spec.returnId] });
  }

  private notify(e: ObjectEntry): void {
    this.dependentsMayRun = true;
    this.host.sendToDriver(e.owner, {
      type: 'ObjectReady',
      objectId: e.id,
      nodeId: e.nodeId,
      sizeBytes: e.sizeBytes,
      data: e.inline,
      inline: e.inline !== null,
      failure: e.failure,
    });
  }

  private drop(id: string): void {
    const e = this.objects.release(id);
    if (!e) return;
    if (e.nodeId) this.host.sendToNode(e.nodeId, { type: 'ReleaseObjects', objectIds: [id] });
    const taskId = this.taskByReturn.get(id);
    if (taskId) {
      this.taskByReturn.delete(id);
      const t = this.tasks.get(taskId);
      if (t && t.state === 'done') this.tasks.delete(taskId);
    }
    this.callActor.delete(id);
  }

  /** An object lost with its node: run its task again, or fail it when it has no lineage. */
  private reconstruct(e: ObjectEntry): void {
    const t = e.lineage ? this.tasks.get(e.lineage) : undefined;
    if (!t) {
      this.objects.fail(e.id, {
        code: 'WRT_OBJECT_LOST',
        message: `object ${e.id} was lost with its node and has no lineage to rebuild it`,
        retryable: false,
      });
      this.notify(e);
      return;
    }
    this.host.log(`head: rebuilding ${e.id} by running ${t.spec.functionName} (${t.spec.taskId}) again`);
    e.state = 'pending';
    e.nodeId = '';
    if (t.state === 'done') {
      t.state = 'queued';
      for (const a of t.spec.args) if (a.objectId) this.objects.retain(a.objectId);
      this.queue.push(t.spec.taskId);
    }
  }

  // ---- actors -------------------------------------------------------------------------------

  private placeActor(a: ActorRecord): void {
    if (a.spec.args.some((x) => x.objectId && this.objects.get(x.objectId)?.state === 'pending')) return; // placed once they exist
    const nodeId = this.pick(a.requirement, a.spec.args, 'actor');
    if (!nodeId) {
      a.state = a.state === 'Restarting' ? 'Restarting' : 'Pending';
      return; // placed when capacity appears (see retryActors)
    }
    a.nodeId = nodeId;
    this.host.ledger.grant(`actor:${a.spec.actorId}`, nodeId, a.requirement, 'actor');
    const s = a.spec;
    this.deploy(
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
  }

  /** Places actors still waiting for room or arguments, and sends actor calls whose arguments now exist. */
  retryActors(): void {
    for (const a of this.actors.values()) {
      if ((a.state === 'Pending' || a.state === 'Restarting') && !a.nodeId) this.placeActor(a);
      else if (a.queue.length) this.flushActor(a);
    }
  }

  private setActorState(a: ActorRecord, state: ActorLifecycle, message: string): void {
    a.state = state;
    this.host.sendToDriver(a.owner, {
      type: 'ActorState',
      actorId: a.spec.actorId,
      state,
      nodeId: a.nodeId,
      message,
      restarts: a.restarts,
    });
  }

  private flushActor(a: ActorRecord): void {
    if (a.state !== 'Alive' || a.ending) return;
    while (a.queue.length > 0) {
      const call = a.queue[0]!;
      const failed = call.args.map((x) => (x.objectId ? this.objects.get(x.objectId) : undefined)).find((e) => e?.state === 'failed');
      if (failed) {
        a.queue.shift();
        this.failCall(call.returnId, call.args, failed.failure!);
        continue;
      }
      if (call.args.some((x) => x.objectId && this.objects.get(x.objectId)?.state !== 'ready')) return;
      a.queue.shift();
      a.inFlight.set(call.returnId, call.args);
      this.deploy(
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
  }

  private actorStatus(nodeId: string, actorId: string, s: MessageOf<'TaskStatus'>): void {
    const a = this.actors.get(actorId);
    if (!s.returnId) {
      // constructor
      if (!a || a.nodeId !== nodeId) return;
      if (s.state === 'Finished') {
        this.setActorState(a, 'Alive', '');
        this.flushActor(a);
      } else this.actorLost(a, `${s.failure?.code}: constructor ${a.spec.initFunction} failed: ${s.failure?.message}`, true);
      return;
    }
    // A call not in flight was already failed when its actor was reported dead (or dropped).
    const args = a?.inFlight.get(s.returnId);
    a?.inFlight.delete(s.returnId);
    if (a && args && s.state !== 'Finished' && ACTOR_ENDING_CODES.has(s.failure?.code ?? '')) a.ending = true;
    const e = this.objects.get(s.returnId);
    if (!e || !args) {
      if (!s.returnInline && s.outputs.length) this.host.sendToNode(nodeId, { type: 'ReleaseObjects', objectIds: [s.returnId] });
      return;
    }
    if (s.state === 'Finished') {
      for (const x of args) if (x.objectId) this.drop(x.objectId);
      this.notify(
        this.objects.ready(
          s.returnId,
          s.returnInline ? '' : nodeId,
          s.returnBytes,
          s.returnInline ? copyBytes(s.data ?? new Uint8Array(0)) : null,
        )!,
      );
    } else this.failCall(s.returnId, args, s.failure ?? { code: 'WRT_OPERATOR_ERROR', message: 'unknown failure', retryable: false });
  }

  private failCall(returnId: string, args: TaskArg[], f: FailureRecord): void {
    for (const x of args) if (x.objectId) this.drop(x.objectId);
    const e = this.objects.fail(returnId, f);
    if (e) this.notify(e);
  }

  private actorLost(a: ActorRecord, why: string, constructorFailed = false): void {
    a.ending = false;
    this.host.ledger.release(`actor:${a.spec.actorId}`);
    for (const [id, args] of a.inFlight)
      this.failCall(id, args, {
        code: 'WRT_ACTOR_DIED',
        message: `actor ${a.spec.actorId} died while the call was in flight: ${why}`,
        retryable: false,
      });
    a.inFlight.clear();
    const max = a.spec.options.maxRestarts >= 0 ? a.spec.options.maxRestarts : 0;
    if (!constructorFailed && a.restarts < max) {
      a.restarts++;
      a.nodeId = '';
      this.setActorState(a, 'Restarting', why);
      this.host.log(`head: restarting actor ${a.spec.actorId} (${a.restarts} of ${max}): ${why}`);
      this.placeActor(a);
      return;
    }
    this.actorDead(a, why);
  }

  private actorDead(a: ActorRecord, why: string): void {
    this.setActorState(a, 'Dead', why);
    for (const call of a.queue)
      this.failCall(call.returnId, call.args, {
        code: 'WRT_ACTOR_DIED',
        message: `actor ${a.spec.actorId} is dead: ${why}`,
        retryable: false,
      });
    a.queue = [];
    for (const arg of a.spec.args) if (arg.objectId) this.drop(arg.objectId);
  }

  private killActor(a: ActorRecord): void {
    if (a.state !== 'Dead' && a.nodeId) {
      this.host.sendToNode(a.nodeId, {
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
      this.host.ledger.release(`actor:${a.spec.actorId}`);
    }
    a.state = 'Dead';
    this.actors.delete(a.spec.actorId);
    if (a.spec.name) this.actorNames.delete(a.spec.name);
  }
}
