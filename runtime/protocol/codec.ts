/**
 * Encoding and guarded decoding of wire frames: one FlatBuffers `Envelope` (file identifier
 * "WRT1", runtime/protocol/wire.fbs) per frame.
 *
 * {@link decodeMessage} is the only way frames are read. It never throws anything but a
 * `WrtError` with code `WRT_PROTOCOL`: a truncated, corrupted, oversized or unknown frame becomes
 * that error, and the caller closes the connection.
 */
import * as flatbuffers from 'flatbuffers';
import { MAX_CAUSE_DEPTH, WrtError, checkedCode, type FailureRecord } from '../errors.js';
import { CheckedByteBuffer, FrameBoundsError } from './checked-byte-buffer.js';
import { copyBytes } from '../store/small-copy.js';
import type { Connection } from '../platform/platform.js';
import type { JobGraph, Message, ObjectLocation as Location, ResourceMap, TaskArg, TaskOptions } from './messages.js';
import { decodeJobGraphTable, encodeJobGraphTable } from './job-graph-codec.js';
import { decodeKeyValues, decodeStreamBody, encodeKeyValues, encodeStreamBody, isStreamMessage } from './stream-codec.js';
import { Envelope } from './generated/wrt/protocol/envelope.js';
import { Message as Kind } from './generated/wrt/protocol/message.js';
import { RegisterNode } from './generated/wrt/protocol/register-node.js';
import { RegisterAck } from './generated/wrt/protocol/register-ack.js';
import { Heartbeat } from './generated/wrt/protocol/heartbeat.js';
import { SubmitJob } from './generated/wrt/protocol/submit-job.js';
import { JobAccepted } from './generated/wrt/protocol/job-accepted.js';
import { JobStatus } from './generated/wrt/protocol/job-status.js';
import { ChunkRequest } from './generated/wrt/protocol/chunk-request.js';
import { InputChunk } from './generated/wrt/protocol/input-chunk.js';
import { JobOutput } from './generated/wrt/protocol/job-output.js';
import { DeployTask } from './generated/wrt/protocol/deploy-task.js';
import { TaskStatus } from './generated/wrt/protocol/task-status.js';
import { ObjectPull } from './generated/wrt/protocol/object-pull.js';
import { ObjectChunk } from './generated/wrt/protocol/object-chunk.js';
import { ReleaseObjects } from './generated/wrt/protocol/release-objects.js';
import { ErrorMessage } from './generated/wrt/protocol/error-message.js';
import { Failure } from './generated/wrt/protocol/failure.js';
import { ObjectLocation } from './generated/wrt/protocol/object-location.js';
import { Platform } from './generated/wrt/protocol/platform.js';
import { Resource } from './generated/wrt/protocol/resource.js';
import { TaskArg as TaskArgTable } from './generated/wrt/protocol/task-arg.js';
import { TaskOptions as TaskOptionsTable } from './generated/wrt/protocol/task-options.js';
import { RegisterModule } from './generated/wrt/protocol/register-module.js';
import { SubmitTask } from './generated/wrt/protocol/submit-task.js';
import { CreateActor } from './generated/wrt/protocol/create-actor.js';
import { ActorCall } from './generated/wrt/protocol/actor-call.js';
import { ActorState } from './generated/wrt/protocol/actor-state.js';
import { LookupActor } from './generated/wrt/protocol/lookup-actor.js';
import { ActorInfo } from './generated/wrt/protocol/actor-info.js';
import { PutObject } from './generated/wrt/protocol/put-object.js';
import { ObjectReady } from './generated/wrt/protocol/object-ready.js';
import { CancelTask } from './generated/wrt/protocol/cancel-task.js';

/** Largest frame accepted, in bytes (64 MiB). Larger frames are protocol errors. */
export const MAX_FRAME_BYTES = 64 * 1024 * 1024;
const FILE_IDENTIFIER = 'WRT1';

const JOB_STATES = ['Running', 'Finished', 'Failed', 'Cancelled', 'Stopped'] as const;
const TASK_STATES = ['Running', 'Finished', 'Failed'] as const;
const DEPLOY_KINDS = ['Operator', 'Task', 'ActorCreate', 'ActorCall', 'ActorKill'] as const;
const ACTOR_STATES = ['Pending', 'Alive', 'Restarting', 'Dead'] as const;

type B = flatbuffers.Builder;

function encodeFailure(b: B, f: FailureRecord, depth = 0): flatbuffers.Offset {
  const cause = f.cause && depth < MAX_CAUSE_DEPTH ? encodeFailure(b, f.cause, depth + 1) : 0;
  const code = b.createString(f.code);
  const message = b.createString(f.message);
  Failure.startFailure(b);
  Failure.addCode(b, code);
  Failure.addMessage(b, message);
  Failure.addRetryable(b, f.retryable);
  if (cause) Failure.addCause(b, cause);
  return Failure.endFailure(b);
}

function encodeLocations(b: B, locations: Location[]): flatbuffers.Offset {
  const offsets = locations.map((l) => {
    const id = b.createString(l.objectId);
    const node = b.createString(l.nodeId);
    ObjectLocation.startObjectLocation(b);
    ObjectLocation.addObjectId(b, id);
    ObjectLocation.addNodeId(b, node);
    ObjectLocation.addSizeBytes(b, BigInt(l.sizeBytes));
    return ObjectLocation.endObjectLocation(b);
  });
  return vectorOf(b, offsets);
}

function encodeResources(b: B, r: ResourceMap): flatbuffers.Offset {
  return vectorOf(
    b,
    Object.entries(r).map(([name, amount]) => Resource.createResource(b, b.createString(name), amount)),
  );
}

function encodeArgs(b: B, args: TaskArg[]): flatbuffers.Offset {
  return vectorOf(
    b,
    args.map((a) => {
      const data = a.data ? b.createByteVector(a.data) : 0;
      const id = b.createString(a.objectId);
      TaskArgTable.startTaskArg(b);
      if (data) TaskArgTable.addData(b, data);
      TaskArgTable.addObjectId(b, id);
      return TaskArgTable.endTaskArg(b);
    }),
  );
}

function encodeOptions(b: B, o: TaskOptions): flatbuffers.Offset {
  const resources = encodeResources(b, o.resources);
  TaskOptionsTable.startTaskOptions(b);
  TaskOptionsTable.addCpus(b, o.cpus);
  TaskOptionsTable.addGpus(b, o.gpus);
  TaskOptionsTable.addMemoryBytes(b, BigInt(o.memoryBytes));
  TaskOptionsTable.addResources(b, resources);
  TaskOptionsTable.addMaxRetries(b, o.maxRetries);
  TaskOptionsTable.addRetryExceptions(b, o.retryExceptions);
  TaskOptionsTable.addMaxRestarts(b, o.maxRestarts);
  TaskOptionsTable.addDeadlineMs(b, o.deadlineMs);
  return TaskOptionsTable.endTaskOptions(b);
}

function vectorOf(b: B, offsets: flatbuffers.Offset[]): flatbuffers.Offset {
  b.startVector(4, offsets.length, 4);
  for (let i = offsets.length - 1; i >= 0; i--) b.addOffset(offsets[i]!);
  return b.endVector();
}

function encodeBody(b: B, m: Message): [Kind, flatbuffers.Offset] {
  if (isStreamMessage(m)) return encodeStreamBody(b, m);
  switch (m.type) {
    case 'RegisterNode': {
      const name = b.createString(m.name);
      const resources = encodeResources(b, m.resources);
      const gpuAdapter = b.createString(m.gpuAdapter);
      RegisterNode.startRegisterNode(b);
      RegisterNode.addGpuAdapter(b, gpuAdapter);
      RegisterNode.addResources(b, resources);
      RegisterNode.addName(b, name);
      RegisterNode.addPlatform(b, m.platform === 'browser' ? Platform.Browser : Platform.Node);
      RegisterNode.addCpus(b, m.cpus);
      RegisterNode.addGpus(b, m.gpus);
      RegisterNode.addMemoryBytes(b, BigInt(m.memoryBytes));
      RegisterNode.addStoreBytes(b, BigInt(m.storeBytes));
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
    case 'Heartbeat':
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
        ),
      ];
    case 'SubmitJob': {
      const name = b.createString(m.name);
      const module = b.createByteVector(m.module);
      const graph = encodeJobGraphTable(b, m.graph);
      const args = encodeKeyValues(b, m.args);
      const restorePath = b.createString(m.restorePath ?? '');
      SubmitJob.startSubmitJob(b);
      SubmitJob.addRequestId(b, m.requestId);
      SubmitJob.addName(b, name);
      SubmitJob.addModule(b, module);
      SubmitJob.addGraph(b, graph);
      SubmitJob.addInputChunks(b, m.inputChunks);
      SubmitJob.addInputBytes(b, BigInt(m.inputBytes));
      SubmitJob.addArgs(b, args);
      SubmitJob.addOperatorMaxMemoryBytes(b, BigInt(m.operatorMaxMemoryBytes));
      SubmitJob.addOperatorDeadlineMs(b, m.operatorDeadlineMs);
      SubmitJob.addParallelism(b, m.parallelism ?? 0);
      SubmitJob.addCheckpointIntervalMs(b, m.checkpointIntervalMs ?? 0);
      SubmitJob.addRestorePath(b, restorePath);
      return [Kind.SubmitJob, SubmitJob.endSubmitJob(b)];
    }
    case 'JobAccepted':
      return [Kind.JobAccepted, JobAccepted.createJobAccepted(b, m.requestId, b.createString(m.jobId))];
    case 'JobStatus': {
      const id = b.createString(m.jobId);
      const message = b.createString(m.message);
      const nodes = vectorOf(
        b,
        m.nodes.map((n) => b.createString(n)),
      );
      JobStatus.startJobStatus(b);
      JobStatus.addJobId(b, id);
      JobStatus.addState(b, JOB_STATES.indexOf(m.state));
      JobStatus.addTasksTotal(b, m.tasksTotal);
      JobStatus.addTasksDone(b, m.tasksDone);
      JobStatus.addBytesDone(b, BigInt(m.bytesDone));
      JobStatus.addMessage(b, message);
      JobStatus.addNodes(b, nodes);
      return [Kind.JobStatus, JobStatus.endJobStatus(b)];
    }
    case 'ChunkRequest':
      return [Kind.ChunkRequest, ChunkRequest.createChunkRequest(b, b.createString(m.jobId), m.index)];
    case 'InputChunk': {
      const id = b.createString(m.jobId);
      return [Kind.InputChunk, InputChunk.createInputChunk(b, id, m.index, b.createByteVector(m.data))];
    }
    case 'JobOutput': {
      const id = b.createString(m.jobId);
      return [Kind.JobOutput, JobOutput.createJobOutput(b, id, m.partition, b.createByteVector(m.data), BigInt(m.epoch ?? 0))];
    }
    case 'DeployTask': {
      const job = b.createString(m.jobId);
      const task = b.createString(m.taskId);
      const hash = b.createString(m.moduleHash);
      const module = b.createByteVector(m.module);
      const op = b.createString(m.operator);
      const inputs = encodeLocations(b, m.inputs);
      const inline = m.inlineInput ? b.createByteVector(m.inlineInput) : 0;
      const output = b.createString(m.output);
      const args = encodeArgs(b, m.args);
      const returnId = b.createString(m.returnId);
      const actorId = b.createString(m.actorId);
      DeployTask.startDeployTask(b);
      DeployTask.addArgs(b, args);
      DeployTask.addReturnId(b, returnId);
      DeployTask.addActorId(b, actorId);
      DeployTask.addKind(b, DEPLOY_KINDS.indexOf(m.kind));
      DeployTask.addJobId(b, job);
      DeployTask.addTaskId(b, task);
      DeployTask.addModuleHash(b, hash);
      DeployTask.addModule(b, module);
      DeployTask.addOperator(b, op);
      DeployTask.addPartitions(b, m.partitions);
      DeployTask.addInputs(b, inputs);
      if (inline) DeployTask.addInlineInput(b, inline);
      DeployTask.addOutput(b, output);
      DeployTask.addMaxMemoryBytes(b, BigInt(m.maxMemoryBytes));
      DeployTask.addDeadlineMs(b, m.deadlineMs);
      DeployTask.addGpus(b, m.gpus);
      return [Kind.DeployTask, DeployTask.endDeployTask(b)];
    }
    case 'TaskStatus': {
      const job = b.createString(m.jobId);
      const task = b.createString(m.taskId);
      const outputs = encodeLocations(b, m.outputs);
      const data = m.data ? b.createByteVector(m.data) : 0;
      const failure = m.failure ? encodeFailure(b, m.failure) : 0;
      const returnId = b.createString(m.returnId);
      TaskStatus.startTaskStatus(b);
      TaskStatus.addReturnId(b, returnId);
      TaskStatus.addReturnBytes(b, BigInt(m.returnBytes));
      TaskStatus.addReturnInline(b, m.returnInline);
      TaskStatus.addJobId(b, job);
      TaskStatus.addTaskId(b, task);
      TaskStatus.addState(b, TASK_STATES.indexOf(m.state));
      TaskStatus.addOutputs(b, outputs);
      if (data) TaskStatus.addData(b, data);
      if (failure) TaskStatus.addFailure(b, failure);
      TaskStatus.addInputBytes(b, BigInt(m.inputBytes));
      return [Kind.TaskStatus, TaskStatus.endTaskStatus(b)];
    }
    case 'ObjectPull': {
      const id = b.createString(m.objectId);
      const node = b.createString(m.nodeId);
      const requester = b.createString(m.requester);
      return [Kind.ObjectPull, ObjectPull.createObjectPull(b, m.requestId, id, node, requester, BigInt(m.offset), BigInt(m.length))];
    }
    case 'ObjectChunk': {
      const id = b.createString(m.objectId);
      const requester = b.createString(m.requester);
      const data = b.createByteVector(m.data);
      const failure = m.failure ? encodeFailure(b, m.failure) : 0;
      ObjectChunk.startObjectChunk(b);
      ObjectChunk.addRequestId(b, m.requestId);
      ObjectChunk.addObjectId(b, id);
      ObjectChunk.addRequester(b, requester);
      ObjectChunk.addOffset(b, BigInt(m.offset));
      ObjectChunk.addTotalBytes(b, BigInt(m.totalBytes));
      ObjectChunk.addData(b, data);
      if (failure) ObjectChunk.addFailure(b, failure);
      return [Kind.ObjectChunk, ObjectChunk.endObjectChunk(b)];
    }
    case 'ReleaseObjects':
      return [
        Kind.ReleaseObjects,
        ReleaseObjects.createReleaseObjects(
          b,
          vectorOf(
            b,
            m.objectIds.map((id) => b.createString(id)),
          ),
        ),
      ];
    case 'ErrorMessage': {
      const failure = encodeFailure(b, m.failure);
      ErrorMessage.startErrorMessage(b);
      ErrorMessage.addRequestId(b, m.requestId);
      ErrorMessage.addFailure(b, failure);
      return [Kind.ErrorMessage, ErrorMessage.endErrorMessage(b)];
    }
    case 'RegisterModule':
      return [Kind.RegisterModule, RegisterModule.createRegisterModule(b, b.createString(m.moduleId), b.createByteVector(m.module))];
    case 'SubmitTask': {
      const ids = [m.taskId, m.moduleId, m.functionName].map((x) => b.createString(x));
      const args = encodeArgs(b, m.args);
      const options = encodeOptions(b, m.options);
      const returnId = b.createString(m.returnId);
      SubmitTask.startSubmitTask(b);
      SubmitTask.addTaskId(b, ids[0]!);
      SubmitTask.addModuleId(b, ids[1]!);
      SubmitTask.addFunctionName(b, ids[2]!);
      SubmitTask.addArgs(b, args);
      SubmitTask.addOptions(b, options);
      SubmitTask.addReturnId(b, returnId);
      return [Kind.SubmitTask, SubmitTask.endSubmitTask(b)];
    }
    case 'CreateActor': {
      const ids = [m.actorId, m.moduleId, m.initFunction].map((x) => b.createString(x));
      const args = encodeArgs(b, m.args);
      const options = encodeOptions(b, m.options);
      const name = b.createString(m.name);
      CreateActor.startCreateActor(b);
      CreateActor.addActorId(b, ids[0]!);
      CreateActor.addModuleId(b, ids[1]!);
      CreateActor.addInitFunction(b, ids[2]!);
      CreateActor.addArgs(b, args);
      CreateActor.addOptions(b, options);
      CreateActor.addName(b, name);
      return [Kind.CreateActor, CreateActor.endCreateActor(b)];
    }
    case 'ActorCall': {
      const ids = [m.actorId, m.method].map((x) => b.createString(x));
      const args = encodeArgs(b, m.args);
      return [Kind.ActorCall, ActorCall.createActorCall(b, ids[0]!, ids[1]!, args, b.createString(m.returnId))];
    }
    case 'ActorState': {
      const ids = [m.actorId, m.nodeId, m.message].map((x) => b.createString(x));
      return [Kind.ActorState, ActorState.createActorState(b, ids[0]!, ACTOR_STATES.indexOf(m.state), ids[1]!, ids[2]!, m.restarts)];
    }
    case 'LookupActor':
      return [Kind.LookupActor, LookupActor.createLookupActor(b, m.requestId, b.createString(m.name))];
    case 'ActorInfo': {
      const ids = [m.actorId, m.moduleId].map((x) => b.createString(x));
      return [Kind.ActorInfo, ActorInfo.createActorInfo(b, m.requestId, ids[0]!, ids[1]!, ACTOR_STATES.indexOf(m.state))];
    }
    case 'PutObject':
      return [
        Kind.PutObject,
        PutObject.createPutObject(
          b,
          b.createString(m.objectId),
          b.createByteVector(m.data),
          BigInt(m.totalBytes),
          b.createString(m.source),
        ),
      ];
    case 'ObjectReady': {
      const ids = [m.objectId, m.nodeId].map((x) => b.createString(x));
      const data = m.data ? b.createByteVector(m.data) : 0;
      const failure = m.failure ? encodeFailure(b, m.failure) : 0;
      ObjectReady.startObjectReady(b);
      ObjectReady.addObjectId(b, ids[0]!);
      ObjectReady.addNodeId(b, ids[1]!);
      ObjectReady.addSizeBytes(b, BigInt(m.sizeBytes));
      if (data) ObjectReady.addData(b, data);
      ObjectReady.addInline(b, m.inline);
      if (failure) ObjectReady.addFailure(b, failure);
      return [Kind.ObjectReady, ObjectReady.endObjectReady(b)];
    }
    case 'CancelTask':
      return [Kind.CancelTask, CancelTask.createCancelTask(b, b.createString(m.objectId), m.force)];
  }
}

/** Encodes one message as a complete frame (an Envelope with identifier "WRT1"). */
export function encodeMessage(m: Message): Uint8Array {
  let size = 'data' in m && m.data ? m.data.byteLength : 'module' in m ? m.module.byteLength : 0;
  if ('args' in m && Array.isArray(m.args)) for (const a of m.args) size += a.data?.byteLength ?? 0;
  // Small messages (most control messages) are built in one reused builder and copied out
  // (copyBytes: from a shared slab), instead of allocating a builder and its buffer each.
  const small = size <= SMALL_MESSAGE_BYTES;
  let b: flatbuffers.Builder;
  if (small) {
    b = sharedBuilder;
    b.clear();
  } else b = new flatbuffers.Builder(256 + size);
  const [kind, body] = encodeBody(b, m);
  Envelope.startEnvelope(b);
  Envelope.addMessageType(b, kind);
  Envelope.addMessage(b, body);
  b.finish(Envelope.endEnvelope(b), FILE_IDENTIFIER);
  if (!small) return b.asUint8Array();
  const out = copyBytes(b.asUint8Array());
  // A builder grown by an unusually large small message does not stay that large.
  if (b.dataBuffer().capacity() > 64 * 1024) sharedBuilder = new flatbuffers.Builder(1024);
  return out;
}

/** Messages whose payload bytes are at most this go through the shared builder. */
const SMALL_MESSAGE_BYTES = 256;
let sharedBuilder = new flatbuffers.Builder(1024);

// ---- decoding ---------------------------------------------------------------------------------

class Reader {
  constructor(
    readonly bb: CheckedByteBuffer,
    readonly frame: Uint8Array,
  ) {}
  str(s: string | null): string {
    return s ?? '';
  }
  num(v: bigint): number {
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new FrameBoundsError(`integer ${v} is too large`);
    return Number(v);
  }
  /** Checks that a byte vector view lies inside the frame. */
  bytes(a: Uint8Array | null): Uint8Array {
    if (a === null) return new Uint8Array(0);
    const start = this.frame.byteOffset;
    if (a.buffer !== this.frame.buffer || a.byteOffset < start || a.byteOffset + a.byteLength > start + this.frame.byteLength) {
      throw new FrameBoundsError('byte vector outside the frame');
    }
    return a;
  }
  /** A failure with its causes (at most MAX_CAUSE_DEPTH); a code this build does not know becomes WRT_JOB_FAILED, named in the message. */
  failure(f: Failure | null, depth = 0): FailureRecord | null {
    if (!f) return null;
    const raw = this.str(f.code());
    const code = checkedCode(raw);
    const message = code === raw ? this.str(f.message()) : `${raw}: ${this.str(f.message())}`;
    const out: FailureRecord = { code, message, retryable: f.retryable() };
    const cause = depth < MAX_CAUSE_DEPTH ? this.failure(f.cause(), depth + 1) : null;
    if (cause) out.cause = cause;
    return out;
  }
  list<T>(n: number, at: (i: number) => T | null): T[] {
    const out: T[] = [];
    for (let i = 0; i < n; i++) {
      const v = at(i);
      if (v === null) throw new FrameBoundsError(`vector element ${i} missing`);
      out.push(v);
    }
    return out;
  }
  resources(n: number, at: (i: number) => Resource | null): ResourceMap {
    const out: ResourceMap = {};
    for (const r of this.list(n, at)) out[this.str(r.name())] = r.amount();
    return out;
  }
  args(n: number, at: (i: number) => TaskArgTable | null): TaskArg[] {
    return this.list(n, at).map((a) => ({ data: a.dataLength() > 0 ? this.bytes(a.dataArray()) : null, objectId: this.str(a.objectId()) }));
  }
  options(o: TaskOptionsTable | null): TaskOptions {
    if (!o)
      return { cpus: 0, gpus: 0, memoryBytes: 0, resources: {}, maxRetries: -1, retryExceptions: false, maxRestarts: -1, deadlineMs: 0 };
    return {
      cpus: o.cpus(),
      gpus: o.gpus(),
      memoryBytes: this.num(o.memoryBytes()),
      resources: this.resources(o.resourcesLength(), (i) => o.resources(i)),
      maxRetries: o.maxRetries(),
      retryExceptions: o.retryExceptions(),
      maxRestarts: o.maxRestarts(),
      deadlineMs: o.deadlineMs(),
    };
  }
  locations(n: number, at: (i: number) => ObjectLocation | null): Location[] {
    return this.list(n, at).map((l) => ({
      objectId: this.str(l.objectId()),
      nodeId: this.str(l.nodeId()),
      sizeBytes: this.num(l.sizeBytes()),
    }));
  }
}

function enumName<T extends string>(names: readonly T[], v: number, what: string): T {
  const name = names[v];
  if (name === undefined) throw new FrameBoundsError(`unknown ${what} ${v}`);
  return name;
}

function decodeBody(r: Reader, env: Envelope): Message {
  const stream = decodeStreamBody(r, env);
  if (stream) return stream;
  const kind = env.messageType();
  switch (kind) {
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
      };
    }
    case Kind.SubmitJob: {
      const t = env.message(new SubmitJob()) as SubmitJob;
      const g = t.graph();
      const args = decodeKeyValues(r, t.argsLength(), (i) => t.args(i));
      const graph: JobGraph = g ? decodeJobGraphTable(g) : { name: '', vertices: [], edges: [] };
      return {
        type: 'SubmitJob',
        requestId: t.requestId(),
        name: r.str(t.name()),
        module: r.bytes(t.moduleArray()),
        graph,
        inputChunks: t.inputChunks(),
        inputBytes: r.num(t.inputBytes()),
        args,
        operatorMaxMemoryBytes: r.num(t.operatorMaxMemoryBytes()),
        operatorDeadlineMs: t.operatorDeadlineMs(),
        parallelism: t.parallelism(),
        checkpointIntervalMs: t.checkpointIntervalMs(),
        restorePath: r.str(t.restorePath()),
      };
    }
    case Kind.JobAccepted: {
      const t = env.message(new JobAccepted()) as JobAccepted;
      return { type: 'JobAccepted', requestId: t.requestId(), jobId: r.str(t.jobId()) };
    }
    case Kind.JobStatus: {
      const t = env.message(new JobStatus()) as JobStatus;
      return {
        type: 'JobStatus',
        jobId: r.str(t.jobId()),
        state: enumName(JOB_STATES, t.state(), 'job state'),
        tasksTotal: t.tasksTotal(),
        tasksDone: t.tasksDone(),
        bytesDone: r.num(t.bytesDone()),
        message: r.str(t.message()),
        nodes: r.list(t.nodesLength(), (i) => t.nodes(i)),
      };
    }
    case Kind.ChunkRequest: {
      const t = env.message(new ChunkRequest()) as ChunkRequest;
      return { type: 'ChunkRequest', jobId: r.str(t.jobId()), index: t.index() };
    }
    case Kind.InputChunk: {
      const t = env.message(new InputChunk()) as InputChunk;
      return { type: 'InputChunk', jobId: r.str(t.jobId()), index: t.index(), data: r.bytes(t.dataArray()) };
    }
    case Kind.JobOutput: {
      const t = env.message(new JobOutput()) as JobOutput;
      return {
        type: 'JobOutput',
        jobId: r.str(t.jobId()),
        partition: t.partition(),
        data: r.bytes(t.dataArray()),
        epoch: r.num(t.epoch()),
      };
    }
    case Kind.DeployTask: {
      const t = env.message(new DeployTask()) as DeployTask;
      const output = r.str(t.output());
      if (output !== 'store' && output !== 'head') throw new FrameBoundsError(`unknown task output "${output}"`);
      return {
        type: 'DeployTask',
        jobId: r.str(t.jobId()),
        taskId: r.str(t.taskId()),
        moduleHash: r.str(t.moduleHash()),
        module: r.bytes(t.moduleArray()),
        operator: r.str(t.operator()),
        partitions: t.partitions(),
        inputs: r.locations(t.inputsLength(), (i) => t.inputs(i)),
        inlineInput: t.inlineInputLength() > 0 ? r.bytes(t.inlineInputArray()) : null,
        output,
        maxMemoryBytes: r.num(t.maxMemoryBytes()),
        deadlineMs: t.deadlineMs(),
        args: r.args(t.argsLength(), (i) => t.args(i)),
        returnId: r.str(t.returnId()),
        actorId: r.str(t.actorId()),
        kind: enumName(DEPLOY_KINDS, t.kind(), 'deploy kind'),
        gpus: t.gpus(),
      };
    }
    case Kind.TaskStatus: {
      const t = env.message(new TaskStatus()) as TaskStatus;
      return {
        type: 'TaskStatus',
        jobId: r.str(t.jobId()),
        taskId: r.str(t.taskId()),
        state: enumName(TASK_STATES, t.state(), 'task state'),
        outputs: r.locations(t.outputsLength(), (i) => t.outputs(i)),
        data: t.dataLength() > 0 ? r.bytes(t.dataArray()) : null,
        failure: r.failure(t.failure()),
        inputBytes: r.num(t.inputBytes()),
        returnId: r.str(t.returnId()),
        returnBytes: r.num(t.returnBytes()),
        returnInline: t.returnInline(),
      };
    }
    case Kind.ObjectPull: {
      const t = env.message(new ObjectPull()) as ObjectPull;
      return {
        type: 'ObjectPull',
        requestId: t.requestId(),
        objectId: r.str(t.objectId()),
        nodeId: r.str(t.nodeId()),
        requester: r.str(t.requester()),
        offset: r.num(t.offset()),
        length: r.num(t.length()),
      };
    }
    case Kind.ObjectChunk: {
      const t = env.message(new ObjectChunk()) as ObjectChunk;
      return {
        type: 'ObjectChunk',
        requestId: t.requestId(),
        objectId: r.str(t.objectId()),
        requester: r.str(t.requester()),
        offset: r.num(t.offset()),
        totalBytes: r.num(t.totalBytes()),
        data: r.bytes(t.dataArray()),
        failure: r.failure(t.failure()),
      };
    }
    case Kind.ReleaseObjects: {
      const t = env.message(new ReleaseObjects()) as ReleaseObjects;
      return { type: 'ReleaseObjects', objectIds: r.list(t.objectIdsLength(), (i) => t.objectIds(i)) };
    }
    case Kind.ErrorMessage: {
      const t = env.message(new ErrorMessage()) as ErrorMessage;
      const failure = r.failure(t.failure()) ?? { code: 'WRT_PROTOCOL', message: 'error without failure', retryable: false };
      return { type: 'ErrorMessage', requestId: t.requestId(), failure };
    }
    case Kind.RegisterModule: {
      const t = env.message(new RegisterModule()) as RegisterModule;
      return { type: 'RegisterModule', moduleId: r.str(t.moduleId()), module: r.bytes(t.moduleArray()) };
    }
    case Kind.SubmitTask: {
      const t = env.message(new SubmitTask()) as SubmitTask;
      return {
        type: 'SubmitTask',
        taskId: r.str(t.taskId()),
        moduleId: r.str(t.moduleId()),
        functionName: r.str(t.functionName()),
        args: r.args(t.argsLength(), (i) => t.args(i)),
        options: r.options(t.options()),
        returnId: r.str(t.returnId()),
      };
    }
    case Kind.CreateActor: {
      const t = env.message(new CreateActor()) as CreateActor;
      return {
        type: 'CreateActor',
        actorId: r.str(t.actorId()),
        moduleId: r.str(t.moduleId()),
        initFunction: r.str(t.initFunction()),
        args: r.args(t.argsLength(), (i) => t.args(i)),
        options: r.options(t.options()),
        name: r.str(t.name()),
      };
    }
    case Kind.ActorCall: {
      const t = env.message(new ActorCall()) as ActorCall;
      return {
        type: 'ActorCall',
        actorId: r.str(t.actorId()),
        method: r.str(t.method()),
        args: r.args(t.argsLength(), (i) => t.args(i)),
        returnId: r.str(t.returnId()),
      };
    }
    case Kind.ActorState: {
      const t = env.message(new ActorState()) as ActorState;
      return {
        type: 'ActorState',
        actorId: r.str(t.actorId()),
        state: enumName(ACTOR_STATES, t.state(), 'actor state'),
        nodeId: r.str(t.nodeId()),
        message: r.str(t.message()),
        restarts: t.restarts(),
      };
    }
    case Kind.LookupActor: {
      const t = env.message(new LookupActor()) as LookupActor;
      return { type: 'LookupActor', requestId: t.requestId(), name: r.str(t.name()) };
    }
    case Kind.ActorInfo: {
      const t = env.message(new ActorInfo()) as ActorInfo;
      return {
        type: 'ActorInfo',
        requestId: t.requestId(),
        actorId: r.str(t.actorId()),
        moduleId: r.str(t.moduleId()),
        state: enumName(ACTOR_STATES, t.state(), 'actor state'),
      };
    }
    case Kind.PutObject: {
      const t = env.message(new PutObject()) as PutObject;
      return {
        type: 'PutObject',
        objectId: r.str(t.objectId()),
        data: r.bytes(t.dataArray()),
        totalBytes: Number(t.totalBytes()),
        source: r.str(t.source()),
      };
    }
    case Kind.ObjectReady: {
      const t = env.message(new ObjectReady()) as ObjectReady;
      return {
        type: 'ObjectReady',
        objectId: r.str(t.objectId()),
        nodeId: r.str(t.nodeId()),
        sizeBytes: r.num(t.sizeBytes()),
        data: t.inline() ? r.bytes(t.dataArray()) : null,
        inline: t.inline(),
        failure: r.failure(t.failure()),
      };
    }
    case Kind.CancelTask: {
      const t = env.message(new CancelTask()) as CancelTask;
      return { type: 'CancelTask', objectId: r.str(t.objectId()), force: t.force() };
    }
    default:
      throw new FrameBoundsError(`unknown message type ${String(kind)}`);
  }
}

/**
 * One WebSocket frame carrying `messages` (each an {@link encodeMessage} result): every message is
 * a little-endian u32 byte length followed by its bytes (FlatBuffers' size-prefixed layout). A
 * connection batches what it sends in one turn of the event loop into one frame: one write and one
 * frame per burst instead of per message.
 */
export function encodeFrame(messages: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const m of messages) size += 4 + m.byteLength;
  const frame = new Uint8Array(size);
  const dv = new DataView(frame.buffer);
  let at = 0;
  for (const m of messages) {
    dv.setUint32(at, m.byteLength, true);
    frame.set(m, at + 4);
    at += 4 + m.byteLength;
  }
  return frame;
}

/**
 * Decodes every message of a frame made by {@link encodeFrame}; byte fields are views into `frame`.
 * @throws WrtError `WRT_PROTOCOL` when the frame is larger than {@link MAX_FRAME_BYTES}, a length
 *   runs past its end, or any message fails {@link decodeMessage}.
 */
export function decodeFrame(frame: Uint8Array): Message[] {
  if (frame.byteLength > MAX_FRAME_BYTES) {
    throw new WrtError('WRT_PROTOCOL', `frame of ${frame.byteLength} bytes exceeds the ${MAX_FRAME_BYTES}-byte limit`);
  }
  if (frame.byteLength === 0) throw new WrtError('WRT_PROTOCOL', 'empty frame');
  return splitFrame(frame, 'frame').map(decodeMessage);
}

/**
 * The pieces of bytes laid out as {@link encodeFrame} does (u32 little-endian byte length, then
 * the bytes; repeated), as views into `bytes`.
 * @throws WrtError `WRT_PROTOCOL` naming `what` when a length runs past the end.
 */
export function splitFrame(bytes: Uint8Array, what: string): Uint8Array[] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Uint8Array[] = [];
  for (let at = 0; at < bytes.byteLength;) {
    const n = at + 4 <= bytes.byteLength ? dv.getUint32(at, true) : -1;
    if (n < 0 || at + 4 + n > bytes.byteLength)
      throw new WrtError('WRT_PROTOCOL', `malformed ${what}: the piece at byte ${at} runs past its ${bytes.byteLength} bytes`);
    out.push(bytes.subarray(at + 4, at + 4 + n));
    at += 4 + n;
  }
  return out;
}

/**
 * Decodes one message. The returned message's byte fields are views into `frame`.
 * @throws WrtError `WRT_PROTOCOL` when the frame is empty, larger than {@link MAX_FRAME_BYTES},
 *   lacks the "WRT1" identifier, or any table, vector or string in it lies outside its bytes.
 */
export function decodeMessage(frame: Uint8Array): Message {
  if (frame.byteLength > MAX_FRAME_BYTES) {
    throw new WrtError('WRT_PROTOCOL', `frame of ${frame.byteLength} bytes exceeds the ${MAX_FRAME_BYTES}-byte limit`);
  }
  if (frame.byteLength < 12) throw new WrtError('WRT_PROTOCOL', `frame of ${frame.byteLength} bytes is truncated`);
  const bb = new CheckedByteBuffer(frame);
  try {
    if (!Envelope.bufferHasIdentifier(bb)) throw new FrameBoundsError('frame lacks the "WRT1" identifier');
    return decodeBody(new Reader(bb, frame), Envelope.getRootAsEnvelope(bb));
  } catch (err) {
    if (err instanceof FrameBoundsError || err instanceof RangeError || err instanceof TypeError) {
      throw new WrtError('WRT_PROTOCOL', `malformed frame: ${err.message}`, { cause: err });
    }
    throw new WrtError('WRT_PROTOCOL', `malformed frame: ${String(err)}`, { cause: err });
  }
}

/**
 * Sends `m` on `conn`: as an object where the connection takes objects (in memory), else encoded.
 * The caller must not change `m` or its buffers afterwards.
 */
export function sendMessage(conn: Connection, m: Message): void {
  if (conn.sendObject) conn.sendObject(m);
  else conn.send(encodeMessage(m));
}
