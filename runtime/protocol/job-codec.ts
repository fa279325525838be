/**
 * Encoding and guarded decoding of the jobs and deployments: SubmitJob, JobAccepted, JobStatus, ChunkRequest, InputChunk, JobOutput, DeployTask, TaskStatus
 * (runtime/protocol/wire.fbs). codec.ts wraps each in an Envelope and tries every family in turn;
 * decoding reads through the guarded {@link WireReader}, so a malformed table is a `WRT_PROTOCOL` error.
 */
import type * as flatbuffers from 'flatbuffers';
import type { Message, JobGraph } from './messages.js';
import {
  encodeFailure,
  encodeLocations,
  encodeArgs,
  vectorOf,
  enumName,
  JOB_STATES,
  TASK_STATES,
  DEPLOY_KINDS,
  encodeKeyValues,
  decodeKeyValues,
  type B,
  type WireReader,
} from './wire-tables.js';
import { decodeJobGraphTable, encodeJobGraphTable } from './job-graph-codec.js';
import { FrameBoundsError } from './checked-byte-buffer.js';
import { Message as Kind } from './generated/wrt/protocol/message.js';
import type { Envelope } from './generated/wrt/protocol/envelope.js';
import { SubmitJob } from './generated/wrt/protocol/submit-job.js';
import { JobAccepted } from './generated/wrt/protocol/job-accepted.js';
import { JobStatus } from './generated/wrt/protocol/job-status.js';
import { ChunkRequest } from './generated/wrt/protocol/chunk-request.js';
import { InputChunk } from './generated/wrt/protocol/input-chunk.js';
import { JobOutput } from './generated/wrt/protocol/job-output.js';
import { DeployTask } from './generated/wrt/protocol/deploy-task.js';
import { TaskStatus } from './generated/wrt/protocol/task-status.js';

/** The body of `m` when it is one of this family's messages, else null. */
export function encodeJobBody(b: B, m: Message): [Kind, flatbuffers.Offset] | null {
  switch (m.type) {
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
      SubmitJob.addVolunteers(b, m.volunteers ?? false);
      return [Kind.SubmitJob, SubmitJob.endSubmitJob(b)];
    }
    case 'JobAccepted':
      return [Kind.JobAccepted, JobAccepted.createJobAccepted(b, m.requestId, b.createString(m.jobId), m.partitions)];
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
    default:
      return null;
  }
}

/** The message in `env` when it is one of this family's, else null. */
export function decodeJobBody(r: WireReader, env: Envelope): Message | null {
  switch (env.messageType()) {
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
        volunteers: t.volunteers(),
      };
    }
    case Kind.JobAccepted: {
      const t = env.message(new JobAccepted()) as JobAccepted;
      return { type: 'JobAccepted', requestId: t.requestId(), jobId: r.str(t.jobId()), partitions: t.partitions() };
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
    default:
      return null;
  }
}
