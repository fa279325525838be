/**
 * Tasks, actors and objects on the head: the face the head talks to, over the roles that do the
 * work (as Ray's GCS and raylet split them):
 *
 * - the cluster task manager (cluster-task-manager.ts): queued tasks, placement, retries, lineage;
 * - the actor manager (actor-manager.ts): actor placement, ordered calls, restarts, names;
 * - the put manager (put-manager.ts): where drivers' puts are stored;
 * - the object directory (object-directory.ts, in the shared task-context.ts): every object's
 *   state, location, references and the task that made it.
 *
 * Every event that may free capacity or settle an object ends in {@link TaskService.schedule}.
 */
import type { TaskEventLog } from './task-events.js';
import type { MessageOf } from '../protocol/messages.js';
import type { ObjectDirectory } from './object-directory.js';
import { TaskContext, type TaskHost } from './task-context.js';
import { ClusterTaskManager } from './cluster-task-manager.js';
import { ActorManager } from './actor-manager.js';
import { PutManager } from './put-manager.js';

export {
  DEFAULT_MAX_RETRIES,
  DEFAULT_TASK_MEMORY_BYTES,
  DEFAULT_TASK_DEADLINE_MS,
  INLINE_PUT_BYTES,
  type TaskHost,
  type TaskNode,
} from './task-context.js';

export class TaskService {
  private readonly ctx: TaskContext;
  private readonly tasks: ClusterTaskManager;
  /** Actors: placement, calls, restarts; listed by the REST API. */
  readonly actors: ActorManager;
  private readonly puts: PutManager;
  private deferring = false;

  constructor(host: TaskHost) {
    this.ctx = new TaskContext(host);
    this.tasks = new ClusterTaskManager(this.ctx, () => this.schedule());
    this.actors = new ActorManager(this.ctx);
    this.puts = new PutManager(this.ctx);
  }

  /** Tasks of `driver` submitted and not finished. */
  unfinishedTasksOf(driver: string): number {
    return this.tasks.unfinishedOf(driver);
  }

  /** Every task's name, state and node (the latest 100 000), and counters since the head started. */
  get events(): TaskEventLog {
    return this.tasks.events;
  }

  /** The object directory: state, location, references and lineage of every object. */
  get objects(): ObjectDirectory {
    return this.ctx.objects;
  }

  // ---- drivers ------------------------------------------------------------------------------

  registerModule(m: MessageOf<'RegisterModule'>): void {
    this.ctx.modules.set(m.moduleId, m.module.slice());
  }

  submitTask(driver: string, m: MessageOf<'SubmitTask'>): void {
    this.tasks.submitTask(driver, m);
  }

  /** Calls sent to `nodeId` since the head started, and task attempts beyond a task's first among them. */
  callsSent(nodeId: string): { submitted: number; retried: number } {
    return this.ctx.sent.get(nodeId) ?? { submitted: 0, retried: 0 };
  }

  /** A driver's put (put-manager.ts). */
  put(driver: string, m: MessageOf<'PutObject'>): void {
    this.puts.put(driver, m);
  }

  release(ids: string[]): void {
    for (const id of ids) this.ctx.drop(id);
    this.schedule();
  }

  cancel(driver: string, m: MessageOf<'CancelTask'>): void {
    this.tasks.cancel(driver, m);
  }

  createActor(driver: string, m: MessageOf<'CreateActor'>): void {
    this.actors.createActor(driver, m);
  }

  actorCall(driver: string, m: MessageOf<'ActorCall'>): void {
    this.actors.actorCall(driver, m);
  }

  lookupActor(driver: string, m: MessageOf<'LookupActor'>): void {
    this.actors.lookupActor(driver, m);
  }

  /** A driver left: its objects are released, its queued tasks dropped, its actors killed. */
  driverGone(driver: string): void {
    this.tasks.driverGone(driver);
    this.actors.driverGone(driver);
    for (const e of this.ctx.objects.ownedBy(driver)) {
      e.refs = 1;
      this.ctx.drop(e.id);
    }
    this.schedule();
  }

  // ---- nodes --------------------------------------------------------------------------------

  /** A node reported a task or actor call; returns false when the status was not for us. */
  taskStatus(nodeId: string, s: MessageOf<'TaskStatus'>): boolean {
    if (this.tasks.taskStatus(nodeId, s)) return true;
    const actorId = this.actors.actorOf(s);
    if (actorId === undefined) return false;
    this.actors.actorStatus(nodeId, actorId, s);
    return true;
  }

  /** Abandons volunteer attempts past their deadline and places replicas (the head calls it every tick). */
  expireVolunteerWork(now: number): void {
    this.tasks.expire(now);
  }

  /** True when volunteer `nodeId` runs a task that reads object `objectId` (so it may pull it). */
  volunteerMayRead(nodeId: string, objectId: string): boolean {
    return this.tasks.volunteerMayRead(nodeId, objectId);
  }

  /** A node says an actor of its died (trap, deadline, dead thread). */
  actorDied(nodeId: string, m: MessageOf<'ActorState'>): void {
    this.actors.actorDied(nodeId, m);
    this.schedule();
  }

  /** A node is gone (the head has taken it out of the ledger, with its grants). */
  nodeLost(nodeId: string): void {
    this.tasks.nodeLost(nodeId);
    this.actors.nodeLost(nodeId);
    this.schedule();
  }

  /** Places actors still waiting for room or arguments, and sends actor calls whose arguments now exist. */
  retryActors(): void {
    this.actors.retryActors();
  }

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
    if (this.ctx.dependentsMayRun) {
      this.ctx.dependentsMayRun = false;
      this.actors.retryActors();
    }
    this.tasks.runQueue();
  }
}
