/**
 * The body of a slot thread that runs one slot of a stream job: plans the job graph (as the head
 * did; planning is deterministic), builds the slot's {@link StreamSlot} and passes elements,
 * credits and sink output between it and the node agent. Every wasm instance is the pipeline's
 * module with the imports of its operator kind: keyed state for Process operators, a refusing
 * `wrt:runtime/keyed-state` for the rest, and `wrt:runtime/gpu` (not granted) where imported.
 */
import { WrtError } from '../errors.js';
import type { SlotParent } from '../platform/platform.js';
import { streamOperators, type StreamSlotReply, type StreamSlotRequest } from './slot-messages.js';
import { indexPlannedGraph } from '../stream/execution-graph.js';
import { StreamSlot } from '../stream/stream-slot.js';
import { refusingKeyedState } from '../stream/keyed-state-imports.js';
import { gpuImports } from './gpu-bridge.js';
import { classifyFailure, watchOperatorCalls } from '../sandbox/operator-call.js';
import { macrotask } from '../platform/macrotask.js';

/** Handles the stream messages of one slot thread; `open` is the first. */
export function streamSlotHandler(parent: SlotParent): (msg: StreamSlotRequest) => void {
  let slot: StreamSlot | null = null;
  let jobId = '';
  let failed = false;
  let capBytes = 0;
  const instances: WebAssembly.Instance[] = [];
  const reply = (m: StreamSlotReply, transfer?: Transferable[]): void => parent.postMessage(m, transfer);
  const schedule = macrotask();
  return (msg) => {
    if (failed) return;
    try {
      if (msg.type === 'stream-open') {
        // A reused thread: the finished slot and its instances go (stream-slots.ts keeps threads warm).
        slot?.stop();
        instances.length = 0;
        jobId = msg.jobId;
        const module = msg.module;
        // Every operator call is published for the node's deadline watchdog (stream-slots.ts).
        const started = new Float64Array(msg.progress, 0, 1);
        const running = new Int32Array(msg.progress, 8, 1);
        const operators = streamOperators(msg.graph);
        watchOperatorCalls((operator) => {
          if (operator === null) {
            started[0] = 0;
            return;
          }
          Atomics.store(running, 0, operators.indexOf(operator) + 1);
          started[0] = performance.timeOrigin + performance.now();
        });
        capBytes = msg.maxMemoryBytes;
        const plan = indexPlannedGraph(msg.graph);
        slot = new StreamSlot(
          plan,
          msg.slot,
          {
            instantiate: (imports) => {
              const made: { instance?: WebAssembly.Instance } = {};
              const gpu = gpuImports(
                module,
                false,
                () => made.instance,
                (m, transfer) => parent.postMessage(m, transfer),
              );
              made.instance = new WebAssembly.Instance(module, { ...refusingKeyedState(module), ...gpu, ...imports });
              instances.push(made.instance);
              return made.instance;
            },
            outputCapBytes: msg.outputCapBytes,
            connectors: parent.connectors,
            sendRemote: (edge, from, to, element) => reply({ type: 'stream-out', edge, from, to, element }),
            grantCredit: (edge, from, to, credits) => reply({ type: 'stream-grant', edge, from, to, credits }),
            sinkOutput: (partition, bytes, rows, epoch) =>
              reply({ type: 'stream-sink', partition, bytes, rows, epoch }, [bytes.buffer as ArrayBuffer]),
            checkpointed: (vertexId, index, id, state) =>
              reply({ type: 'stream-checkpointed', vertexId, index, id, state }, [state.buffer as ArrayBuffer]),
            subtaskDone: (vertexId, index, state) =>
              reply({ type: 'stream-subtask-done', vertexId, index, state }, [state.buffer as ArrayBuffer]),
            finished: () => reply({ type: 'stream-finished', subtasks: slot?.metrics() ?? [] }),
            failed: (err, vertexId) => fail(err, vertexId),
            schedule,
            reportWatermarks: (sources) => reply({ type: 'stream-watermarks', sources }),
          },
          { credits: msg.credits },
        );
        slot.restore(msg.restore, msg.freshOutput);
        slot.start();
      } else if (msg.type === 'stream-metrics') reply({ type: 'stream-metrics', jobId, subtasks: slot?.metrics() ?? [] });
      else if (!slot) throw new WrtError('WRT_PROTOCOL', `stream slot thread got ${msg.type} before stream-open`);
      else if (msg.type === 'stream-in') slot.receive(msg.edge, msg.from, msg.to, msg.element);
      else if (msg.type === 'stream-trigger') slot.trigger(msg.id);
      else if (msg.type === 'stream-align') slot.align(msg.group, msg.min);
      else slot.credit(msg.edge, msg.from, msg.to, msg.credits);
    } catch (err) {
      fail(err);
    }
  };

  function fail(err: unknown, vertexId = ''): void {
    failed = true;
    slot?.stop();
    // The instance that grew most tells a memory cap from another trap.
    const fullest = instances.reduce<WebAssembly.Instance | undefined>(
      (a, i) => (a && memoryBytes(a) >= memoryBytes(i) ? a : i),
      undefined,
    );
    const label = (vertexId && slot?.plan.byId.get(vertexId)?.vertex.operator) || vertexId || `slot ${slot?.slot ?? '?'}`;
    reply({ type: 'stream-failed', failure: classifyFailure(err, label, fullest, capBytes) });
  }
}

function memoryBytes(i: WebAssembly.Instance): number {
  const m = i.exports.memory;
  return m instanceof WebAssembly.Memory ? m.buffer.byteLength : 0;
}
