// One message of every type, with non-default values, for protocol tests.
import type { Message, JobGraph } from '../../runtime/protocol/messages.js';

export const graph: JobGraph = {
  name: 'wordcount',
  vertices: [
    { id: 'read', kind: 'Source', operator: '', parallelism: 0, format: 'text', maxMemoryBytes: 0, deadlineMs: 0 },
    { id: 'tokenize', kind: 'Map', operator: 'tokenize', parallelism: 0, format: '', maxMemoryBytes: 1 << 20, deadlineMs: 10 },
    { id: 'merge', kind: 'Reduce', operator: 'merge', parallelism: 4, format: '', maxMemoryBytes: 0, deadlineMs: 0 },
    { id: 'write', kind: 'Sink', operator: '', parallelism: 0, format: 'tsv', maxMemoryBytes: 0, deadlineMs: 0 },
  ],
  edges: [
    { from: 'read', to: 'tokenize', partitioning: 'Forward' },
    { from: 'tokenize', to: 'merge', partitioning: 'Hash' },
    { from: 'merge', to: 'write', partitioning: 'Forward' },
  ],
};
const bytes = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 7) & 255);
const failure = { code: 'WRT_OPERATOR_TRAP', message: 'operator "tokenize" trapped: unreachable', retryable: false };

/** One of every message type, with non-default values. */
export const SAMPLES: Message[] = [
  { type: 'RegisterNode', name: 'n', platform: 'browser', cpus: 3, gpus: 1, memoryBytes: 2 ** 33, storeBytes: 2 ** 30 },
  { type: 'RegisterAck', nodeId: 'n-1', heartbeatIntervalMs: 1000, heartbeatTimeoutMs: 5000 },
  { type: 'Heartbeat', runningTasks: 2, storeUsedBytes: 12345, tasksFinished: 9 },
  {
    type: 'SubmitJob',
    requestId: 7,
    name: 'wc',
    module: bytes(300),
    graph,
    inputChunks: 12,
    inputBytes: 2 ** 40,
    args: { a: '1', query: 'q5' },
    operatorMaxMemoryBytes: 2 ** 28,
    operatorDeadlineMs: 999,
  },
  { type: 'JobAccepted', requestId: 7, jobId: 'j-1' },
  { type: 'JobStatus', jobId: 'j-1', state: 'Failed', tasksTotal: 10, tasksDone: 3, bytesDone: 77, message: 'boom', nodes: ['a', 'b'] },
  { type: 'ChunkRequest', jobId: 'j-1', index: 4 },
  { type: 'InputChunk', jobId: 'j-1', index: 4, data: bytes(1000) },
  { type: 'JobOutput', jobId: 'j-1', partition: 2, data: bytes(10) },
  {
    type: 'DeployTask',
    jobId: 'j-1',
    taskId: 'j-1/map-0#1',
    moduleHash: 'h',
    module: bytes(5),
    operator: 'tokenize',
    partitions: 4,
    inputs: [{ objectId: 'o', nodeId: 'n-2', sizeBytes: 99 }],
    inlineInput: bytes(17),
    output: 'store',
    maxMemoryBytes: 2 ** 28,
    deadlineMs: 60000,
  },
  {
    type: 'TaskStatus',
    jobId: 'j-1',
    taskId: 't',
    state: 'Failed',
    outputs: [{ objectId: 'o', nodeId: 'n-1', sizeBytes: 3 }],
    data: bytes(3),
    failure,
    inputBytes: 5,
  },
  { type: 'ObjectPull', requestId: 3, objectId: 'o', nodeId: 'n-1', requester: 'n-2' },
  { type: 'ObjectChunk', requestId: 3, objectId: 'o', requester: 'n-2', offset: 10, totalBytes: 20, data: bytes(10), failure: null },
  { type: 'ReleaseObjects', objectIds: ['a', 'b', 'c'] },
  { type: 'ErrorMessage', requestId: 1, failure },
];
