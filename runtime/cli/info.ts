/** `wrt info`: the resources a node started here would offer, the GPU adapter included. */
import process from 'node:process';
import { nodePlatform } from '../platform/node/platform.js';
import { GpuContext, describeAdapter, type GpuAdapterSummary } from '../../gpu/context.js';

export interface LocalInfo {
  platform: string;
  node: string;
  cpus: number;
  memoryBytes: number;
  /** GPUs a node would offer: 1 with an adapter, else 0. */
  gpus: number;
  /** The adapter, when there is one. */
  gpu: (GpuAdapterSummary & { driver: string }) | null;
  /** Why there is no GPU, when there is none. */
  gpuReason: string | null;
}

/** Probes this machine the way `wrt start --address` would. */
export async function localInfo(): Promise<LocalInfo> {
  const base = {
    platform: `${process.platform}-${process.arch}`,
    node: process.version,
    cpus: nodePlatform.hardwareConcurrency(),
    memoryBytes: nodePlatform.totalMemoryBytes(),
  };
  const found = await nodePlatform.gpu();
  if (!found.gpu) return { ...base, gpus: 0, gpu: null, gpuReason: found.reason };
  try {
    const ctx = await GpuContext.create(found.gpu);
    const summary = { ...ctx.adapter, driver: found.note };
    ctx.destroy();
    return { ...base, gpus: 1, gpu: summary, gpuReason: null };
  } catch (err) {
    return { ...base, gpus: 0, gpu: null, gpuReason: (err as Error).message };
  }
}

export function formatInfo(i: LocalInfo): string {
  const gib = (b: number) => `${(b / 2 ** 30).toFixed(1)} GiB`;
  const lines = [
    `platform  ${i.platform}, Node ${i.node}`,
    `cpus      ${i.cpus}`,
    `memory    ${gib(i.memoryBytes)}`,
    `gpus      ${i.gpus}`,
  ];
  if (i.gpu) {
    const g = i.gpu;
    lines.push(
      `gpu       ${describeAdapter(g)}${g.software ? ' (CPU-emulated)' : ''}`,
      `driver    ${g.driver}`,
      `features  ${g.features.join(', ') || '(none)'}`,
      `limits    ${gib(g.maxStorageBufferBindingSize)} per storage binding, ${g.maxComputeWorkgroupStorageSize} B workgroup memory, ${g.maxComputeInvocationsPerWorkgroup} invocations per workgroup`,
    );
  } else lines.push(`gpu       none: ${i.gpuReason}`);
  return lines.join('\n') + '\n';
}
