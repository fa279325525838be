/**
 * Encoding and guarded decoding of the membership and errors: RegisterNode, RegisterAck, Heartbeat, TrustReport, ErrorMessage
 * (runtime/protocol/wire.fbs). codec.ts wraps each in an Envelope and tries every family in turn;
 * decoding reads through the guarded {@link WireReader}, so a malformed table is a `WRT_PROTOCOL` error.
 */
import type * as flatbuffers from 'flatbuffers';
import type { Message } from './messages.js';
import { encodeFailure, encodeResources, enumName, type B, type WireReader } from './wire-tables.js';
import { Message as Kind } from './generated/wrt/protocol/message.js';
import type { Envelope } from './generated/wrt/protocol/envelope.js';
import { RegisterNode } from './generated/wrt/protocol/register-node.js';
import { RegisterAck } from './generated/wrt/protocol/register-ack.js';
import { Heartbeat } from './generated/wrt/protocol/heartbeat.js';
import { TrustReport } from './generated/wrt/protocol/trust-report.js';
import { SubtaskMetrics } from './generated/wrt/protocol/subtask-metrics.js';
import { ErrorMessage } from './generated/wrt/protocol/error-message.js';
import { Platform } from './generated/wrt/protocol/platform.js';

/** The body of `m` when it is one of this family's messages, else null. */
export function encodeClusterBody(b: B, m: Message): [Kind, flatbuffers.Offset] | null {
  switch (m.type) {
    case 'RegisterNode': {
      const name = b.createString(m.name);
      const resources = encodeResources(b, m.resources);
      const gpuAdapter = b.createString(m.gpuAdapter);
      const directAddress = b.createString(m.directAddress ?? '');
      RegisterNode.startRegisterNode(b);
      RegisterNode.addDirectAddress(b, directAddress);
      RegisterNode.addGpuAdapter(b, gpuAdapter);
      RegisterNode.addResources(b, resources);
      RegisterNode.addName(b, name);
      RegisterNode.addPlatform(b, m.platform === 'browser' ? Platform.Browser : Platform.Node);
      RegisterNode.addCpus(b, m.cpus);
      RegisterNode.addGpus(b, m.gpus);
      RegisterNode.addMemoryBytes(b, BigInt(m.memoryBytes));
      RegisterNode.addStoreBytes(b, BigInt(m.storeBytes));
      RegisterNode.addMaxOperatorMemoryBytes(b, BigInt(m.maxOperatorMemoryBytes));
      RegisterNode.addMaxDeadlineMs(b, m.maxDeadlineMs);
      RegisterNode.addMaxGpuBytesPerCall(b, BigInt(m.maxGpuBytesPerCall));
      return [Kind.RegisterNode, RegisterNode.endRegisterNode(b)];
    }
    case 'RegisterAck': {
      const id = b.createString(m.nodeId);
      RegisterAck.startRegisterAck(b);
      RegisterAck.addNodeId(b, id);
      RegisterAck.addHeartbeatIntervalMs(b, m.heartbeatIntervalMs);
      RegisterAck.addHeartbeatTimeoutMs(b, m.heartbeatTimeoutMs);
      return [Kind.RegisterAck, RegisterAck.endRegisterAck(b)];
    }
    case 'Heartbeat': {
      const subtasks = Heartbeat.createSubtasksVector(
        b,
        m.subtasks.map((s) => {
          const jobId = b.createString(s.jobId);
          const vertex = b.createString(s.vertex);
          return SubtaskMetrics.createSubtaskMetrics(
            b,
            jobId,
            vertex,
            s.index,
            BigInt(s.recordsIn),
            BigInt(s.recordsOut),
            BigInt(Math.round(s.backPressuredMs)),
            s.outputWatermark,
          );
        }),
      );
      return [
        Kind.Heartbeat,
        Heartbeat.createHeartbeat(
          b,
          m.runningTasks,
          BigInt(m.storeUsedBytes),
          BigInt(m.tasksFinished),
          BigInt(m.storeSpilledBytes),
          BigInt(m.storeRestoredBytes),
          BigInt(m.storeOnDiskBytes),
          BigInt(m.tasksFailed),
          BigInt(m.gpuKernels),
          BigInt(m.bytesPulled),
          subtasks,
          m.offeredCpus ?? -1,
          BigInt(m.directCalls ?? 0),
        ),
      ];
    }
    case 'TrustReport':
      return [Kind.TrustReport, TrustReport.createTrustReport(b, m.valid, m.invalid, m.streak, m.trusted, m.quarantined, m.unitsDone)];
    case 'ErrorMessage': {
      const failure = encodeFailure(b, m.failure);
      ErrorMessage.startErrorMessage(b);
      ErrorMessage.addRequestId(b, m.requestId);
      ErrorMessage.addFailure(b, failure);
      return [Kind.ErrorMessage, ErrorMessage.endErrorMessage(b)];
    }
    default:
      return null;
  }
}

/** The message in `env` when it is one of this family's, else null. */
export function decodeClusterBody(r: WireReader, env: Envelope): Message | null {
  switch (env.messageType()) {
    case Kind.RegisterNode: {
      const t = env.message(new RegisterNode()) as RegisterNode;
      return {
        type: 'RegisterNode',
        name: r.str(t.name()),
        platform: enumName(['node', 'browser'] as const, t.platform(), 'platform'),
        cpus: t.cpus(),
        gpus: t.gpus(),
        memoryBytes: r.num(t.memoryBytes()),
        storeBytes: r.num(t.storeBytes()),
        resources: r.resources(t.resourcesLength(), (i) => t.resources(i)),
        gpuAdapter: r.str(t.gpuAdapter()),
        maxOperatorMemoryBytes: r.num(t.maxOperatorMemoryBytes()),
        maxDeadlineMs: t.maxDeadlineMs(),
        maxGpuBytesPerCall: r.num(t.maxGpuBytesPerCall()),
        directAddress: r.str(t.directAddress()),
      };
    }
    case Kind.RegisterAck: {
      const t = env.message(new RegisterAck()) as RegisterAck;
      return {
        type: 'RegisterAck',
        nodeId: r.str(t.nodeId()),
        heartbeatIntervalMs: t.heartbeatIntervalMs(),
        heartbeatTimeoutMs: t.heartbeatTimeoutMs(),
      };
    }
    case Kind.TrustReport: {
      const t = env.message(new TrustReport()) as TrustReport;
      return {
        type: 'TrustReport',
        valid: t.valid(),
        invalid: t.invalid(),
        streak: t.streak(),
        trusted: t.trusted(),
        quarantined: t.quarantined(),
        unitsDone: t.unitsDone(),
      };
    }
    case Kind.Heartbeat: {
      const t = env.message(new Heartbeat()) as Heartbeat;
      return {
        type: 'Heartbeat',
        runningTasks: t.runningTasks(),
        storeUsedBytes: r.num(t.storeUsedBytes()),
        storeSpilledBytes: r.num(t.storeSpilledBytes()),
        storeRestoredBytes: r.num(t.storeRestoredBytes()),
        storeOnDiskBytes: r.num(t.storeOnDiskBytes()),
        tasksFinished: r.num(t.tasksFinished()),
        tasksFailed: r.num(t.tasksFailed()),
        gpuKernels: r.num(t.gpuKernels()),
        bytesPulled: r.num(t.bytesPulled()),
        offeredCpus: t.offeredCpus(),
        directCalls: r.num(t.directCalls()),
        subtasks: r
          .list(t.subtasksLength(), (i) => t.subtasks(i))
          .map((s) => ({
            jobId: r.str(s.jobId()),
            vertex: r.str(s.vertex()),
            index: s.index(),
            recordsIn: r.num(s.recordsIn()),
            recordsOut: r.num(s.recordsOut()),
            backPressuredMs: r.num(s.backPressuredMs()),
            outputWatermark: s.outputWatermark(),
          })),
      };
    }
    case Kind.ErrorMessage: {
      const t = env.message(new ErrorMessage()) as ErrorMessage;
      const failure = r.failure(t.failure()) ?? { code: 'WRT_PROTOCOL', message: 'error without failure', retryable: false };
      return { type: 'ErrorMessage', requestId: t.requestId(), failure };
    }
    default:
      return null;
  }
}
