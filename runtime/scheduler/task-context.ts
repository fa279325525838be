/**
 * What the head's task roles share (task-service.ts builds it): the object directory, registered
 * modules, the host's callbacks and the cluster's one ledger, and the steps every role takes —
 * telling an owner its object settled, dropping a reference, placing work on a node and deploying
 * it there.
 */
import type { RouteClaim } from '../protocol/route-ticket.js';
import type { VolunteerPool } from './volunteer-pool.js';
import type { Message, MessageOf, TaskArg, TaskOptions } from '../protocol/messages.js';
import type { FailureRecord } from '../errors.js';
import { ObjectDirectory, type ObjectEntry } from './object-directory.js';
import type { Resources } from './resources.js';
import type { ResourceLedger } from './resource-ledger.js';
import { placeOne } from './placement.js';

/** Node failures (and user errors, with retryExceptions) a task survives by default (Ray: 3). */
export const DEFAULT_MAX_RETRIES = 3;
/** Operator memory cap and deadline when a task sets none. */
export const DEFAULT_TASK_MEMORY_BYTES = 256 * 2 ** 20;
export const DEFAULT_TASK_DEADLINE_MS = 60_000;
export { INLINE_PUT_BYTES } from '../store/object-transfer.js';

/** The empty `module` of a deployment whose node has the module already (shared: never written). */
const NO_BYTES = new Uint8Array(0);

export interface TaskNode {
  id: string;
  alive: boolean;
  total: Resources;
  storeUsedBytes: number;
  /** Where drivers may call the node's actors directly ('' or absent: only through the head; ADR 0009). */
  directAddress?: string;
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
  /** The head's volunteers (absent: remote functions never run on volunteers). */
  volunteers?: VolunteerPool;
  /** Signs a route for direct actor calls (route-ticket.ts); absent: no routes are handed out. */
  signRoute?: (claim: RouteClaim) => Promise<Uint8Array>;
}

/** The resources a task (`defaultCpus` 1) or an actor (0, as in Ray) asks for, from its options. */
export function requirementOf(o: TaskOptions, defaultCpus: number): Resources {
  const r: Resources = { cpus: o.cpus > 0 ? o.cpus : defaultCpus, ...o.resources };
  if (o.gpus > 0) r.gpus = o.gpus;
  if (o.memoryBytes > 0) r.memoryBytes = o.memoryBytes;
  return r;
}

export class TaskContext {
  readonly objects = new ObjectDirectory();
  readonly modules = new Map<string, Uint8Array>();
  /** Set when an object settled or an actor gave back its room: queued tasks, actors and actor calls may now run. */
  dependentsMayRun = false;
  /**
   * Per node, since the head started: calls sent to it (task attempts, actor calls, actor
   * constructors) and, among them, task attempts beyond a task's first (Prometheus counters).
   */
  readonly sent = new Map<string, { submitted: number; retried: number }>();
  /** Called with each object id whose last reference was dropped (roles forget what they kept for it). */
  private readonly dropHooks: ((id: string) => void)[] = [];

  constructor(readonly host: TaskHost) {}

  onDrop(hook: (id: string) => void): void {
    this.dropHooks.push(hook);
  }

  infeasible(req: Resources): string | null {
    return this.host.ledger.infeasible(req);
  }

  /** The node with room for `req` in the ledger, most argument bytes first, then least CPU in use. */
  pick(req: Resources, args: TaskArg[], kind: 'task' | 'actor'): string | null {
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

  notify(e: ObjectEntry): void {
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

  drop(id: string): void {
    const e = this.objects.release(id);
    if (!e) return;
    if (e.nodeId) this.host.sendToNode(e.nodeId, { type: 'ReleaseObjects', objectIds: [id] });
    for (const hook of this.dropHooks) hook(id);
  }

  failCall(returnId: string, args: TaskArg[], f: FailureRecord): void {
    for (const x of args) if (x.objectId) this.drop(x.objectId);
    const e = this.objects.fail(returnId, f);
    if (e) this.notify(e);
  }

  /** The calls sent to `nodeId` so far (created at its first). */
  sentTo(nodeId: string): { submitted: number; retried: number } {
    let c = this.sent.get(nodeId);
    if (!c) this.sent.set(nodeId, (c = { submitted: 0, retried: 0 }));
    return c;
  }

  /** Sends deployment `fields` of a task or actor call to `nodeId`, with the module when the node lacks it. */
  deploy(
    nodeId: string,
    fields: Pick<MessageOf<'DeployTask'>, 'taskId' | 'moduleHash' | 'operator' | 'args' | 'returnId' | 'actorId' | 'kind'>,
    o: TaskOptions,
    /** `head`: the result comes back inline whatever its size (work the head verifies). */
    output: 'store' | 'head' = 'store',
  ): void {
    const module = this.modules.get(fields.moduleHash);
    this.sentTo(nodeId).submitted++;
    this.host.sendToNode(nodeId, {
      type: 'DeployTask',
      jobId: '',
      module: module && this.host.needsModule(nodeId, fields.moduleHash) ? module : NO_BYTES,
      partitions: 0,
      inputs: [],
      inlineInput: null,
      output,
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
}
