/**
 * The head's cluster task manager (the role of Ray's `ClusterTaskManager`): remote-function tasks
 * wait until their object arguments exist, then go to a node with room for their resources in the
 * ledger, preferring the node that holds most of their argument bytes; a failed task is retried
 * after node failures (and, with `retryExceptions`, user errors) up to `maxRetries` times; a task
 * no node could ever run fails at once with `WRT_INFEASIBLE`; an object lost with its node is
 * rebuilt by running the task that made it again (lineage).
 *
 * A task submitted with `volunteers` (and no GPU or custom resource) that finds no trusted node with
 * room goes to a volunteer as a work unit (verified-work.ts): its result comes back inline and
 * counts once verified; its attempts there are `TASK#vN`. Its return object becomes an inline
 * object of the head.
 */
import { copyBytes } from '../store/small-copy.js';
import type { MessageOf } from '../protocol/messages.js';
import type { FailureRecord } from '../errors.js';
import type { ObjectEntry } from './object-directory.js';
import type { Resources } from './resources.js';
import { DEFAULT_MAX_RETRIES, requirementOf, type TaskContext } from './task-context.js';
import { TaskEventLog, type TaskEventHandle } from './task-events.js';
import { TaskQueue } from './task-queue.js';
import { VerifiedWork, type VerifiedAttempt } from './verified-work.js';

interface TaskRecord {
  spec: MessageOf<'SubmitTask'>;
  owner: string;
  state: 'queued' | 'running' | 'done';
  nodeId: string;
  attempt: number;
  requirement: Resources;
  /** Its record in the head's task history (REST API, metrics). */
  event: TaskEventHandle;
  /** May run on volunteers (its options say so and it needs only CPU). */
  volunteers: boolean;
  /** Attempts made on volunteers (ids `TASK#vN`). */
  volunteerAttempts: number;
  /** Its trusted attempt (on `nodeId`) decides or checks a unit on volunteers: its result comes to the head. */
  judging: boolean;
}

export class ClusterTaskManager {
  private readonly tasks = new Map<string, TaskRecord>();
  private readonly taskByReturn = new Map<string, string>();
  private readonly queue = new TaskQueue();
  /** Every task's name, state and node, for the REST API; counters for metrics. */
  readonly events = new TaskEventLog();
  /** Tasks running on volunteers (absent when the head has no volunteer pool). */
  private readonly verified: VerifiedWork | null;

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
      if (t && t.state === 'done') {
        this.tasks.delete(taskId);
        this.verified?.forget(taskId);
        // An overtaken trusted attempt still running: its room comes back now (its report will find no task).
        if (t.judging) this.ctx.host.ledger.release(`task:${taskId}#${t.attempt}`);
      }
    });
    const pool = ctx.host.volunteers;
    this.verified = pool
      ? new VerifiedWork(
          {
            attemptId: (key) => `${key}#v${++this.tasks.get(key)!.volunteerAttempts}`,
            startOnVolunteer: (a) => this.deployOnVolunteer(a),
            startOnTrusted: (key) => this.deployJudging(key),
            accept: (key, bytes) => this.acceptVerified(key, bytes),
            rescind: (key) => this.rescindVerified(key),
            log: (line) => ctx.host.log(`head: task ${line}`),
          },
          pool,
        )
      : null;
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
      volunteers:
        !!m.options.volunteers && !(m.options.gpus > 0) && Object.keys(m.options.resources).length === 0 && !(m.options.memoryBytes > 0),
      volunteerAttempts: 0,
      judging: false,
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
    } else if (this.verified?.unsettled(t.spec.taskId)) {
      // On volunteers (and perhaps a judging trusted node): the unit is dropped, the task ends.
      for (const nodeId of this.verified.nodesOf(t.spec.taskId))
        this.ctx.host.sendToNode(nodeId, { type: 'CancelTask', objectId: m.objectId, force: true });
      if (t.judging) this.ctx.host.sendToNode(t.nodeId, { type: 'CancelTask', objectId: m.objectId, force: true });
      this.verified.forget(t.spec.taskId);
      this.finishTask(t, failure);
    } else this.ctx.host.sendToNode(t.nodeId, { type: 'CancelTask', objectId: m.objectId, force: true });
  }

  /** A node reported on a task attempt; false when `s` is not a task's (an actor call's, say). */
  taskStatus(nodeId: string, s: MessageOf<'TaskStatus'>): boolean {
    const [base, attempt] = s.taskId.split('#');
    const t = this.tasks.get(base ?? '');
    if (t) {
      if (attempt?.startsWith('v')) {
        // A volunteer's attempt: judged, or dropped when it failed.
        if (s.state === 'Finished' && s.data) this.verified?.result(s.taskId, nodeId, s.data, Date.now());
        else this.verified?.failed(s.taskId, nodeId);
        this.schedule();
        return true;
      }
      if (t.judging && t.state === 'done' && t.nodeId === nodeId && String(t.attempt) === attempt) {
        // A trusted attempt overtaken by the volunteers (they settled the unit first): only its room comes back.
        this.ctx.host.ledger.release(`task:${s.taskId}`);
        t.judging = false;
        t.nodeId = '';
        return true;
      }
      if (t.state !== 'running' || t.nodeId !== nodeId || String(t.attempt) !== attempt) return true;
      this.ctx.host.ledger.release(`task:${s.taskId}`);
      if (t.judging) this.judgingEnded(t, s, nodeId);
      else if (s.state === 'Finished') this.finishTask(t, null, s, nodeId);
      else this.taskFailed(t, s.failure ?? { code: 'WRT_OPERATOR_ERROR', message: 'unknown failure', retryable: false });
      this.schedule();
      return true;
    }
    return false;
  }

  /** A node is gone: its running tasks fail (and are retried), objects it held are rebuilt or failed. */
  nodeLost(nodeId: string): void {
    this.verified?.lost(nodeId);
    for (const t of this.tasks.values()) {
      if (t.state === 'running' && t.nodeId === nodeId && t.judging) {
        t.judging = false;
        t.nodeId = '';
        this.verified?.trustedEnded(t.spec.taskId);
      } else if (t.state === 'running' && t.nodeId === nodeId) {
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
      if (!nodeId) {
        if (!t.volunteers || !this.verified?.placeFirst(id, Date.now())) break;
        this.queue.shift();
        continue;
      }
      this.queue.shift();
      this.deployTask(t, nodeId);
    }
    if (this.verified?.busy) this.verified.placeReplicas(Date.now(), this.queue.length === 0);
  }

  /** Abandons volunteer attempts past their deadline (the head calls it every tick). */
  expire(now: number): void {
    if (!this.verified) return;
    this.verified.expire(now);
    this.verified.placeReplicas(now, this.queue.length === 0);
  }

  /** True when volunteer `nodeId` runs a task that reads object `objectId` (it may pull it). */
  volunteerMayRead(nodeId: string, objectId: string): boolean {
    for (const key of this.verified?.keysOn(nodeId) ?? [])
      if (this.tasks.get(key)?.spec.args.some((a) => a.objectId === objectId)) return true;
    return false;
  }

  private deployOnVolunteer(a: VerifiedAttempt): void {
    const t = this.tasks.get(a.key)!;
    if (t.state === 'queued') {
      t.state = 'running';
      this.events.running(t.event, a.nodeId);
    }
    this.deployAttempt(t, a.nodeId, a.id, 'head');
  }

  /** Starts a trusted attempt of task `key` that decides or checks its unit; false when no trusted node has room. */
  private deployJudging(key: string): boolean {
    const t = this.tasks.get(key);
    if (!t || t.state === 'done' || t.judging) return false;
    const nodeId = this.ctx.pick(t.requirement, t.spec.args, 'task');
    if (!nodeId) return false;
    t.state = 'running';
    t.judging = true;
    t.nodeId = nodeId;
    t.attempt++;
    this.ctx.host.ledger.grant(`task:${key}#${t.attempt}`, nodeId, t.requirement, 'task');
    this.verified!.trustedStarted(key);
    this.deployAttempt(t, nodeId, `${key}#${t.attempt}`, 'head');
    return true;
  }

  /** The judging trusted attempt of `t` ended: its result decides, or (failed) the task fails or waits for another. */
  private judgingEnded(t: TaskRecord, s: MessageOf<'TaskStatus'>, nodeId: string): void {
    t.judging = false;
    t.nodeId = '';
    const key = t.spec.taskId;
    if (s.state === 'Finished') {
      this.verified!.result(s.taskId, nodeId, s.data ?? new Uint8Array(0), Date.now(), { key });
      return;
    }
    this.verified!.trustedEnded(key);
    const f = s.failure ?? { code: 'WRT_OPERATOR_ERROR', message: 'unknown failure', retryable: false };
    if (f.retryable) return;
    // User code failed on a trusted node: deterministic, so the task fails (as it would anywhere).
    this.verified!.forget(key);
    this.finishTask(t, { ...f, message: `task ${t.spec.functionName} (${key}) failed: ${f.message}` });
  }

  /** Task `key`'s result, verified on volunteers (or decided by a trusted node): an inline object of the head. */
  private acceptVerified(key: string, bytes: Uint8Array): void {
    const t = this.tasks.get(key);
    if (!t || t.state === 'done') return;
    const s = { returnInline: true, returnBytes: bytes.byteLength, data: bytes } as MessageOf<'TaskStatus'>;
    this.finishTask(t, null, s, '');
  }

  /** Task `key`'s accepted result is discarded (its only voucher was quarantined): it runs again. */
  private rescindVerified(key: string): void {
    const t = this.tasks.get(key);
    const e = t ? this.ctx.objects.get(t.spec.returnId) : undefined;
    if (e && e.state === 'ready') this.reconstruct(e);
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
    this.deployAttempt(t, nodeId, `${t.spec.taskId}#${t.attempt}`, 'store');
  }

  private deployAttempt(t: TaskRecord, nodeId: string, taskId: string, output: 'store' | 'head'): void {
    const s = t.spec;
    this.ctx.deploy(
      nodeId,
      { taskId, moduleHash: s.moduleId, operator: s.functionName, args: s.args, returnId: s.returnId, actorId: '', kind: 'Task' },
      s.options,
      output,
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
