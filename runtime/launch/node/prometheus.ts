/**
 * `GET /metrics` of the head, in the Prometheus text exposition format through `prom-client`: one
 * scrape target for the whole cluster. Nodes and browser tabs send their figures with their
 * heartbeats (every second by default); the head's own parts are read at scrape time. Nothing is
 * collected between scrapes, so a head nobody scrapes pays nothing for metrics.
 *
 * Names follow Prometheus' conventions (counters end in `_total`, base units: seconds, bytes) and
 * map onto Flink's and Ray's: `wrt_job_vertex_records_in_total` ↔ Flink's `numRecordsIn`,
 * `wrt_job_vertex_back_pressured_seconds_total` ↔ `backPressuredTimeMsPerSecond` (take its rate),
 * `wrt_job_vertex_output_watermark_seconds` ↔ `currentOutputWatermark`,
 * `wrt_job_last_checkpoint_duration_seconds` ↔ `lastCheckpointDuration`; `wrt_node_object_store_*`
 * ↔ Ray's object store memory. The full list with labels is docs/metrics.md.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { Head, NodeView } from '../../head/head.js';
import { kindOf } from '../../head/node-view.js';
import type { SubtaskFigures } from '../../head/subtask-figures.js';
import { StreamJob } from '../../scheduler/stream-job.js';
import type { CheckpointRecord } from '../../scheduler/checkpoint-coordinator.js';

type Labels = Record<string, string>;
type Sample = [Labels, number];

/** What one scrape reads of the head once, for every metric that needs it. */
interface Scrape {
  nodes: NodeView[];
}

/** A metric whose samples are read from the head at each scrape. */
interface Family {
  name: string;
  help: string;
  type: 'counter' | 'gauge';
  labels: string[];
  read(head: Head, scrape: Scrape): Sample[];
}

const nodeLabels = (n: { id: string; name: string }): Labels => ({ node_id: n.id, node: n.name });

const nodeFamilies: Family[] = (
  [
    ['wrt_node_slots', 'Slots (cpus) the node offers.', 'gauge', (n) => n.cpus],
    [
      'wrt_node_grants',
      'Grants the node holds: queued and running tasks, actors, batch subtasks, stream slots.',
      'gauge',
      (n) => n.running,
    ],
    [
      'wrt_node_tasks_submitted_total',
      'Calls the head sent to the node: task attempts, actor calls and actor constructors.',
      'counter',
      (n) => n.tasksSubmitted,
    ],
    [
      'wrt_node_tasks_retried_total',
      "Task attempts beyond a task's first that the head sent to the node.",
      'counter',
      (n) => n.tasksRetried,
    ],
    [
      'wrt_node_tasks_finished_total',
      'Calls (tasks, actor calls, batch subtasks) finished on the node.',
      'counter',
      (n) => n.tasksFinished,
    ],
    ['wrt_node_tasks_failed_total', 'Calls that failed on the node.', 'counter', (n) => n.tasksFailed],
    ['wrt_node_gpu_kernels_total', 'GPU kernels the node dispatched.', 'counter', (n) => n.gpuKernels],
    ['wrt_node_pulled_bytes_total', 'Bytes of objects the node pulled from other nodes.', 'counter', (n) => n.bytesPulled],
    ['wrt_node_direct_actor_calls_total', 'Actor calls drivers made directly to the node (ADR 0009).', 'counter', (n) => n.directCalls],
    ['wrt_node_object_store_used_bytes', 'Object-store arena bytes in use.', 'gauge', (n) => n.storeUsedBytes],
    ['wrt_node_object_store_spilled_bytes_total', 'Bytes spilled from the object store to disk.', 'counter', (n) => n.spill.spilledBytes],
    [
      'wrt_node_object_store_restored_bytes_total',
      'Bytes restored from disk into the object store.',
      'counter',
      (n) => n.spill.restoredBytes,
    ],
    ['wrt_node_object_store_on_disk_bytes', 'Bytes of spilled objects on disk now.', 'gauge', (n) => n.spill.onDiskBytes],
  ] satisfies [string, string, Family['type'], (n: NodeView) => number][]
).map(([name, help, type, value]) => ({
  name,
  help,
  type,
  labels: ['node_id', 'node', 'kind'],
  read: (_head: Head, scrape: Scrape): Sample[] => scrape.nodes.map((n) => [{ ...nodeLabels(n), kind: kindOf(n) }, value(n)]),
}));

const VERTEX_LABELS = ['job_id', 'job_name', 'vertex', 'subtask_index'];

/** Samples of every stream subtask with figures. */
function subtaskSamples(head: Head, value: (f: SubtaskFigures) => number | null): Sample[] {
  const out: Sample[] = [];
  for (const r of head.jobs.records()) {
    const job = r.job;
    if (!(job instanceof StreamJob)) continue;
    for (const [key, f] of head.figures.of(job.spec.jobId)) {
      const v = value(f);
      if (v === null) continue;
      const at = key.lastIndexOf('#');
      out.push([{ job_id: job.spec.jobId, job_name: job.spec.name, vertex: key.slice(0, at), subtask_index: key.slice(at + 1) }, v]);
    }
  }
  return out;
}

/** Samples of every stream job's checkpoint figures. */
function streamJobSamples(head: Head, value: (j: StreamJob) => number | null): Sample[] {
  const out: Sample[] = [];
  for (const r of head.jobs.records()) {
    if (!(r.job instanceof StreamJob)) continue;
    const v = value(r.job);
    if (v !== null) out.push([{ job_id: r.job.spec.jobId, job_name: r.job.spec.name }, v]);
  }
  return out;
}

/** The latest completed checkpoint in `j`'s history, or undefined. */
const lastCompleted = (j: StreamJob): CheckpointRecord | undefined =>
  [...j.checkpointStats.history].reverse().find((c) => c.status === 'completed');

const jobFamilies: Family[] = [
  {
    name: 'wrt_job_vertex_records_in_total',
    help: 'Records a stream subtask took in (Flink numRecordsIn).',
    type: 'counter',
    labels: VERTEX_LABELS,
    read: (h) => subtaskSamples(h, (f) => f.recordsIn),
  },
  {
    name: 'wrt_job_vertex_records_out_total',
    help: 'Records a stream subtask sent on (Flink numRecordsOut).',
    type: 'counter',
    labels: VERTEX_LABELS,
    read: (h) => subtaskSamples(h, (f) => f.recordsOut),
  },
  {
    name: 'wrt_job_vertex_back_pressured_seconds_total',
    help: 'Seconds a stream subtask waited for credit to send (its rate is Flink backPressuredTimeMsPerSecond / 1000).',
    type: 'counter',
    labels: VERTEX_LABELS,
    read: (h) => subtaskSamples(h, (f) => f.backPressuredMs / 1000),
  },
  {
    name: 'wrt_job_vertex_back_pressured_ratio',
    help: 'Fraction of the last heartbeat interval a stream subtask waited for credit, 0..1.',
    type: 'gauge',
    labels: VERTEX_LABELS,
    read: (h) => subtaskSamples(h, (f) => f.backPressure),
  },
  {
    name: 'wrt_job_vertex_output_watermark_seconds',
    help: 'Event time of the last watermark a stream subtask sent on, seconds since the epoch (Flink currentOutputWatermark).',
    type: 'gauge',
    labels: VERTEX_LABELS,
    read: (h) => subtaskSamples(h, (f) => (f.outputWatermark === null ? null : f.outputWatermark / 1000)),
  },
  {
    name: 'wrt_job_last_checkpoint_duration_seconds',
    help: 'Trigger to written, of the latest completed checkpoint (Flink lastCheckpointDuration).',
    type: 'gauge',
    labels: ['job_id', 'job_name'],
    read: (h) =>
      streamJobSamples(h, (j) => {
        const ms = lastCompleted(j)?.durationMs;
        return ms === undefined || ms === null ? null : ms / 1000;
      }),
  },
  {
    name: 'wrt_job_last_checkpoint_size_bytes',
    help: 'State bytes of the latest completed checkpoint (Flink lastCheckpointSize).',
    type: 'gauge',
    labels: ['job_id', 'job_name'],
    read: (h) => streamJobSamples(h, (j) => lastCompleted(j)?.sizeBytes ?? null),
  },
  {
    name: 'wrt_job_checkpoints_completed_total',
    help: 'Checkpoints and savepoints completed.',
    type: 'counter',
    labels: ['job_id', 'job_name'],
    read: (h) => streamJobSamples(h, (j) => j.checkpointStats.counts.completed),
  },
  {
    name: 'wrt_job_checkpoints_failed_total',
    help: 'Checkpoints and savepoints that failed.',
    type: 'counter',
    labels: ['job_id', 'job_name'],
    read: (h) => streamJobSamples(h, (j) => j.checkpointStats.counts.failed),
  },
  {
    name: 'wrt_job_restarts_total',
    help: 'Restarts of a stream job from a checkpoint (Flink numRestarts).',
    type: 'counter',
    labels: ['job_id', 'job_name'],
    read: (h) => streamJobSamples(h, (j) => j.restarts),
  },
  {
    name: 'wrt_jobs',
    help: 'Jobs the head knows, by state (running ones and the last 100 ended).',
    type: 'gauge',
    labels: ['state'],
    read: (h) => {
      const by = new Map<string, number>();
      for (const r of h.jobs.records()) by.set(r.job.state, (by.get(r.job.state) ?? 0) + 1);
      return [...by].map(([state, n]) => [{ state }, n]);
    },
  },
];

const clusterFamilies: Family[] = [
  {
    name: 'wrt_tasks_submitted_total',
    help: 'Remote-function tasks submitted to the head.',
    type: 'counter',
    labels: [],
    read: (h) => [[{}, h.tasks.events.counters.submitted]],
  },
  {
    name: 'wrt_tasks_finished_total',
    help: 'Remote-function tasks finished.',
    type: 'counter',
    labels: [],
    read: (h) => [[{}, h.tasks.events.counters.finished]],
  },
  {
    name: 'wrt_tasks_failed_total',
    help: 'Remote-function tasks failed (after their retries).',
    type: 'counter',
    labels: [],
    read: (h) => [[{}, h.tasks.events.counters.failed]],
  },
  {
    name: 'wrt_tasks_retried_total',
    help: 'Attempts of remote-function tasks beyond the first.',
    type: 'counter',
    labels: [],
    read: (h) => [[{}, h.tasks.events.counters.retried]],
  },
  {
    name: 'wrt_actor_restarts_total',
    help: 'Actor restarts after their node or instance died.',
    type: 'counter',
    labels: [],
    read: (h) => [[{}, h.tasks.actors.restartsTotal]],
  },
  {
    name: 'wrt_actors',
    help: 'Actors the head knows, by state.',
    type: 'gauge',
    labels: ['state'],
    read: (h) => Object.entries(h.tasks.actors.counts()).map(([state, n]) => [{ state }, n]),
  },
];

/** The head's `/metrics`: the exposition's content type and a scrape. */
export interface HeadMetrics {
  contentType: string;
  /** One scrape: every metric read from the head now, in the text exposition format. */
  metrics(): Promise<string>;
}

/**
 * Metrics that read `head` at every scrape (its node views once per scrape), with the head
 * process's own figures (`wrt_head_process_cpu_seconds_total`, memory, event loop lag;
 * prom-client's defaults).
 */
export function headMetrics(head: Head): HeadMetrics {
  const registry = new Registry();
  let current: Scrape | null = null;
  const scrape = (): Scrape => current ?? { nodes: head.nodeViews() };
  for (const f of [...nodeFamilies, ...jobFamilies, ...clusterFamilies]) {
    const common = { name: f.name, help: f.help, labelNames: f.labels, registers: [registry] };
    if (f.type === 'counter') {
      new Counter({
        ...common,
        collect() {
          this.reset();
          for (const [labels, v] of f.read(head, scrape())) this.inc(labels, v);
        },
      });
    } else {
      new Gauge({
        ...common,
        collect() {
          this.reset();
          for (const [labels, v] of f.read(head, scrape())) this.set(labels, v);
        },
      });
    }
  }
  collectDefaultMetrics({ register: registry, prefix: 'wrt_head_' });
  return {
    contentType: registry.contentType,
    async metrics() {
      current = { nodes: head.nodeViews() };
      try {
        return await registry.metrics();
      } finally {
        current = null;
      }
    },
  };
}
