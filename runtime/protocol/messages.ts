/**
 * The messages of the wire protocol as plain TypeScript values. Each mirrors one table of
 * runtime/protocol/wire.fbs (same field names in camelCase; `*Ms` milliseconds, `*Bytes` bytes);
 * {@link encodeMessage} and {@link decodeMessage} (codec.ts) convert them to and from Envelopes.
 */
import type { FailureRecord } from '../errors.js';

export type {
  AggregateSpec,
  ColumnType,
  JobGraph,
  JobGraphEdge,
  JobGraphVertex,
  StateSpec,
  StreamColumn,
  WatermarkAlignmentSpec,
  WindowSpec,
} from './job-graph-types.js';
import type { JobGraph } from './job-graph-types.js';

export interface ObjectLocation {
  objectId: string;
  nodeId: string;
  sizeBytes: number;
}

/** Stopped: a stream job ended by `wrt stop` once its savepoint was written. */
export type JobState = 'Running' | 'Finished' | 'Failed' | 'Cancelled' | 'Stopped';

/** What `wrt savepoint` / `wrt cancel` / `wrt stop` ask of a running job. */
export type JobAction = 'Savepoint' | 'Cancel' | 'Stop';

/** Amounts of resources by name (`cpus`, `gpus`, `memoryBytes` are separate fields). */
export type ResourceMap = Record<string, number>;

/** One argument: inline bytes (`objectId` empty) or an object to resolve where the task runs. */
export interface TaskArg {
  data: Uint8Array | null;
  objectId: string;
}

/** Options of a remote function or actor; 0 / -1 / empty mean the runtime's default. */
export interface TaskOptions {
  cpus: number;
  gpus: number;
  memoryBytes: number;
  resources: ResourceMap;
  /** -1 = default. */
  maxRetries: number;
  retryExceptions: boolean;
  /** -1 = default. */
  maxRestarts: number;
  deadlineMs: number;
  /** Remote functions: may run on volunteers, results verified (docs/volunteers.md). Absent = false. */
  volunteers?: boolean;
}

export type DeployKind = 'Operator' | 'Task' | 'ActorCreate' | 'ActorCall' | 'ActorKill';
export type ActorLifecycle = 'Pending' | 'Alive' | 'Restarting' | 'Dead';

export type Message =
  | {
      type: 'RegisterNode';
      /** The node's ceilings (0 = none): operator linear memory, bytes; call deadline, ms; bytes one GPU call may move. */
      maxOperatorMemoryBytes: number;
      maxDeadlineMs: number;
      maxGpuBytesPerCall: number;
      name: string;
      platform: 'node' | 'browser';
      cpus: number;
      gpus: number;
      memoryBytes: number;
      storeBytes: number;
      /** Custom resources offered. */
      resources: ResourceMap;
      /** The WebGPU adapter behind `gpus`, or why the node has none. */
      gpuAdapter: string;
      /** Where drivers may call this node's actors directly (ws:// URL, ADR 0009); '' (or absent) for none. */
      directAddress?: string;
    }
  | { type: 'RegisterAck'; nodeId: string; heartbeatIntervalMs: number; heartbeatTimeoutMs: number }
  | {
      type: 'Heartbeat';
      runningTasks: number;
      storeUsedBytes: number;
      tasksFinished: number;
      /** Bytes spilled to and restored from disk since the node started, and on disk now. */
      storeSpilledBytes: number;
      storeRestoredBytes: number;
      storeOnDiskBytes: number;
      /** Calls that failed, GPU kernels dispatched, and bytes of objects pulled from other nodes, since the node started. */
      tasksFailed: number;
      gpuKernels: number;
      bytesPulled: number;
      /** Every stream subtask running on the node. */
      subtasks: SubtaskMetricsWire[];
      /** Slots offered now: -1 (or absent) = all registered; 0 = paused. */
      offeredCpus?: number;
      /** Actor calls drivers made directly to this node since it started (ADR 0009); absent = 0. */
      directCalls?: number;
    }
  | {
      type: 'SubmitJob';
      requestId: number;
      name: string;
      module: Uint8Array;
      graph: JobGraph;
      inputChunks: number;
      inputBytes: number;
      args: Record<string, string>;
      operatorMaxMemoryBytes: number;
      operatorDeadlineMs: number;
      /** Stream jobs: subtasks of vertices that set no parallelism; 0 (or absent) = the cluster's slots. */
      parallelism?: number;
      /** Stream jobs: ms between checkpoints; 0 (or absent) = none. */
      checkpointIntervalMs?: number;
      /** Stream jobs: a savepoint (or retained checkpoint) directory on the head to start from; '' (or absent) = none. */
      restorePath?: string;
      /** Batch jobs: map subtasks may run on volunteers, outputs verified (docs/volunteers.md). Absent = false. */
      volunteers?: boolean;
    }
  | {
      type: 'JobAccepted';
      requestId: number;
      jobId: string;
      /** Output partitions the job writes (JobOutput `partition` 0..n-1), as the head planned them: reduce or sink subtasks. */
      partitions: number;
    }
  | {
      type: 'JobStatus';
      jobId: string;
      state: JobState;
      tasksTotal: number;
      tasksDone: number;
      bytesDone: number;
      message: string;
      nodes: string[];
    }
  | { type: 'ChunkRequest'; jobId: string; index: number }
  | { type: 'InputChunk'; jobId: string; index: number; data: Uint8Array }
  | {
      type: 'JobOutput';
      jobId: string;
      partition: number;
      data: Uint8Array;
      /** Stream jobs, node → head: the last checkpoint its sink passed before this piece (0: none). */
      epoch?: number;
    }
  | {
      type: 'DeployTask';
      jobId: string;
      taskId: string;
      moduleHash: string;
      /** Empty when the node already holds the module of `moduleHash`. */
      module: Uint8Array;
      operator: string;
      partitions: number;
      inputs: ObjectLocation[];
      inlineInput: Uint8Array | null;
      output: 'store' | 'head';
      maxMemoryBytes: number;
      deadlineMs: number;
      args: TaskArg[];
      returnId: string;
      actorId: string;
      kind: DeployKind;
      /** GPUs granted (0 or 1): the wasm instance may import `wrt:runtime/gpu`. */
      gpus: number;
    }
  | {
      type: 'TaskStatus';
      jobId: string;
      taskId: string;
      state: 'Running' | 'Finished' | 'Failed';
      outputs: ObjectLocation[];
      data: Uint8Array | null;
      failure: FailureRecord | null;
      inputBytes: number;
      returnId: string;
      returnBytes: number;
      returnInline: boolean;
    }
  | {
      type: 'ObjectPull';
      requestId: number;
      objectId: string;
      nodeId: string;
      requester: string;
      /** First byte asked for. */
      offset: number;
      /** Bytes asked for (the owner sends at most this many, fewer at the object's end). */
      length: number;
    }
  | {
      type: 'ObjectChunk';
      requestId: number;
      objectId: string;
      requester: string;
      offset: number;
      totalBytes: number;
      data: Uint8Array;
      failure: FailureRecord | null;
    }
  | { type: 'ReleaseObjects'; objectIds: string[] }
  | { type: 'ErrorMessage'; requestId: number; failure: FailureRecord }
  | { type: 'RegisterModule'; moduleId: string; module: Uint8Array }
  | { type: 'SubmitTask'; taskId: string; moduleId: string; functionName: string; args: TaskArg[]; options: TaskOptions; returnId: string }
  | { type: 'CreateActor'; actorId: string; moduleId: string; initFunction: string; args: TaskArg[]; options: TaskOptions; name: string }
  | { type: 'ActorCall'; actorId: string; method: string; args: TaskArg[]; returnId: string }
  | { type: 'ActorState'; actorId: string; state: ActorLifecycle; nodeId: string; message: string; restarts: number }
  /**
   * head → an actor's owner, then that driver → the actor's node on a direct connection (ADR 0009):
   * leave to call actor `actorId` at node `nodeId` (`address`, a ws:// URL) until `expiresMs` (Unix
   * ms); `ticket` is the head's HMAC-SHA256 over them (runtime/protocol/route-ticket.ts).
   */
  | { type: 'ActorRoute'; actorId: string; nodeId: string; address: string; expiresMs: number; ticket: Uint8Array }
  | { type: 'LookupActor'; requestId: number; name: string }
  | { type: 'ActorInfo'; requestId: number; actorId: string; moduleId: string; state: ActorLifecycle }
  | {
      type: 'PutObject';
      objectId: string;
      /** The bytes, or empty when `source` holds them. */
      data: Uint8Array;
      /** The object's size in bytes (also when `data` is empty). */
      totalBytes: number;
      /** Who holds the bytes for a pulled put (a driver id); '' when `data` carries them. */
      source: string;
    }
  | {
      type: 'ObjectReady';
      objectId: string;
      nodeId: string;
      sizeBytes: number;
      /** The bytes, when `inline`. */
      data: Uint8Array | null;
      inline: boolean;
      failure: FailureRecord | null;
    }
  | { type: 'CancelTask'; objectId: string; force: boolean }
  | {
      type: 'DeployStreamSlot';
      jobId: string;
      /** Runs subtask `slot` of every vertex whose parallelism exceeds it. */
      slot: number;
      moduleHash: string;
      /** Empty when the node already holds the module of `moduleHash`. */
      module: Uint8Array;
      /** The head's plan: every vertex's parallelism set, `${arg}` properties substituted (`resolvedGraph`). */
      graph: JobGraph;
      /** Node id of every slot, by slot index. */
      slotNodes: string[];
      maxMemoryBytes: number;
      /** Batches a sender may have in flight per channel. */
      channelCredits: number;
      /** A restart: the states of the slot's subtasks in the checkpoint it starts from. */
      restore: SubtaskState[];
      /** Started from a savepoint: sinks begin new part files rather than continue the restored ones. */
      freshOutput?: boolean;
      /** Deadline of one operator call, ms; 0 = none. */
      deadlineMs: number;
    }
  | {
      type: 'StreamData';
      jobId: string;
      /** The node that runs subtask `to`. */
      nodeId: string;
      /** Index of the edge in the job graph's `edges`. */
      edge: number;
      from: number;
      to: number;
      kind: StreamElementKind;
      /** Watermark time (ms) when `kind` is Watermark; the checkpoint id of a Barrier. */
      time: number;
      /** A WRB1 row batch when `kind` is Batch. */
      data: Uint8Array | null;
    }
  | { type: 'StreamCredit'; jobId: string; nodeId: string; edge: number; from: number; to: number; credits: number }
  | { type: 'CancelJob'; jobId: string; reason: string }
  | { type: 'TriggerCheckpoint'; jobId: string; checkpointId: number }
  | { type: 'CheckpointAck'; jobId: string; checkpointId: number; state: SubtaskState }
  /** `savepointDir`: a directory on the head's file system; '' = the head's default. */
  | { type: 'JobControl'; requestId: number; jobId: string; action: JobAction; savepointDir: string }
  /** `savepointPath`: where the savepoint was written ('' for Cancel). */
  | { type: 'JobControlDone'; requestId: number; jobId: string; savepointPath: string }
  /** `nonce`: 32 random bytes the peer must prove its credential over (runtime/protocol/credentials.ts). */
  | { type: 'AuthChallenge'; nonce: Uint8Array }
  /** `credential`: "admin", or the public part `wrt.ROLE.SUBJECT` of a derived token; `proof`: 32 bytes of HMAC-SHA256. */
  | { type: 'Authenticate'; role: Role; credential: string; proof: Uint8Array }
  /** `subject` owns what the connection creates; `admin`: the cluster secret, which may act on everything. */
  | { type: 'AuthOk'; role: Role; subject: string; admin: boolean }
  /** node → head: aligned source subtasks' watermarks (wire.fbs `ReportWatermarks`; ±Infinity allowed). */
  | { type: 'ReportWatermarks'; jobId: string; sources: SourceWatermark[] }
  /** head → node: the slowest watermark of alignment group `group` (wire.fbs `AlignWatermarks`). */
  | { type: 'AlignWatermarks'; jobId: string; group: string; minWatermark: number }
  /** head → volunteer: its trust record (wire.fbs `TrustReport`, docs/volunteers.md). */
  | { type: 'TrustReport'; valid: number; invalid: number; streak: number; trusted: boolean; quarantined: boolean; unitsDone: number };

/** What a connection may do (docs/security.md): see `Role` in wire.fbs. */
export type Role = 'node' | 'driver' | 'volunteer' | 'viewer';

export type StreamElementKind = 'Batch' | 'Watermark' | 'End' | 'Barrier' | 'Status';

/** The snapshot of subtask `vertex`#`index` (stream-subtask.ts). */
export interface SubtaskState {
  vertex: string;
  index: number;
  state: Uint8Array;
}

/** Source subtask `vertex`#`index`'s watermark, event-time ms: +Infinity ended or idle, -Infinity before its first. */
export interface SourceWatermark {
  vertex: string;
  index: number;
  watermark: number;
}

export type MessageType = Message['type'];
export type MessageOf<T extends MessageType> = Extract<Message, { type: T }>;

/** One stream subtask's figures in a Heartbeat (wire.fbs `SubtaskMetrics`): cumulative since its slot started. */
export interface SubtaskMetricsWire {
  /** Execution id, `JOB@ATTEMPT`. */
  jobId: string;
  vertex: string;
  index: number;
  recordsIn: number;
  recordsOut: number;
  /** Milliseconds its output waited for credit. */
  backPressuredMs: number;
  /** Event-time ms of the last watermark it sent on; -Infinity before the first. */
  outputWatermark: number;
}
