/** What wrt knows and tells of a WebGPU adapter. */

/** What a node reports about its adapter (`wrt info`, `/api/status`). */
export interface GpuAdapterSummary {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** True for a software or fallback adapter (SwiftShader). */
  software: boolean;
  /** Optional features the device was created with (`shader-f16`, `timestamp-query`, ...). */
  features: string[];
  /** Largest storage binding, in bytes: the largest array one kernel call can take. */
  maxStorageBufferBindingSize: number;
  maxComputeWorkgroupStorageSize: number;
  maxComputeInvocationsPerWorkgroup: number;
}

/**
 * Whether workgroups that have started are sure to keep being scheduled while another spins on
 * them (what a single-pass scan's look-back waits on). Discrete NVIDIA and AMD GPUs and Intel's
 * give this in practice; software rasterizers (SwiftShader) and Apple GPUs do not promise it
 * (Smith, Levien and Owens, SPAA 2025, § 2), nor does an adapter that does not say who made it.
 */
export function guaranteesForwardProgress(a: GpuAdapterSummary): boolean {
  return !a.software && /nvidia|amd|intel/i.test(`${a.vendor} ${a.architecture}`);
}

/** One line naming an adapter: "vendor architecture device (description), software". */
export function describeAdapter(a: GpuAdapterSummary): string {
  const name = [a.vendor, a.architecture, a.device].filter(Boolean).join(' ');
  return `${name}${a.description ? ` (${a.description})` : ''}${a.software ? ', software' : ''}`;
}
