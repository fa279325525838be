/**
 * Encoding and decoding of the stream-execution messages of wire.fbs (DeployStreamSlot,
 * StreamData, StreamCredit, CancelJob), kept apart from codec.ts, which calls in here for them.
 * Decoding reads through codec.ts's guarded reader, so a malformed table is a `WRT_PROTOCOL` error.
 */
import { WrtError } from '../errors.js';
import type * as flatbuffers from 'flatbuffers';
import type { JobAction, Message, MessageOf, StreamElementKind, SubtaskState } from './messages.js';
import { decodeJobGraphTable, encodeJobGraphTable } from './job-graph-codec.js';
import { Message as Kind } from './generated/wrt/protocol/message.js';
import type { Envelope } from './generated/wrt/protocol/envelope.js';
import { DeployStreamSlot } from './generated/wrt/protocol/deploy-stream-slot.js';
import { StreamData } from './generated/wrt/protocol/stream-data.js';
import { StreamCredit } from './generated/wrt/protocol/stream-credit.js';
import { CancelJob } from './generated/wrt/protocol/cancel-job.js';
import { SubtaskState as SubtaskStateTable } from './generated/wrt/protocol/subtask-state.js';
import { TriggerCheckpoint } from './generated/wrt/protocol/trigger-checkpoint.js';
import { CheckpointAck } from './generated/wrt/protocol/checkpoint-ack.js';
import { JobControl } from './generated/wrt/protocol/job-control.js';
import { JobControlDone } from './generated/wrt/protocol/job-control-done.js';
import { ReportWatermarks } from './generated/wrt/protocol/report-watermarks.js';
import { SourceWatermark } from './generated/wrt/protocol/source-watermark.js';
import { AlignWatermarks } from './generated/wrt/protocol/align-watermarks.js';

type B = flatbuffers.Builder;
export type StreamMessage = MessageOf<
  | 'DeployStreamSlot'
  | 'StreamData'
  | 'StreamCredit'
  | 'CancelJob'
  | 'TriggerCheckpoint'
  | 'CheckpointAck'
  | 'JobControl'
  | 'JobControlDone'
  | 'ReportWatermarks'
  | 'AlignWatermarks'
>;

const JOB_ACTIONS: readonly JobAction[] = ['Savepoint', 'Cancel', 'Stop'];

const ELEMENT_KINDS: readonly StreamElementKind[] = ['Batch', 'Watermark', 'End', 'Barrier', 'Status'];

/** What decoding needs from codec.ts's guarded reader. */
export interface GuardedReader {
  str(s: string | null): string;
  num(v: bigint): number;
  bytes(a: Uint8Array | null): Uint8Array;
  list<T>(n: number, at: (i: number) => T | null): T[];
}

export function isStreamMessage(m: Message): m is StreamMessage {
  return (
    m.type === 'DeployStreamSlot' ||
    m.type === 'StreamData' ||
    m.type === 'StreamCredit' ||
    m.type === 'CancelJob' ||
    m.type === 'TriggerCheckpoint' ||
    m.type === 'CheckpointAck' ||
    m.type === 'JobControl' ||
    m.type === 'JobControlDone' ||
    m.type === 'ReportWatermarks' ||
    m.type === 'AlignWatermarks'
  );
}

function encodeSubtaskState(b: B, s: SubtaskState): flatbuffers.Offset {
  return SubtaskStateTable.createSubtaskState(b, b.createString(s.vertex), s.index, b.createByteVector(s.state));
}

function decodeSubtaskState(r: GuardedReader, t: SubtaskStateTable): SubtaskState {
  return { vertex: r.str(t.vertex()), index: t.index(), state: r.bytes(t.stateArray()) };
}

export function encodeStreamBody(b: B, m: StreamMessage): [Kind, flatbuffers.Offset] {
  switch (m.type) {
    case 'DeployStreamSlot': {
      const job = b.createString(m.jobId);
      const hash = b.createString(m.moduleHash);
      const module = b.createByteVector(m.module);
      const graph = encodeJobGraphTable(b, m.graph);
      const nodes = DeployStreamSlot.createSlotNodesVector(
        b,
        m.slotNodes.map((n) => b.createString(n)),
      );
      const restore = DeployStreamSlot.createRestoreVector(
        b,
        m.restore.map((s) => encodeSubtaskState(b, s)),
      );
      DeployStreamSlot.startDeployStreamSlot(b);
      DeployStreamSlot.addJobId(b, job);
      DeployStreamSlot.addSlot(b, m.slot);
      DeployStreamSlot.addModuleHash(b, hash);
      DeployStreamSlot.addModule(b, module);
      DeployStreamSlot.addGraph(b, graph);
      DeployStreamSlot.addSlotNodes(b, nodes);
      DeployStreamSlot.addMaxMemoryBytes(b, BigInt(m.maxMemoryBytes));
      DeployStreamSlot.addChannelCredits(b, m.channelCredits);
      DeployStreamSlot.addRestore(b, restore);
      DeployStreamSlot.addFreshOutput(b, !!m.freshOutput);
      DeployStreamSlot.addDeadlineMs(b, m.deadlineMs);
      return [Kind.DeployStreamSlot, DeployStreamSlot.endDeployStreamSlot(b)];
    }
    case 'StreamData': {
      const job = b.createString(m.jobId);
      const node = b.createString(m.nodeId);
      const data = m.data ? b.createByteVector(m.data) : 0;
      StreamData.startStreamData(b);
      StreamData.addJobId(b, job);
      StreamData.addNodeId(b, node);
      StreamData.addEdge(b, m.edge);
      StreamData.addFrom(b, m.from);
      StreamData.addTo(b, m.to);
      StreamData.addKind(b, ELEMENT_KINDS.indexOf(m.kind));
      StreamData.addTime(b, BigInt(m.time));
      if (data) StreamData.addData(b, data);
      return [Kind.StreamData, StreamData.endStreamData(b)];
    }
    case 'StreamCredit': {
      const [job, node] = [m.jobId, m.nodeId].map((s) => b.createString(s));
      return [Kind.StreamCredit, StreamCredit.createStreamCredit(b, job!, node!, m.edge, m.from, m.to, m.credits)];
    }
    case 'CancelJob': {
      const [job, reason] = [m.jobId, m.reason].map((s) => b.createString(s));
      return [Kind.CancelJob, CancelJob.createCancelJob(b, job!, reason!)];
    }
    case 'TriggerCheckpoint':
      return [Kind.TriggerCheckpoint, TriggerCheckpoint.createTriggerCheckpoint(b, b.createString(m.jobId), BigInt(m.checkpointId))];
    case 'CheckpointAck': {
      const job = b.createString(m.jobId);
      const state = encodeSubtaskState(b, m.state);
      CheckpointAck.startCheckpointAck(b);
      CheckpointAck.addJobId(b, job);
      CheckpointAck.addCheckpointId(b, BigInt(m.checkpointId));
      CheckpointAck.addState(b, state);
      return [Kind.CheckpointAck, CheckpointAck.endCheckpointAck(b)];
    }
    case 'JobControl': {
      const [job, dir] = [m.jobId, m.savepointDir].map((s) => b.createString(s));
      return [Kind.JobControl, JobControl.createJobControl(b, m.requestId, job!, JOB_ACTIONS.indexOf(m.action), dir!)];
    }
    case 'JobControlDone': {
      const [job, path] = [m.jobId, m.savepointPath].map((s) => b.createString(s));
      return [Kind.JobControlDone, JobControlDone.createJobControlDone(b, m.requestId, job!, path!)];
    }
    case 'ReportWatermarks': {
      const job = b.createString(m.jobId);
      const sources = m.sources.map((w) => SourceWatermark.createSourceWatermark(b, b.createString(w.vertex), w.index, w.watermark));
      return [Kind.ReportWatermarks, ReportWatermarks.createReportWatermarks(b, job, ReportWatermarks.createSourcesVector(b, sources))];
    }
    case 'AlignWatermarks': {
      const [job, group] = [m.jobId, m.group].map((s) => b.createString(s));
      return [Kind.AlignWatermarks, AlignWatermarks.createAlignWatermarks(b, job!, group!, m.minWatermark)];
    }
  }
}

/** Decodes a stream message, or returns null for another kind. */
export function decodeStreamBody(r: GuardedReader, env: Envelope): StreamMessage | null {
  switch (env.messageType()) {
    case Kind.DeployStreamSlot: {
      const t = env.message(new DeployStreamSlot()) as DeployStreamSlot;
      const graph = t.graph();
      if (!graph) throw new WrtError('WRT_PROTOCOL', 'DeployStreamSlot without a graph');
      return {
        type: 'DeployStreamSlot',
        jobId: r.str(t.jobId()),
        slot: t.slot(),
        moduleHash: r.str(t.moduleHash()),
        module: r.bytes(t.moduleArray()),
        graph: decodeJobGraphTable(graph),
        slotNodes: r.list(t.slotNodesLength(), (i) => t.slotNodes(i)),
        maxMemoryBytes: r.num(t.maxMemoryBytes()),
        channelCredits: t.channelCredits(),
        restore: r.list(t.restoreLength(), (i) => t.restore(i)).map((s) => decodeSubtaskState(r, s)),
        freshOutput: t.freshOutput(),
        deadlineMs: t.deadlineMs(),
      };
    }
    case Kind.StreamData: {
      const t = env.message(new StreamData()) as StreamData;
      const kind = ELEMENT_KINDS[t.kind()];
      if (kind === undefined) throw new WrtError('WRT_PROTOCOL', `unknown stream element kind ${t.kind()}`);
      return {
        type: 'StreamData',
        jobId: r.str(t.jobId()),
        nodeId: r.str(t.nodeId()),
        edge: t.edge(),
        from: t.from(),
        to: t.to(),
        kind,
        time: Number(t.time()),
        data: kind === 'Batch' ? r.bytes(t.dataArray()) : null,
      };
    }
    case Kind.StreamCredit: {
      const t = env.message(new StreamCredit()) as StreamCredit;
      return {
        type: 'StreamCredit',
        jobId: r.str(t.jobId()),
        nodeId: r.str(t.nodeId()),
        edge: t.edge(),
        from: t.from(),
        to: t.to(),
        credits: t.credits(),
      };
    }
    case Kind.CancelJob: {
      const t = env.message(new CancelJob()) as CancelJob;
      return { type: 'CancelJob', jobId: r.str(t.jobId()), reason: r.str(t.reason()) };
    }
    case Kind.TriggerCheckpoint: {
      const t = env.message(new TriggerCheckpoint()) as TriggerCheckpoint;
      return { type: 'TriggerCheckpoint', jobId: r.str(t.jobId()), checkpointId: r.num(t.checkpointId()) };
    }
    case Kind.CheckpointAck: {
      const t = env.message(new CheckpointAck()) as CheckpointAck;
      const state = t.state();
      if (!state) throw new WrtError('WRT_PROTOCOL', 'CheckpointAck without a state');
      return { type: 'CheckpointAck', jobId: r.str(t.jobId()), checkpointId: r.num(t.checkpointId()), state: decodeSubtaskState(r, state) };
    }
    case Kind.JobControl: {
      const t = env.message(new JobControl()) as JobControl;
      const action = JOB_ACTIONS[t.action()];
      if (!action) throw new WrtError('WRT_PROTOCOL', `unknown job action ${t.action()}`);
      return { type: 'JobControl', requestId: t.requestId(), jobId: r.str(t.jobId()), action, savepointDir: r.str(t.savepointDir()) };
    }
    case Kind.JobControlDone: {
      const t = env.message(new JobControlDone()) as JobControlDone;
      return { type: 'JobControlDone', requestId: t.requestId(), jobId: r.str(t.jobId()), savepointPath: r.str(t.savepointPath()) };
    }
    case Kind.ReportWatermarks: {
      const t = env.message(new ReportWatermarks()) as ReportWatermarks;
      const sources = r
        .list(t.sourcesLength(), (i) => t.sources(i))
        .map((w) => ({ vertex: r.str(w.vertex()), index: w.index(), watermark: w.watermark() }));
      return { type: 'ReportWatermarks', jobId: r.str(t.jobId()), sources };
    }
    case Kind.AlignWatermarks: {
      const t = env.message(new AlignWatermarks()) as AlignWatermarks;
      return { type: 'AlignWatermarks', jobId: r.str(t.jobId()), group: r.str(t.group()), minWatermark: t.minWatermark() };
    }
    default:
      return null;
  }
}
