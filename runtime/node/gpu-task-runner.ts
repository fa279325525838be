/**
 * GPU tasks (`gpu.*`, runtime/node/gpu-tasks.ts) on a node: their arguments are resolved as for any
 * task and handed to the kernel as views of the arena; a result above the inline limit is written
 * by the GPU read-back straight into its object-store allocation. Kernels a module carries are the
 * WGSL one of its exports returns, asked for once per module in a slot (ADR 0003).
 */
import type { MessageOf } from '../protocol/messages.js';
import type { NodeGpu } from './node-gpu.js';
import { WrtError } from '../errors.js';
import { runGpuKernel } from './gpu-tasks.js';
import { gpuKernelOf, gpuOutputBytes, parseGpuParams } from './gpu-kernel-contract.js';
import { INLINE_RESULT_BYTES, type NodeContext } from './node-context.js';
import type { TaskRunner } from './task-runner.js';

type Deploy = MessageOf<'DeployTask'>;

export class GpuTaskRunner {
  /** WGSL sources returned by modules' exports, by `module/export`. */
  private readonly wgsl = new Map<string, Promise<string>>();

  constructor(
    private readonly ctx: NodeContext,
    private readonly tasks: TaskRunner,
    /** The node's device (waited for while a lost one is re-acquired). */
    private readonly gpus: NodeGpu,
    private readonly nodeName: string,
  ) {}

  async run(d: Deploy): Promise<void> {
    const { ctx } = this;
    ctx.counters.running++;
    const temporary: string[] = [];
    let stored = false;
    try {
      const { gpu, why } = await this.gpus.device();
      if (!gpu) throw new WrtError('WRT_GPU_UNAVAILABLE', `node ${this.nodeName} has no GPU: ${why}`);
      const kernel = gpuKernelOf(d.operator);
      const ranges = await this.tasks.resolveArgs(d, temporary);
      const views = ranges.map((r) => new Uint8Array(ctx.store.memory.buffer, r.offset, r.length));
      if (views.length === 0)
        throw new WrtError('WRT_INVALID_ARGUMENT', `${d.operator} takes a JSON parameter block as its first argument`);
      const params = parseGpuParams(views[0]!);
      const wgsl = params.source ? await this.moduleWgsl(d, params.source) : null;
      const data = views.slice(1);
      const bytes = gpuOutputBytes(kernel, params, data);
      let out: Uint8Array;
      if (d.returnId && bytes > INLINE_RESULT_BYTES) {
        out = ctx.store.create(d.returnId, bytes);
        stored = true;
      } else out = new Uint8Array(bytes);
      const started = performance.now();
      ctx.counters.gpuKernels++;
      await runGpuKernel(gpu, kernel, params, data, out, wgsl);
      if (stored) ctx.store.seal(d.returnId);
      ctx.counters.tasksFinished++;
      const base = {
        type: 'TaskStatus' as const,
        jobId: d.jobId,
        taskId: d.taskId,
        returnId: d.returnId,
        returnBytes: bytes,
        failure: null,
        inputBytes: 0,
      };
      if (stored) {
        const outputs = [{ objectId: d.returnId, nodeId: ctx.nodeId(), sizeBytes: bytes }];
        ctx.send({ ...base, state: 'Finished', outputs, data: null, returnInline: false });
      } else ctx.send({ ...base, state: 'Finished', outputs: [], data: out, returnInline: !!d.returnId });
      ctx.emit({ type: 'task-finished', taskId: d.taskId, operator: d.operator, elapsedMs: performance.now() - started });
    } catch (err) {
      if (stored) ctx.store.release(d.returnId);
      this.tasks.failTask(d, err);
    } finally {
      ctx.objects.releaseHeld(temporary);
      ctx.counters.running--;
    }
  }

  /** The WGSL that export `name` of the task's module returns (run once per module in a slot). */
  private moduleWgsl(d: Deploy, name: string): Promise<string> {
    const key = `${d.moduleHash}/${name}`;
    let source = this.wgsl.get(key);
    if (!source) {
      source = this.ctx.modules.module(d).then(async (module) => {
        return new TextDecoder().decode(await this.ctx.slots.call(this.tasks.callSpec({ ...d, operator: name }, module, [])));
      });
      void source.catch(() => this.wgsl.delete(key));
      this.wgsl.set(key, source);
    }
    return source;
  }
}
