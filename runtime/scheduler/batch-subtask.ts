/**
 * A batch job's subtasks and their attempts (batch-job.ts): a subtask may have several attempts at
 * once — replicas on volunteers, and a trusted node deciding or running it speculatively
 * (verified-work.ts) — each `SUBTASK#N` with N counting up per subtask.
 */
import type { MessageOf, ObjectLocation } from '../protocol/messages.js';
import type { BatchPlan } from '../protocol/job-graph-codec.js';

/** `pending`: wants a node; `placed`: has attempts, or is a unit on volunteers still to judge; `done`: output accepted. */
export type SubtaskState = 'pending' | 'placed' | 'done';

export interface Attempt {
  /** `SUBTASK#N` (the DeployTask's and TaskStatus's `taskId`). */
  id: string;
  nodeId: string;
  volunteer: boolean;
  /** `fetching`: waiting for its input chunk from the client. */
  state: 'fetching' | 'running';
  startedAt: number;
  /** ms since the epoch after which a volunteer's attempt is given to another node (Infinity on trusted nodes). */
  deadline: number;
  /** Where its output goes: kept in its node's store, or sent to the head to be compared. */
  output: 'store' | 'head';
}

export interface Subtask {
  id: string;
  index: number;
  state: SubtaskState;
  attempts: Map<string, Attempt>;
  /** Attempts made so far (the next is `#lastAttempt+1`). */
  lastAttempt: number;
  /** Attempts on trusted nodes lost to node failures (the job fails at MAX_TASK_ATTEMPTS). */
  trustedAttempts: number;
  outputs: ObjectLocation[];
  inputBytes: number;
  /** A map whose output the head accepted from volunteers: the attempts whose (identical) output it is. */
  acceptedFrom: string[];
  /** Once done: the nodes whose attempt produced its output (several when replicas agreed). */
  ranOn: string[];
}

export function newSubtask(id: string, index: number): Subtask {
  return {
    id,
    index,
    state: 'pending',
    attempts: new Map(),
    lastAttempt: 0,
    trustedAttempts: 0,
    outputs: [],
    inputBytes: 0,
    acceptedFrom: [],
    ranOn: [],
  };
}

/** Splits `SUBTASK#N` into the subtask id and N. */
export function parseAttemptId(attemptId: string): [string, number] {
  const at = attemptId.lastIndexOf('#');
  return at < 0 ? [attemptId, 0] : [attemptId.slice(0, at), Number(attemptId.slice(at + 1))];
}

/**
 * What the REST API shows of subtask `t`: `fetching` (waiting for its input chunk), `running`,
 * `verifying` (volunteers' outputs not yet judged), `pending` or `done`, and the nodes of its
 * attempts (or of its output once done).
 */
export function subtaskView(
  t: Subtask,
  verifying: boolean,
): { state: 'pending' | 'fetching' | 'running' | 'verifying' | 'done'; nodeIds: string[] } {
  const nodeIds = [...new Set([...t.attempts.values()].map((a) => a.nodeId))];
  if (t.state === 'done') return { state: 'done', nodeIds: t.ranOn };
  if (t.state === 'pending') return { state: 'pending', nodeIds };
  const attempts = [...t.attempts.values()];
  if (attempts.some((a) => a.state === 'running')) return { state: verifying ? 'verifying' : 'running', nodeIds };
  return { state: attempts.length ? 'fetching' : 'verifying', nodeIds };
}

/**
 * The DeployTask of attempt `a` of a `stage` subtask of a batch job (`module`: its bytes, or empty
 * when the node holds them); `fields` add the input (an inline chunk, or the reduce's map outputs).
 */
export function batchDeployment(
  spec: {
    jobId: string;
    moduleHash: string;
    plan: BatchPlan;
    maxMemoryBytes: Record<'map' | 'reduce', number>;
    deadlineMs: Record<'map' | 'reduce', number>;
  },
  partitions: number,
  a: Attempt,
  stage: 'map' | 'reduce',
  module: Uint8Array,
  fields: Partial<MessageOf<'DeployTask'>>,
): MessageOf<'DeployTask'> {
  return {
    type: 'DeployTask',
    jobId: spec.jobId,
    taskId: a.id,
    moduleHash: spec.moduleHash,
    module,
    operator: spec.plan[stage].operator,
    partitions,
    inputs: [],
    inlineInput: null,
    output: a.output,
    maxMemoryBytes: spec.maxMemoryBytes[stage],
    deadlineMs: spec.deadlineMs[stage],
    args: [],
    returnId: '',
    actorId: '',
    kind: 'Operator',
    gpus: spec.plan[stage].gpus,
    ...fields,
  };
}

/** Subtask `key` (`JOB/map-N` or `JOB/reduce-N`) of `subtasks`, or undefined. */
export function subtaskOf(subtasks: readonly Subtask[], key: string): Subtask | undefined {
  const t = subtasks[Number(key.slice(key.lastIndexOf('-') + 1))];
  return t?.id === key ? t : undefined;
}

/** The subtask of attempt `attemptId` (`SUBTASK#N`) and the attempt, if the subtask still has it; null for no subtask of these. */
export function findAttempt(
  maps: readonly Subtask[],
  reduces: readonly Subtask[],
  attemptId: string,
): { t: Subtask; a: Attempt | undefined } | null {
  const [base, n] = parseAttemptId(attemptId);
  const t = subtaskOf(base.includes('/map-') ? maps : reduces, base);
  if (!t || !(n > 0)) return null;
  return { t, a: t.attempts.get(attemptId) };
}

/** Bytes of reduce partition `partition`'s inputs on each node (by node id; '' the head). */
export function localBytes(maps: readonly Subtask[], partition: number): Map<string, number> {
  const m = new Map<string, number>();
  for (const t of maps) {
    const o = t.outputs[partition];
    if (o) m.set(o.nodeId, (m.get(o.nodeId) ?? 0) + o.sizeBytes);
  }
  return m;
}
