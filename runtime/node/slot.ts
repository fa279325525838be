/**
 * The body of a slot thread: keeps one wasm instance per module key and runs operator calls on
 * inputs it reads straight from the node's shared arena (one copy, into the instance's memory).
 * A trapped instance is dropped; a call past its deadline is stopped by the node agent, which
 * terminates this thread and starts another. Calls granted a GPU reach the agent's device through
 * the `wrt:runtime/gpu` import (gpu-bridge.ts).
 */
import type { SlotParent } from '../platform/platform.js';
import type { SlotReply, SlotRequest } from './slot-messages.js';
import { callOperator } from './operator-call.js';
import { WrtError, toFailure } from '../errors.js';
import { gpuImports } from './gpu-bridge.js';

export function runSlot(parent: SlotParent): void {
  let arena: WebAssembly.Memory | null = null;
  const instances = new Map<string, WebAssembly.Instance>();
  const reply = (m: SlotReply, transfer?: Transferable[]): void => parent.postMessage(m, transfer);

  parent.onMessage((raw) => {
    const msg = raw as SlotRequest;
    if (msg.type === 'init') {
      arena = msg.arena;
      reply({ type: 'ready' });
      return;
    }
    const started = performance.now();
    let instance = instances.get(msg.moduleKey);
    try {
      if (!instance) {
        if (!msg.module) throw new WrtError('WRT_MISSING_EXPORT', `slot has no module for ${msg.moduleKey}`);
        // The sandbox: no imports but `wrt:runtime/gpu` (an `err` unless the call was granted a
        // GPU). A module that imports anything else fails here.
        const made: { instance?: WebAssembly.Instance } = {};
        const imports = gpuImports(
          msg.module,
          msg.gpu,
          () => made.instance,
          (m, transfer) => parent.postMessage(m, transfer),
        );
        instance = made.instance = new WebAssembly.Instance(msg.module, imports);
        instances.set(msg.moduleKey, instance);
      }
      const buffer = arena!.buffer;
      const inputs = msg.inputs.map((r) => new Uint8Array(buffer, r.offset, r.length));
      const output = callOperator(instance, msg.operator, msg.partitions, inputs, msg.outputCapBytes);
      reply({ type: 'done', callId: msg.callId, output, elapsedMs: performance.now() - started }, [output.buffer]);
    } catch (err) {
      // An error result leaves the instance as it was; anything else (a trap) may have broken it.
      if (!(err instanceof WrtError && (err.code === 'WRT_OPERATOR_ERROR' || err.code === 'WRT_OUTPUT_CAP')))
        instances.delete(msg.moduleKey);
      reply({ type: 'failed', callId: msg.callId, failure: classify(err, msg.operator, instance, msg.maxMemoryBytes) });
    }
  });
}

function classify(err: unknown, operator: string, instance: WebAssembly.Instance | undefined, capBytes: number) {
  if (err instanceof WebAssembly.RuntimeError) {
    const memory = instance?.exports.memory;
    const used = memory instanceof WebAssembly.Memory ? memory.buffer.byteLength : 0;
    // A grow that fails at the cap makes AssemblyScript's allocator trap; memory is then near the cap.
    if (used >= capBytes * 0.875) {
      return {
        code: 'WRT_MEMORY_CAP',
        message: `operator "${operator}" exceeded its memory cap of ${capBytes} bytes (linear memory at ${used} bytes; trap: ${err.message})`,
        retryable: false,
      };
    }
    return { code: 'WRT_OPERATOR_TRAP', message: `operator "${operator}" trapped: ${err.message}`, retryable: false };
  }
  if (err instanceof WebAssembly.LinkError) {
    return {
      code: 'WRT_MISSING_EXPORT',
      message: `operator "${operator}": the module imports what its world does not grant: ${err.message}`,
      retryable: false,
    };
  }
  if (err instanceof RangeError) {
    return { code: 'WRT_MEMORY_CAP', message: `operator "${operator}": ${err.message}`, retryable: false };
  }
  return toFailure(err, 'WRT_OPERATOR_ERROR');
}
