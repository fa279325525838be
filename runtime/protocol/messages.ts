/**
 * The messages of the wire protocol as plain TypeScript values. Each mirrors one table of
 * runtime/protocol/wire.fbs (same field names in camelCase; `*Ms` milliseconds, `*Bytes` bytes);
 * {@link encodeMessage} and {@link decodeMessage} (codec.ts) convert them to and from Envelopes.
 */
import type { FailureRecord } from '../errors.js';

export interface JobGraphVertex {
  id: string;
  kind: 'Source' | 'Map' | 'Reduce' | 'Sink';
  operator: string;
  /** Parallel subtasks; 0 = the runtime's default. */
  parallelism: number;
  format: string;
  /** 0 = the runtime's default. */
  maxMemoryBytes: number;
  /** 0 = the runtime's default. */
  deadlineMs: number;
}

export interface JobGraphEdge {
  from: string;
  to: string;
  partitioning: 'Forward' | 'Hash';
}

export interface JobGraph {
  name: string;
  vertices: JobGraphVertex[];
  edges: JobGraphEdge[];
}

export interface ObjectLocation {
  objectId: string;
  nodeId: string;
  sizeBytes: number;
}

export type JobState = 'Running' | 'Finished' | 'Failed' | 'Cancelled';

export type Message =
  | {
      type: 'RegisterNode';
      name: string;
      platform: 'node' | 'browser';
      cpus: number;
      gpus: number;
      memoryBytes: number;
      storeBytes: number;
    }
  | { type: 'RegisterAck'; nodeId: string; heartbeatIntervalMs: number; heartbeatTimeoutMs: number }
  | { type: 'Heartbeat'; runningTasks: number; storeUsedBytes: number; tasksFinished: number }
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
    }
  | { type: 'JobAccepted'; requestId: number; jobId: string }
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
  | { type: 'JobOutput'; jobId: string; partition: number; data: Uint8Array }
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
    }
  | { type: 'ObjectPull'; requestId: number; objectId: string; nodeId: string; requester: string }
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
  | { type: 'ErrorMessage'; requestId: number; failure: FailureRecord };

export type MessageType = Message['type'];
export type MessageOf<T extends MessageType> = Extract<Message, { type: T }>;
