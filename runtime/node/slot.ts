/**
 * The body of a slot thread: keeps one wasm instance per module key and runs operator calls on
 * inputs it reads straight from the node's shared arena (one copy, into the instance's memory).
 * A trapped instance is dropped; a call past its deadline is stopped by the node agent, which
 * terminates this thread and starts another. Calls granted a GPU reach the agent's device through
 * the `wrt:runtime/gpu` import (gpu-bridge.ts).
 */
import type { SlotParent } from '../platform/platform.js';
import type { SlotReply, SlotRequest } from './slot-messages.js';
import { callOperator, classifyFailure } from './operator-call.js';
import { WrtError } from '../errors.js';
import { gpuImports } from './gpu-bridge.js';
import { streamSlotHandler } from './stream-slot-thread.js';

export function runSlot(parent: SlotParent): void {
  let arena: WebAssembly.Memory | null = null;
  const instances = new Map<string, WebAssembly.Instance>();
  const reply = (m: SlotReply, transfer?: Transferable[]): void => parent.postMessage(m, transfer);
  let stream: ReturnType<typeof streamSlotHandler> | null = null;

  parent.onMessage((raw) => {
    const msg = raw as SlotRequest;
    if (msg.type === 'init') {
      arena = msg.arena;
      reply({ type: 'ready' });
      return;
    }
    if (msg.type !== 'call') {
      // This thread runs one slot of a stream job from now on.
      stream ??= streamSlotHandler(parent);
      stream(msg);
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
      reply({ type: 'failed', callId: msg.callId, failure: classifyFailure(err, msg.operator, instance, msg.maxMemoryBytes) });
    }
  });
}
