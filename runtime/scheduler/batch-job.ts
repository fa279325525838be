/**
 * A running batch job (the role of Flink's JobMaster / Spark's DAGScheduler for one job):
 * stage 1 runs the map operator once per input chunk, on the node the head places it on, keeping
 * its partitioned output in that node's store; stage 2 runs the reduce operator once per hash
 * partition, where most of its input lies, pulling the rest; reduce outputs go to the client.
 *
 * Failure: a node that dies takes its running subtasks and its stored map outputs with it; those
 * subtasks run again elsewhere (lineage: a lost map output is recomputed from its input chunk,
 * which the client serves again). A failure of user code (trap, error, cap, deadline) is
 * deterministic and fails the job at once.
 *
 * A job submitted with `volunteers` also places maps on volunteers when trusted nodes have no room
 * (verified-work.ts): their outputs come back to the head, which holds the accepted ones and
 * serves them to the reduces; the reduce outputs of such a job reach the client only when the job
 * finishes, since an accepted map output may still be discarded (its volunteer quarantined).
 * Reduces, and maps of GPU operators, always run on trusted nodes.
 */
import type { MessageOf } from '../protocol/messages.js';
import type { BatchPlan } from '../protocol/job-graph-codec.js';
import type { FailureRecord } from '../errors.js';
import { placeOne } from './placement.js';
import type { Resources } from './resources.js';
import { ClusterJob } from './cluster-job.js';
import { batchDeployment, findAttempt, localBytes, newSubtask, subtaskView, type Attempt, type Subtask } from './batch-subtask.js';
import type { VerifiedWork } from './verified-work.js';
import { noVerification, volunteerMaps, type VerificationCounters } from './batch-volunteer-maps.js';
import { HeldOutputs, malformedBatch } from './batch-held.js';
import { NO_NODE_GRACE_MS, batchGrantKey, type JobHost } from './job-host.js';

/** Attempts of one subtask lost to node failures before the job fails. */
export const MAX_TASK_ATTEMPTS = 4;
export interface BatchJobSpec {
  jobId: string;
  name: string;
  module: Uint8Array;
  moduleHash: string;
  plan: BatchPlan;
  inputChunks: number;
  maxMemoryBytes: { map: number; reduce: number };
  deadlineMs: { map: number; reduce: number };
  /** Maps may run on volunteers (docs/volunteers.md). @default false */
  volunteers?: boolean;
}

export class BatchJob extends ClusterJob {
  readonly maps: Subtask[];
  readonly reduces: Subtask[];
  readonly partitions: number;
  private noNodeSince: number | null = null;
  /** Maps placed on volunteers (jobs that allow them, on a head that has a volunteer pool; not GPU maps). */
  private readonly verified: VerifiedWork | null = null;
  /** Inputs and outputs a job that allows volunteers keeps on the head. */
  private readonly kept: HeldOutputs;
  /** What verification cost and found (batch-volunteer-maps.ts). */
  readonly verification: VerificationCounters = noVerification();

  constructor(
    private readonly host: JobHost,
    readonly spec: BatchJobSpec,
  ) {
    super(host, spec.jobId);
    this.kept = new HeldOutputs(host);
    this.partitions = spec.plan.reduce.parallelism || 4;
    this.maps = Array.from({ length: spec.inputChunks }, (_, i) => newSubtask(`${spec.jobId}/map-${i}`, i));
    this.reduces = Array.from({ length: this.partitions }, (_, i) => newSubtask(`${spec.jobId}/reduce-${i}`, i));
    const pool = host.volunteers;
    if (spec.volunteers && pool && spec.plan.map.gpus === 0) {
      const v = volunteerMaps(
        {
          jobId: spec.jobId,
          maps: this.maps,
          partitions: this.partitions,
          operator: spec.plan.map.operator,
          kept: this.kept,
          placeTrusted: (t, now) => this.placeTrusted(t, false, now) === 'placed',
          startMap: (t, a) => this.startMap(t, a),
          mapDone: (t, inputBytes, nodes, now) => {
            for (const n of nodes) this.nodesUsed.add(this.host.nodeName(n));
            t.inputBytes = inputBytes;
            t.state = 'done';
            this.bytesDone += inputBytes;
            this.progress(now, false);
          },
          mapRescinded: (t, now) => this.rescind(t, now),
          log: (line) => host.log(line),
        },
        pool,
      );
      this.verified = v.verified;
      this.verification = v.counters;
    }
  }

  get done(): number {
    return this.maps.filter((t) => t.state === 'done').length + this.reduces.filter((t) => t.state === 'done').length;
  }

  get total(): number {
    return this.maps.length + this.reduces.length;
  }

  private get terminal(): boolean {
    return this.state !== 'Running';
  }

  /** Subtask `t` as the REST API shows it. */
  view(t: Subtask): ReturnType<typeof subtaskView> {
    return subtaskView(t, !!this.verified?.unsettled(t.id));
  }

  /** Places whatever can run now. Called on every event that may free capacity (and every 500 ms). */
  pump(now: number): void {
    if (this.terminal) return;
    this.verified?.expire(now);
    const mapsDone = this.maps.every((t) => t.state === 'done');
    const stage = mapsDone ? this.reduces : this.maps;
    const verified = mapsDone ? null : this.verified;
    let pendingLeft = false;
    for (const t of stage) {
      if (t.state !== 'pending') continue;
      const placed = this.placeTrusted(t, mapsDone, now);
      if (placed === 'placed') continue;
      if (verified?.placeFirst(t.id, now)) continue;
      pendingLeft = true;
      if (placed === 'failed') return;
      break;
    }
    verified?.placeReplicas(now, !pendingLeft);
    if (mapsDone && this.reduces.every((t) => t.state === 'done')) this.finish();
  }

  /**
   * Places an attempt of `t` on a trusted node. `wait`: none has room now; `failed`: none can ever
   * run it and the grace period for nodes to join is over (the job has failed).
   */
  private placeTrusted(t: Subtask, isReduce: boolean, now: number): 'placed' | 'wait' | 'failed' {
    const gpus = (isReduce ? this.spec.plan.reduce : this.spec.plan.map).gpus;
    const req: Resources = gpus > 0 ? { cpus: 1, gpus } : { cpus: 1 };
    const p = placeOne(this.host.ledger, req, 'batch', isReduce ? localBytes(this.maps, t.index) : undefined);
    if (p.kind !== 'placed') {
      // Volunteers may run the maps meanwhile; otherwise nodes may still join: wait a grace period.
      if (p.kind === 'wait' || (!isReduce && this.verified)) return 'wait';
      if (this.noNodeSince === null) this.host.log(`job ${this.spec.jobId}: waiting up to ${NO_NODE_GRACE_MS} ms: ${p.reason}`);
      this.noNodeSince ??= now;
      if (now - this.noNodeSince <= NO_NODE_GRACE_MS) return 'wait';
      this.fail({ code: p.code, message: `${isReduce ? 'reduce' : 'map'} stage: ${p.reason}`, retryable: false });
      return 'failed';
    }
    this.noNodeSince = null;
    t.trustedAttempts++;
    t.state = 'placed';
    // A trusted attempt of a unit that volunteers ran sends its output to the head, to judge theirs.
    const judging = !isReduce && !!this.verified?.unsettled(t.id);
    const a = this.newAttempt(t, `${t.id}#${++t.lastAttempt}`, p.nodeId, false, now, Infinity, judging ? 'head' : 'store');
    if (judging) this.verified!.trustedStarted(t.id);
    this.host.ledger.grant(batchGrantKey(a.id), p.nodeId, req, 'batch');
    if (isReduce) this.deployReduce(t, a);
    else this.startMap(t, a);
    return 'placed';
  }

  private newAttempt(
    t: Subtask,
    id: string,
    nodeId: string,
    volunteer: boolean,
    now: number,
    deadline: number,
    output: Attempt['output'],
  ): Attempt {
    const a: Attempt = { id, nodeId, volunteer, state: 'fetching', startedAt: now, deadline, output };
    t.attempts.set(a.id, a);
    return a;
  }

  /** Starts map attempt `a`: at once with a cached input chunk, else once the client sends it. */
  private startMap(t: Subtask, a: Attempt): void {
    const cached = this.kept.input(t.index);
    if (cached) return this.deployMap(a, cached);
    const asked = [...t.attempts.values()].some((o) => o !== a && o.state === 'fetching');
    if (!asked) this.host.sendToClient({ type: 'ChunkRequest', jobId: this.spec.jobId, index: t.index });
  }

  private deploy(a: Attempt, stage: 'map' | 'reduce', fields: Partial<MessageOf<'DeployTask'>>): void {
    a.state = 'running';
    const module = this.host.needsModule(a.nodeId, this.spec.moduleHash) ? this.spec.module : new Uint8Array(0);
    this.host.sendToNode(a.nodeId, batchDeployment(this.spec, this.partitions, a, stage, module, fields));
  }

  private deployMap(a: Attempt, data: Uint8Array): void {
    this.deploy(a, 'map', { inlineInput: data });
  }

  private deployReduce(t: Subtask, a: Attempt): void {
    this.deploy(a, 'reduce', { inputs: this.maps.map((m) => m.outputs[t.index]!), output: 'head' });
  }

  /** The client sent input chunk `index`: every attempt of that map waiting for it starts. */
  onInputChunk(index: number, data: Uint8Array): void {
    const t = this.maps[index];
    if (this.terminal || !t || t.state !== 'placed') return;
    // Kept for the replicas still to come.
    if (this.verified?.unsettled(t.id)) this.kept.keepInput(index, data);
    for (const a of t.attempts.values()) if (a.state === 'fetching') this.deployMap(a, data);
  }

  /** A node reported on one of this job's subtasks. */
  onTaskStatus(nodeId: string, s: MessageOf<'TaskStatus'>, now: number): void {
    if (s.state === 'Running') return;
    const found = findAttempt(this.maps, this.reduces, s.taskId);
    const a = found?.a;
    const releaseOutputs = (): void => {
      if (s.outputs.length) this.host.sendToNode(nodeId, { type: 'ReleaseObjects', objectIds: s.outputs.map((o) => o.objectId) });
    };
    if (!a?.volunteer) this.host.ledger.release(batchGrantKey(s.taskId));
    if (this.terminal || !found || !a || a.nodeId !== nodeId) {
      // Objects of a job that has ended, or of an attempt that no longer counts, are not wanted;
      // a volunteer's replica abandoned at its deadline is still judged.
      releaseOutputs();
      if (!this.terminal && !a && s.state === 'Finished' && s.data && this.verified?.result(s.taskId, nodeId, s.data, now))
        this.verification.mapAttemptsFinished++;
      return;
    }
    const t = found.t;
    t.attempts.delete(a.id);
    if (a.volunteer) {
      if (s.state === 'Failed' || !s.data) this.verified?.failed(a.id, nodeId);
      else {
        this.verification.mapAttemptsFinished++;
        this.verified?.result(a.id, nodeId, s.data, now);
      }
      this.pump(now);
      return;
    }
    if (s.state === 'Failed') {
      if (a.output === 'head' && this.maps[t.index] === t) this.verified?.trustedEnded(t.id);
      return this.trustedFailed(t, nodeId, s, now);
    }
    this.nodesUsed.add(this.host.nodeName(nodeId));
    const isMap = this.maps[t.index] === t;
    if (isMap) this.verification.mapAttemptsFinished++;
    if (t.state === 'done') releaseOutputs();
    else if (isMap && a.output === 'head') {
      // A trusted node's output decides: a malformed one is the operator's failure, as anywhere.
      const wrong = malformedBatch(s.data ?? new Uint8Array(0), this.partitions, this.spec.plan.map.operator);
      if (wrong)
        return this.fail({
          code: 'WRT_OPERATOR_ERROR',
          message: `subtask ${t.id.split('/')[1]} on node ${this.host.nodeName(nodeId)}: ${wrong}`,
          retryable: false,
        });
      this.verified?.result(a.id, nodeId, s.data ?? new Uint8Array(0), now, { key: t.id });
    } else if (isMap) {
      t.state = 'done';
      t.ranOn = [nodeId];
      t.outputs = s.outputs;
      t.inputBytes = s.inputBytes;
      this.bytesDone += s.inputBytes;
    } else {
      t.state = 'done';
      t.ranOn = [nodeId];
      const data = s.data ?? new Uint8Array(0);
      if (this.verified) this.kept.keepReduceOutput(t.index, data);
      else this.host.sendToClient({ type: 'JobOutput', jobId: this.spec.jobId, partition: t.index, data });
    }
    this.progress(now, false);
    this.pump(now);
  }

  private trustedFailed(t: Subtask, nodeId: string, s: MessageOf<'TaskStatus'>, now: number): void {
    const f = s.failure ?? { code: 'WRT_JOB_FAILED', message: 'unknown failure', retryable: false };
    if (f.retryable && t.trustedAttempts < MAX_TASK_ATTEMPTS) {
      this.host.log(`job ${this.spec.jobId}: ${t.id} failed (${f.message}); retrying`);
      this.recordException({ ...f, message: `${t.id} on node ${this.host.nodeName(nodeId)}: ${f.message}` }, 'retried');
      if (t.state === 'placed' && t.attempts.size === 0 && !this.verified?.unsettled(t.id)) t.state = 'pending';
    } else {
      this.fail({ ...f, message: `subtask ${t.id.split('/')[1]} on node ${this.host.nodeName(nodeId)}: ${f.message}` });
    }
    this.pump(now);
  }

  /** Map `t`'s accepted output is discarded: it runs again, and every reduce with it. */
  private rescind(t: Subtask, now: number): void {
    this.bytesDone -= t.inputBytes;
    t.state = 'pending';
    for (const r of this.reduces) {
      for (const a of r.attempts.values()) this.host.ledger.release(batchGrantKey(a.id));
      r.attempts.clear();
      r.state = 'pending';
    }
    this.pump(now);
  }

  /** A node died or stopped heartbeating. */
  onNodeLost(nodeId: string, now: number): void {
    if (this.terminal) return;
    this.verified?.lost(nodeId);
    const reducesLeft = this.reduces.some((r) => r.state !== 'done');
    for (const t of [...this.maps, ...this.reduces]) {
      const lostAttempts = [...t.attempts.values()].filter((a) => a.nodeId === nodeId);
      const lostOutput = t.state === 'done' && reducesLeft && t.outputs.some((o) => o.nodeId === nodeId);
      if (lostAttempts.length === 0 && !lostOutput) continue;
      if (t.trustedAttempts >= MAX_TASK_ATTEMPTS) {
        this.fail({ code: 'WRT_NODE_LOST', message: `${t.id} lost its node ${MAX_TASK_ATTEMPTS} times`, retryable: false });
        return;
      }
      for (const a of lostAttempts) {
        t.attempts.delete(a.id);
        if (a.output === 'head' && this.maps[t.index] === t) this.verified?.trustedEnded(t.id);
      }
      if (lostOutput) {
        this.bytesDone -= t.inputBytes;
        t.outputs = [];
        t.state = 'pending';
      } else if (t.state === 'placed' && t.attempts.size === 0 && !this.verified?.unsettled(t.id)) t.state = 'pending';
    }
    // Reduces still running elsewhere may be pulling from the dead node; they fail with
    // WRT_OBJECT_LOST and are retried once the lost map outputs exist again.
    this.pump(now);
  }

  /** Volunteer `nodeId` was quarantined: its work is dropped and the outputs it alone vouched for discarded. */
  onVolunteerQuarantined(nodeId: string, now: number): void {
    if (this.terminal) return;
    this.verified?.quarantined(nodeId, now);
    this.pump(now);
  }

  /** Every object this job left on nodes, by node (objects the head holds are dropped when it ends). */
  storedObjects(): Map<string, string[]> {
    const byNode = new Map<string, string[]>();
    for (const t of this.maps) {
      for (const o of t.outputs) if (o.nodeId) byNode.set(o.nodeId, [...(byNode.get(o.nodeId) ?? []), o.objectId]);
    }
    return byNode;
  }

  private finish(): void {
    for (const [partition, data] of this.kept.takeReduceOutputs())
      this.host.sendToClient({ type: 'JobOutput', jobId: this.spec.jobId, partition, data });
    this.kept.clear();
    this.verified?.clear();
    this.state = 'Finished';
    this.message = `${this.total} subtasks on ${this.nodesUsed.size} node(s)`;
    this.progress(0, true);
  }

  fail(f: FailureRecord): void {
    if (this.terminal) return;
    this.state = 'Failed';
    this.recordException(f, 'failed');
    this.message = `${f.code}: ${f.message}`;
    this.host.log(`job ${this.spec.jobId} failed: ${this.message}`);
    this.stopAll(this.message);
  }

  /** Ends the job; its client (if still connected: `wrt cancel` comes from another) gets the final status. */
  cancel(reason: string): void {
    if (this.terminal) return;
    this.state = 'Cancelled';
    this.message = reason;
    this.stopAll(reason);
  }

  private stopAll(reason: string): void {
    this.releaseUndeployed();
    this.stopRunning(reason);
    this.kept.clear();
    this.verified?.clear();
    this.progress(0, true);
  }

  /**
   * Tells the nodes still running subtasks of the ended job to stop them (their slots are replaced);
   * the nodes then report those subtasks failed, which frees their room here.
   */
  private stopRunning(reason: string): void {
    const nodes = new Set<string>();
    for (const t of [...this.maps, ...this.reduces]) for (const a of t.attempts.values()) if (a.state === 'running') nodes.add(a.nodeId);
    for (const n of nodes) this.host.sendToNode(n, { type: 'CancelJob', jobId: this.spec.jobId, reason });
  }

  /** Placed trusted attempts still waiting for their input chunk will never be deployed: free their room. */
  private releaseUndeployed(): void {
    for (const t of this.maps)
      for (const a of t.attempts.values()) if (a.state === 'fetching' && !a.volunteer) this.host.ledger.release(batchGrantKey(a.id));
  }
}
