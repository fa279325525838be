/**
 * GPU tasks (`gpu.*`, runtime/node/gpu-tasks.ts) on a node: their arguments are resolved as for any
 * task and handed to the kernel as views of the arena — or, when a previous GPU task left them on
 * this device (device-objects.ts), as the device arrays they are. An array result above the inline
 * limit stays on the device as the task's object while device memory allows; other results above
 * the limit are written by the GPU read-back straight into their object-store allocation. Kernels a module carries are the
 * WGSL one of its exports returns, asked for once per module in a slot (ADR 0003).
 */
import type { MessageOf } from '../protocol/messages.js';
import type { NodeGpu } from './node-gpu.js';
import { WrtError } from '../errors.js';
import { keepsResultOnDevice, runGpuKernel, takesDeviceInputs, type GpuData } from './gpu-tasks.js';
import { gpuKernelOf, gpuOutputBytes, parseGpuParams } from './gpu-kernel-contract.js';
import { INLINE_RESULT_BYTES, type NodeContext } from './node-context.js';
import type { TaskRunner } from './task-runner.js';
import type { ArenaRange } from '../store/object-store.js';

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
    const device = ctx.objects.device;
    ctx.counters.running++;
    const temporary: string[] = [];
    const borrowed: string[] = [];
    let stored = false;
    try {
      const { gpu, why } = await this.gpus.device();
      if (!gpu) throw new WrtError('WRT_GPU_UNAVAILABLE', `node ${this.nodeName} has no GPU: ${why}`);
      const kernel = gpuKernelOf(d.operator);
      if (d.args.length === 0)
        throw new WrtError('WRT_INVALID_ARGUMENT', `${d.operator} takes a JSON parameter block as its first argument`);
      const arena = (r: ArenaRange) => new Uint8Array(ctx.store.memory.buffer, r.offset, r.length);
      const params = parseGpuParams(arena(await this.tasks.resolveArg(d, 0, temporary)));
      const wgsl = params.source ? await this.moduleWgsl(d, params.source) : null;
      // Data a previous GPU task left on this device is used where it is; the rest comes from the arena.
      const onDevice = takesDeviceInputs(kernel, params);
      const data: GpuData[] = [];
      for (let i = 1; i < d.args.length; i++) {
        const id = d.args[i]!.objectId;
        const array = onDevice && id ? device.borrow(id, gpu) : null;
        if (array) {
          borrowed.push(id);
          data.push(array);
        } else data.push(arena(await this.tasks.resolveArg(d, i, temporary)));
      }
      const bytes = gpuOutputBytes(kernel, params, data);
      const large = d.returnId !== '' && bytes > INLINE_RESULT_BYTES;
      const keep = large && keepsResultOnDevice(kernel, params) && device.fits(bytes);
      let out: Uint8Array | null = null;
      if (large && !keep) {
        out = ctx.store.create(d.returnId, bytes);
        stored = true;
      } else if (!keep) out = new Uint8Array(bytes);
      const started = performance.now();
      ctx.counters.gpuKernels++;
      const segments = await runGpuKernel(gpu, kernel, params, data, out, wgsl);
      if (keep) device.keep(d.returnId, segments!, bytes);
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
      if (stored || keep) {
        const outputs = [{ objectId: d.returnId, nodeId: ctx.nodeId(), sizeBytes: bytes }];
        ctx.send({ ...base, state: 'Finished', outputs, data: null, returnInline: false });
      } else ctx.send({ ...base, state: 'Finished', outputs: [], data: out, returnInline: !!d.returnId });
      ctx.emit({ type: 'task-finished', taskId: d.taskId, operator: d.operator, elapsedMs: performance.now() - started });
    } catch (err) {
      if (stored) ctx.store.release(d.returnId);
      this.tasks.failTask(d, err);
    } finally {
      for (const id of borrowed) device.giveBack(id);
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
