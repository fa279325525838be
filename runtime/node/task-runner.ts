/**
 * Runs deployed work in the node's slot pool: batch operator subtasks (inputs pulled into the
 * store, partitioned outputs kept there) and remote-function tasks (arguments resolved to pinned
 * arena ranges, results inline up to {@link INLINE_RESULT_BYTES}, else kept in the store). Also the
 * pieces actor calls and GPU tasks share: preparing a call, reporting its result or failure, and
 * cancelling tasks and a job's subtasks.
 */
import type { MessageOf, ObjectLocation } from '../protocol/messages.js';
import type { ArenaRange } from '../store/object-store.js';
import type { CallControl, OperatorCall } from './slot-pool.js';
import { splitPartitioned } from '../protocol/partitioned-batch.js';
import { WrtError, toFailure } from '../errors.js';
import { INLINE_RESULT_BYTES, type NodeContext } from './node-context.js';

type Deploy = MessageOf<'DeployTask'>;

/**
 * The slot instance cache key of a deployment: one instance per module, memory cap and GPU grant
 * (an instance's `wrt:runtime/gpu` import is bound to the grant it was created with).
 */
function moduleKeyOf(d: Deploy): string {
  return `${d.moduleHash}/${d.maxMemoryBytes}${d.gpus > 0 ? '/gpu' : ''}`;
}

function noReturn(d: Deploy) {
  return { type: 'TaskStatus' as const, jobId: d.jobId, taskId: d.taskId, returnId: '', returnBytes: 0, returnInline: false };
}

export class TaskRunner {
  /** Running tasks by return id, to cancel them. */
  private readonly cancellers = new Map<string, CallControl>();
  /** Tasks cancelled before they reached a slot. */
  private readonly cancelledEarly = new Set<string>();
  /** Operator calls of batch subtasks running now, by job (a cancelled job's are stopped). */
  private readonly jobCalls = new Map<string, Set<CallControl>>();

  constructor(private readonly ctx: NodeContext) {}

  /** A batch operator subtask: inputs from the store (pulled when remote), outputs partitioned into it or sent to the head. */
  async runOperator(d: Deploy): Promise<void> {
    const { ctx } = this;
    ctx.counters.running++;
    const temporary: string[] = [];
    let inputBytes = 0;
    try {
      const module = await ctx.modules.module(d);
      const ranges = [];
      if (d.inlineInput) {
        const id = `${d.taskId}/inline`;
        ctx.store.put(id, d.inlineInput);
        ranges.push(ctx.objects.hold(id, temporary));
        inputBytes += d.inlineInput.byteLength;
      }
      for (const input of d.inputs) {
        await ctx.objects.acquire(input.objectId, input.nodeId);
        ranges.push(ctx.objects.hold(input.objectId, temporary));
        inputBytes += input.sizeBytes;
      }
      const started = performance.now();
      let control: CallControl | null = null;
      const output = await ctx.slots
        .call(this.callSpec(d, module, ranges), (ctl) => {
          control = ctl;
          const calls = this.jobCalls.get(d.jobId) ?? new Set<CallControl>();
          this.jobCalls.set(d.jobId, calls.add(ctl));
        })
        .finally(() => {
          const calls = this.jobCalls.get(d.jobId);
          if (control) calls?.delete(control);
          if (calls?.size === 0) this.jobCalls.delete(d.jobId);
        });
      const outputs: ObjectLocation[] = [];
      if (d.output === 'store') {
        splitPartitioned(output, d.partitions, d.operator).forEach((part, i) => {
          const id = `${d.taskId}/p${i}`;
          ctx.store.put(id, part);
          outputs.push({ objectId: id, nodeId: ctx.nodeId(), sizeBytes: part.byteLength });
        });
      }
      ctx.counters.tasksFinished++;
      ctx.send({ ...noReturn(d), state: 'Finished', outputs, data: d.output === 'head' ? output : null, failure: null, inputBytes });
      ctx.emit({ type: 'task-finished', taskId: d.taskId, operator: d.operator, elapsedMs: performance.now() - started });
    } catch (err) {
      const failure = toFailure(err, 'WRT_OPERATOR_ERROR');
      ctx.counters.tasksFailed++;
      ctx.send({ ...noReturn(d), state: 'Failed', outputs: [], data: null, failure, inputBytes });
      ctx.emit({ type: 'task-failed', taskId: d.taskId, message: failure.message });
    } finally {
      ctx.objects.releaseHeld(temporary);
      ctx.counters.running--;
    }
  }

  /**
   * The slot call of task or actor call `d`: at once when its module is compiled and its
   * arguments are all inline (the usual call: no promises on the way), else once the module is
   * compiled and the object arguments are here. Objects it stores or holds go into `temporary`.
   * @throws WrtError `WRT_OBJECT_STORE_FULL` (at once) when an inline argument does not fit
   */
  prepareCall(d: Deploy, temporary: string[]): OperatorCall | Promise<OperatorCall> {
    const compiled = this.ctx.modules.compiledNow(d.moduleHash, d.maxMemoryBytes);
    if (compiled && d.args.every((a) => !a.objectId)) return this.callSpec(d, compiled, this.storeInlineArgs(d, temporary));
    return this.ctx.modules.module(d).then(async (module) => this.callSpec(d, module, await this.resolveArgs(d, temporary)));
  }

  /** {@link resolveArgs} for a call whose arguments are all inline. */
  private storeInlineArgs(d: Deploy, temporary: string[]): ArenaRange[] {
    return d.args.map((a, i) => {
      const id = `${d.taskId}/arg${i}`;
      this.ctx.store.put(id, a.data ?? new Uint8Array(0));
      return this.ctx.objects.hold(id, temporary);
    });
  }

  /**
   * Resolves a task's arguments to pinned arena ranges: inline bytes are stored, objects of this
   * node are retained, remote objects pulled. `temporary` collects the ids for `releaseHeld`.
   */
  async resolveArgs(d: Deploy, temporary: string[]): Promise<ArenaRange[]> {
    const ranges: ArenaRange[] = [];
    for (let i = 0; i < d.args.length; i++) ranges.push(await this.resolveArg(d, i, temporary));
    return ranges;
  }

  /** Argument `i` of `d` in the arena, held as {@link resolveArgs} holds each. */
  async resolveArg(d: Deploy, i: number, temporary: string[]): Promise<ArenaRange> {
    const a = d.args[i]!;
    let id = a.objectId;
    if (!id) {
      id = `${d.taskId}/arg${i}`;
      this.ctx.store.put(id, a.data ?? new Uint8Array(0));
    } else await this.ctx.objects.acquire(id, '');
    return this.ctx.objects.hold(id, temporary);
  }

  /** Reports a task or actor-call result: inline when small (or when the head verifies it: `output` head), else kept in the store. */
  /** Reports a finished call to the head (or to `send`: a direct actor call's driver). */
  finishWithResult(
    d: Deploy,
    output: Uint8Array,
    inputBytes: number,
    send: (m: MessageOf<'TaskStatus'>) => void = (m) => this.ctx.send(m),
  ): void {
    const inline = d.returnId !== '' && (output.byteLength <= INLINE_RESULT_BYTES || d.output === 'head');
    const stored = d.returnId !== '' && !inline;
    if (stored) this.ctx.store.put(d.returnId, output);
    // One literal (no spreads): this runs once per call.
    send({
      type: 'TaskStatus',
      jobId: d.jobId,
      taskId: d.taskId,
      returnId: d.returnId,
      returnBytes: output.byteLength,
      failure: null,
      inputBytes,
      state: 'Finished',
      outputs: stored ? [{ objectId: d.returnId, nodeId: this.ctx.nodeId(), sizeBytes: output.byteLength }] : [],
      data: inline ? output : null,
      returnInline: inline,
    });
  }

  /** Reports a task or actor call failed with what `err` says (`WRT_OPERATOR_ERROR` when it says no code). */
  failTask(d: Deploy, err: unknown, send: (m: MessageOf<'TaskStatus'>) => void = (m) => this.ctx.send(m)): void {
    const failure = toFailure(err, 'WRT_OPERATOR_ERROR');
    this.ctx.counters.tasksFailed++;
    send({ ...noReturn(d), returnId: d.returnId, state: 'Failed', outputs: [], data: null, failure, inputBytes: 0 });
    this.ctx.emit({ type: 'task-failed', taskId: d.taskId, message: failure.message });
  }

  /** The slot call of deployment `d` (operator, task, actor call or WGSL export) on `inputs`. */
  callSpec(d: Deploy, module: WebAssembly.Module, inputs: ArenaRange[]): OperatorCall {
    return {
      moduleKey: moduleKeyOf(d),
      module,
      operator: d.operator,
      partitions: d.partitions,
      inputs,
      outputCapBytes: this.ctx.outputCapBytes,
      maxMemoryBytes: d.maxMemoryBytes,
      deadlineMs: d.deadlineMs,
      gpu: d.gpus > 0,
    };
  }

  /** A remote-function task: any free slot, the module's shared instance there. */
  async runRemoteTask(d: Deploy): Promise<void> {
    const { ctx } = this;
    ctx.counters.running++;
    const temporary: string[] = [];
    try {
      const prepared = this.prepareCall(d, temporary);
      const spec = prepared instanceof Promise ? await prepared : prepared;
      const started = performance.now();
      const cancelled = (): WrtError => new WrtError('WRT_TASK_CANCELLED', `task of ${d.returnId} was cancelled before it ran`);
      if (this.cancelledEarly.delete(d.returnId)) throw cancelled();
      const output = await ctx.slots.call(spec, (ctl) => {
        if (this.cancelledEarly.delete(d.returnId)) ctl.cancel(cancelled());
        else this.cancellers.set(d.returnId, ctl);
      });
      ctx.counters.tasksFinished++;
      this.finishWithResult(
        d,
        output,
        spec.inputs.reduce((s, r) => s + r.length, 0),
      );
      ctx.emit({ type: 'task-finished', taskId: d.taskId, operator: d.operator, elapsedMs: performance.now() - started });
    } catch (err) {
      this.failTask(d, err);
    } finally {
      this.cancellers.delete(d.returnId);
      ctx.objects.releaseHeld(temporary);
      ctx.counters.running--;
    }
  }

  /** Cancels the task whose result is `objectId`: now if it runs, else when it reaches a slot. */
  cancel(objectId: string): void {
    const ctl = this.cancellers.get(objectId);
    if (ctl) ctl.cancel(new WrtError('WRT_TASK_CANCELLED', `task of ${objectId} was cancelled while running`));
    else this.cancelledEarly.add(objectId);
  }

  /** Stops the running batch subtasks of job `jobId` (the head cancelled it or it failed). */
  cancelJobCalls(jobId: string, reason: string): void {
    const calls = this.jobCalls.get(jobId);
    if (!calls) return;
    this.jobCalls.delete(jobId);
    this.ctx.platform.log(`wrt node: stopping ${calls.size} running subtask(s) of job ${jobId}: ${reason}`);
    for (const ctl of calls) ctl.cancel(new WrtError('WRT_TASK_CANCELLED', `job ${jobId} ended while this subtask ran: ${reason}`));
  }
}
