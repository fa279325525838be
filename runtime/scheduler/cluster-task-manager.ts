/**
 * The head's cluster task manager (the role of Ray's `ClusterTaskManager`): remote-function tasks
 * wait until their object arguments exist, then go to a node with room for their resources in the
 * ledger, preferring the node that holds most of their argument bytes; a failed task is retried
 * after node failures (and, with `retryExceptions`, user errors) up to `maxRetries` times; a task
 * no node could ever run fails at once with `WRT_INFEASIBLE`; an object lost with its node is
 * rebuilt by running the task that made it again (lineage).
 */
import { copyBytes } from '../store/small-copy.js';
import type { MessageOf } from '../protocol/messages.js';
import type { FailureRecord } from '../errors.js';
import type { ObjectEntry } from './object-directory.js';
import type { Resources } from './resources.js';
import { DEFAULT_MAX_RETRIES, requirementOf, type TaskContext } from './task-context.js';
import { TaskEventLog, type TaskEventHandle } from './task-events.js';
import { TaskQueue } from './task-queue.js';

interface TaskRecord {
  spec: MessageOf<'SubmitTask'>;
  owner: string;
  state: 'queued' | 'running' | 'done';
  nodeId: string;
  attempt: number;
  requirement: Resources;
  /** Its record in the head's task history (REST API, metrics). */
  event: TaskEventHandle;
}

export class ClusterTaskManager {
  private readonly tasks = new Map<string, TaskRecord>();
  private readonly taskByReturn = new Map<string, string>();
  private readonly queue = new TaskQueue();
  /** Every task's name, state and node, for the REST API; counters for metrics. */
  readonly events = new TaskEventLog();

  constructor(
    private readonly ctx: TaskContext,
    /** Runs whatever can run now (the task service's schedule, which also retries actors). */
    private readonly schedule: () => void,
  ) {
    ctx.onDrop((id) => {
      const taskId = this.taskByReturn.get(id);
      if (!taskId) return;
      this.taskByReturn.delete(id);
      const t = this.tasks.get(taskId);
      if (t && t.state === 'done') this.tasks.delete(taskId);
    });
  }

  /** Tasks of each driver not finished yet (queued or running). */
  private readonly unfinished = new Map<string, number>();

  /** Tasks of `driver` submitted and not finished (the head's per-driver limit counts them). */
  unfinishedOf(driver: string): number {
    return this.unfinished.get(driver) ?? 0;
  }

  submitTask(driver: string, m: MessageOf<'SubmitTask'>): void {
    this.unfinished.set(driver, this.unfinishedOf(driver) + 1);
    this.ctx.objects.create(m.returnId, driver, m.taskId);
    for (const a of m.args) if (a.objectId) this.ctx.objects.retain(a.objectId);
    const t: TaskRecord = {
      spec: m,
      owner: driver,
      state: 'queued',
      nodeId: '',
      attempt: 0,
      requirement: requirementOf(m.options, 1),
      event: this.events.submitted(m.taskId, m.functionName),
    };
    this.tasks.set(m.taskId, t);
    this.taskByReturn.set(m.returnId, m.taskId);
    // GPU tasks of the built-in kernel library (`gpu.*` with no module) need no module.
    const builtin = m.moduleId === '' && m.functionName.startsWith('gpu.');
    if (!builtin && !this.ctx.modules.has(m.moduleId))
      return this.finishTask(t, { code: 'WRT_MODULE_NOT_FOUND', message: `module ${m.moduleId} was never loaded`, retryable: false });
    const infeasible = this.ctx.infeasible(t.requirement);
    if (infeasible)
      return this.finishTask(t, {
        code: 'WRT_INFEASIBLE',
        message: `task ${m.functionName} (${m.taskId}): ${infeasible}`,
        retryable: false,
      });
    this.queue.push(m.taskId);
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
      this.queue.remove(t.spec.taskId);
      this.finishTask(t, failure);
    } else this.ctx.host.sendToNode(t.nodeId, { type: 'CancelTask', objectId: m.objectId, force: true });
  }

  /** A node reported on a task attempt; false when `s` is not a task's (an actor call's, say). */
  taskStatus(nodeId: string, s: MessageOf<'TaskStatus'>): boolean {
    const [base, attempt] = s.taskId.split('#');
    const t = this.tasks.get(base ?? '');
    if (t) {
      if (t.state !== 'running' || t.nodeId !== nodeId || String(t.attempt) !== attempt) return true;
      this.ctx.host.ledger.release(`task:${s.taskId}`);
      if (s.state === 'Finished') this.finishTask(t, null, s, nodeId);
      else this.taskFailed(t, s.failure ?? { code: 'WRT_OPERATOR_ERROR', message: 'unknown failure', retryable: false });
      this.schedule();
      return true;
    }
    return false;
  }

  /** A node is gone: its running tasks fail (and are retried), objects it held are rebuilt or failed. */
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
    for (const e of this.ctx.objects.onNode(nodeId)) this.reconstruct(e);
  }

  /** Drops the queued tasks of a driver that left. */
  driverGone(driver: string): void {
    this.queue.retain((id) => this.tasks.get(id)?.owner !== driver);
  }

  /** Deploys the queued tasks that can run now, in submission order among those whose arguments exist. */
  runQueue(): void {
    while (this.queue.length > 0) {
      const id = this.queue.peek()!;
      const t = this.tasks.get(id)!;
      const failedArg = t.spec.args
        .map((a) => (a.objectId ? this.ctx.objects.get(a.objectId) : undefined))
        .find((e) => e?.state === 'failed');
      if (failedArg) {
        this.queue.shift();
        this.finishTask(t, failedArg.failure);
        continue;
      }
      if (t.spec.args.some((a) => a.objectId && this.ctx.objects.get(a.objectId)?.state !== 'ready')) {
        // Head-of-line: wait for this task's arguments (keeps submission order among ready tasks).
        if (this.queue.moveToFront((q) => this.argsReady(this.tasks.get(q)!)) === null) return;
        continue;
      }
      const nodeId = this.ctx.pick(t.requirement, t.spec.args, 'task');
      if (!nodeId) return;
      this.queue.shift();
      this.deployTask(t, nodeId);
    }
  }

  private argsReady(t: TaskRecord): boolean {
    return t.spec.args.every((a) => !a.objectId || this.ctx.objects.get(a.objectId)?.state !== 'pending');
  }

  private deployTask(t: TaskRecord, nodeId: string): void {
    t.state = 'running';
    t.nodeId = nodeId;
    t.attempt++;
    this.events.running(t.event, nodeId);
    if (t.attempt > 1) this.ctx.sentTo(nodeId).retried++;
    this.ctx.host.ledger.grant(`task:${t.spec.taskId}#${t.attempt}`, nodeId, t.requirement, 'task');
    const s = t.spec;
    this.ctx.deploy(
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
      this.ctx.host.log(`head: task ${t.spec.functionName} (${t.spec.taskId}) failed (${f.code}); retry ${t.attempt} of ${max}`);
      t.state = 'queued';
      t.nodeId = '';
      this.queue.push(t.spec.taskId);
      this.events.requeued(t.event);
      return;
    }
    this.finishTask(t, { ...f, message: `task ${t.spec.functionName} (${t.spec.taskId}) failed: ${f.message}` });
  }

  /** Records a task's end: its object ready (from `s`) or failed (`failure`). */
  private finishTask(t: TaskRecord, failure: FailureRecord | null, s?: MessageOf<'TaskStatus'>, nodeId = ''): void {
    const first = t.state !== 'done';
    t.state = 'done';
    if (first) {
      this.events.ended(t.event, failure ? failure.code : null);
      const n = this.unfinishedOf(t.owner) - 1;
      if (n > 0) this.unfinished.set(t.owner, n);
      else this.unfinished.delete(t.owner);
    }
    const e = failure
      ? this.ctx.objects.fail(t.spec.returnId, failure)
      : this.ctx.objects.ready(
          t.spec.returnId,
          s!.returnInline ? '' : nodeId,
          s!.returnBytes,
          s!.returnInline ? copyBytes(s!.data ?? new Uint8Array(0)) : null,
        );
    if (first) for (const a of t.spec.args) if (a.objectId) this.ctx.drop(a.objectId);
    if (e) this.ctx.notify(e);
    else if (s && !s.returnInline && nodeId) this.ctx.host.sendToNode(nodeId, { type: 'ReleaseObjects', objectIds: [t.spec.returnId] });
  }

  /** An object lost with its node: run its task again, or fail it when it has no lineage. */
  private reconstruct(e: ObjectEntry): void {
    const t = e.lineage ? this.tasks.get(e.lineage) : undefined;
    if (!t) {
      this.ctx.objects.fail(e.id, {
        code: 'WRT_OBJECT_LOST',
        message: `object ${e.id} was lost with its node and has no lineage to rebuild it`,
        retryable: false,
      });
      this.ctx.notify(e);
      return;
    }
    this.ctx.host.log(`head: rebuilding ${e.id} by running ${t.spec.functionName} (${t.spec.taskId}) again`);
    e.state = 'pending';
    e.nodeId = '';
    if (t.state === 'done') {
      t.state = 'queued';
      for (const a of t.spec.args) if (a.objectId) this.ctx.objects.retain(a.objectId);
      this.queue.push(t.spec.taskId);
      this.events.requeued(t.event);
    }
  }
}
