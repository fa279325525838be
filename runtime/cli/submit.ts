/**
 * `wrt submit PIPELINE.wasm --output DIR …`: runs a job and writes its output.
 * - Batch pipelines (world `pipeline`) read `--input` files in chunks; parts are `part-NNNNN.tsv`.
 * - Stream pipelines (world `stream-pipeline`) get their graph from `configure(--arg …)`; their
 *   sources are connectors (no `--input`); each sink subtask's output is `part-NNNNN.csv`.
 * Both write `_SUCCESS` last, and leave nothing behind on failure (output-dir.ts).
 */
import process from 'node:process';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { existsSync, statSync } from 'node:fs';
import cliProgress from 'cli-progress';
import { loadPipeline, type LoadedPipeline } from './load-pipeline.js';
import { planChunks, readChunk, resolveInputs } from './input-chunks.js';
import { OutputDir } from './output-dir.js';
import { startLocalCluster, type LocalCluster } from '../launch/node/local-cluster.js';
import { runJob, type JobStatusUpdate } from '../client/job-client.js';
import { nodePlatform, configuredNodePlatform } from '../platform/node/platform.js';
import { readCa } from './status.js';
import type { Platform } from '../platform/platform.js';
import { withCredential } from '../client/authenticate.js';
import { resolveToken } from '../launch/node/cluster-token.js';
import { WrtError } from '../errors.js';

export interface SubmitOptions {
  /** Batch pipelines only. */
  input: string[];
  /** Required for batch jobs and for stream jobs with csv sinks. */
  output?: string;
  address?: string;
  /** `address`: the credential's file (default `$WRT_TOKEN`, else a loopback head's token file). */
  tokenFile?: string;
  /** `address`: PEM certificates to trust for a wss:// head. */
  caFile?: string;
  chunkMb: number;
  overwrite: boolean;
  nodes: number;
  cpus?: number;
  operatorMemoryMb?: number;
  deadlineMs?: number;
  arg: Record<string, string>;
  /** Stream jobs: subtasks of vertices that set none. @default the cluster's slots */
  parallelism?: number;
  /** Stream jobs: ms between checkpoints. @default none */
  checkpointIntervalMs?: number;
  /** Stream jobs: a savepoint directory (on the head) to start from. */
  fromSavepoint?: string;
  /** Batch jobs: maps may run on volunteers, outputs verified (docs/volunteers.md). @default false */
  volunteers?: boolean;
  progress: boolean;
  json: boolean;
}

/** What `wrt submit` reports for a stream job. */
export interface StreamSubmitSummary {
  jobId: string;
  kind: 'stream';
  /** Stopped: ended by `wrt stop`; the output holds what its savepoint covers, and no _SUCCESS. */
  state: 'Finished' | 'Stopped';
  /** The head's last word on the job (for Stopped: where the savepoint is). */
  message: string;
  subtasks: number;
  /** Output part files (one per sink subtask). */
  partitions: number;
  bytesWritten: number;
  seconds: number;
  nodes: string[];
}

export interface SubmitSummary {
  jobId: string;
  bytesRead: number;
  tokens: number;
  distinctTokens: number;
  seconds: number;
  mbPerSecond: number;
  partitions: number;
  nodes: string[];
}

/** Counts tokens (sum of counts) and distinct tokens (lines) in a part file's TSV lines. */
function tally(data: Uint8Array): { tokens: number; distinct: number } {
  let tokens = 0;
  let distinct = 0;
  let value = 0;
  let inValue = false;
  for (const b of data) {
    if (b === 0x09) {
      inValue = true;
      value = 0;
    } else if (b === 0x0a) {
      tokens += value;
      distinct++;
      inValue = false;
    } else if (inValue) value = value * 10 + (b - 0x30);
  }
  return { tokens, distinct };
}

function progressBar(o: SubmitOptions): cliProgress.SingleBar | null {
  return o.progress
    ? new cliProgress.SingleBar(
        {
          format: 'wrt [{bar}] {percentage}% | {value}/{total} subtasks | {mb} MB',
          stream: process.stderr,
          hideCursor: true,
          clearOnComplete: true,
        },
        cliProgress.Presets.shades_classic,
      )
    : null;
}

/** Shows a job's progress (subtasks done, MB) on the bar, if any. */
function showProgress(bar: cliProgress.SingleBar | null): (s: JobStatusUpdate) => void {
  return (s) => {
    bar?.setTotal(s.tasksTotal);
    bar?.update(s.tasksDone, { mb: (s.bytesDone / 1e6).toFixed(1) });
  };
}

/** The platform this submission reaches its head with: authenticated as a driver. */
async function driverPlatform(o: SubmitOptions, cluster: LocalCluster | null): Promise<Platform> {
  if (cluster) return withCredential(nodePlatform, cluster.token, 'driver');
  return withCredential(configuredNodePlatform({ ca: await readCa(o.caFile) }), await resolveToken(o.address!, o.tokenFile), 'driver');
}

/** Starts the embedded cluster unless `--address` names one. */
async function embeddedCluster(o: SubmitOptions): Promise<LocalCluster | null> {
  if (o.address) return null;
  const cpus = o.cpus ?? Math.max(1, Math.floor(nodePlatform.hardwareConcurrency() / o.nodes));
  // What the job may reach: the working directory and the paths named on the command line (its
  // --arg values that exist); NATS on loopback. A savepoint to start from: its directory.
  const named = Object.values(o.arg).filter((v) => existsSync(v));
  const dataDirs = [process.cwd(), ...named.map((v) => (statSync(v).isDirectory() ? resolve(v) : dirname(resolve(v))))];
  const headArgs = o.fromSavepoint ? ['--savepoint-dir', dirname(resolve(o.fromSavepoint))] : [];
  return startLocalCluster(o.nodes, cpus, false, o.nodes, { dataDirs, headArgs });
}

/**
 * A path the head will read or write (a savepoint): made absolute against this process's working
 * directory (the head runs on this machine or shares its file system); `memory:` paths (a head
 * without --checkpoint-dir) and '' stay as they are.
 */
export function headPath(path: string): string {
  return !path || path.startsWith('memory:') ? path : resolve(path);
}

/** Runs a batch or a stream pipeline, whichever `pipelinePath` is. */
export async function submitPipeline(pipelinePath: string, o: SubmitOptions): Promise<SubmitSummary | StreamSubmitSummary> {
  const pipeline = await loadPipeline(pipelinePath, o.arg);
  return pipeline.streaming ? submitStream(pipeline, o) : submit(pipelinePath, o, pipeline);
}

/**
 * Runs a stream pipeline: bounded sources run to their end, then the job finishes.
 * @throws WrtError `WRT_INVALID_ARGUMENT` when given `--input`, `WRT_OUTPUT_EXISTS`, or the job's failure.
 */
export async function submitStream(pipeline: Extract<LoadedPipeline, { streaming: true }>, o: SubmitOptions): Promise<StreamSubmitSummary> {
  const started = performance.now();
  if (o.input.length > 0)
    throw new WrtError('WRT_INVALID_ARGUMENT', 'a stream pipeline reads its sources (connectors), not --input; drop --input');
  const restorePath = headPath(o.fromSavepoint ?? '');
  const csvSink = pipeline.graph.vertices.find((v) => v.kind === 'Sink' && v.format === 'csv');
  if (!o.output && csvSink)
    throw new WrtError('WRT_INVALID_ARGUMENT', `sink "${csvSink.id}" writes CSV part files: give the directory with --output DIR`);
  const out = o.output ? await OutputDir.open(o.output, o.overwrite, 'csv') : null;
  const bar = progressBar(o);
  let cluster: LocalCluster | null = null;
  let jobId = '';
  let bytesWritten = 0;
  let partitions = 0;
  try {
    cluster = await embeddedCluster(o);
    bar?.start(1, 0, { mb: '0' });
    const status = await runJob(
      await driverPlatform(o, cluster),
      o.address ?? cluster!.address,
      {
        name: pipeline.graph.name,
        module: pipeline.core,
        graph: pipeline.graph,
        inputChunks: 0,
        inputBytes: 0,
        args: o.arg,
        operatorMaxMemoryBytes: o.operatorMemoryMb ? Math.round(o.operatorMemoryMb * 2 ** 20) : 0,
        operatorDeadlineMs: o.deadlineMs ?? 0,
        parallelism: o.parallelism ?? 0,
        checkpointIntervalMs: o.checkpointIntervalMs ?? 0,
        restorePath,
      },
      {
        readChunk: () => Promise.reject(new WrtError('WRT_PROTOCOL', 'the head asked a stream job for an input chunk')),
        onOutput: async (partition, data) => {
          bytesWritten += data.byteLength;
          await out?.writePart(partition, data);
        },
        onAccepted: (id, n) => {
          jobId = id;
          partitions = n;
          if (o.address)
            process.stderr.write(
              `wrt: stream job ${id} accepted by ${o.address} (wrt savepoint|stop|cancel ${id} --address ${o.address})\n`,
            );
        },
        onStatus: showProgress(bar),
      },
    );
    bar?.stop();
    // One part per sink subtask (the head planned them), each with its header.
    const parts = out ? Math.max(out.partsWritten, partitions) : 0;
    const stopped = status.state === 'Stopped';
    await out?.commit(parts, !stopped);
    return {
      jobId,
      kind: 'stream',
      state: stopped ? 'Stopped' : 'Finished',
      message: status.message,
      subtasks: status.tasksTotal,
      partitions: parts,
      bytesWritten,
      seconds: (performance.now() - started) / 1000,
      nodes: status.nodes,
    };
  } catch (err) {
    bar?.stop();
    await out?.abort();
    throw err;
  } finally {
    await cluster?.stop();
  }
}

/** Runs a batch pipeline over `--input`. */
export async function submit(pipelinePath: string, o: SubmitOptions, loaded?: LoadedPipeline): Promise<SubmitSummary> {
  const started = performance.now();
  if (!(o.chunkMb > 0)) throw new WrtError('WRT_INVALID_ARGUMENT', `--chunk-mb must be a positive number, got ${o.chunkMb}`);
  const pipeline = loaded ?? (await loadPipeline(pipelinePath, o.arg));
  if (pipeline.streaming) throw new WrtError('WRT_INVALID_ARGUMENT', `${pipelinePath} is a stream pipeline; run it with submitPipeline`);
  if (o.input.length === 0) throw new WrtError('WRT_INVALID_ARGUMENT', `${pipelinePath} is a batch pipeline: give its input with --input`);
  if (!o.output) throw new WrtError('WRT_INVALID_ARGUMENT', `${pipelinePath} is a batch pipeline: give its output directory with --output`);
  if (o.fromSavepoint)
    throw new WrtError(
      'WRT_INVALID_ARGUMENT',
      `${pipelinePath} is a batch pipeline; only stream jobs start from a savepoint, drop --from-savepoint`,
    );
  const files = await resolveInputs(o.input);
  const plan = await planChunks(files, Math.round(o.chunkMb * 2 ** 20));
  const out = await OutputDir.open(o.output, o.overwrite);
  let cluster: LocalCluster | null = null;
  const bar = progressBar(o);
  let tokens = 0;
  let distinct = 0;
  let jobId = '';
  let partitions = 0;
  try {
    cluster = await embeddedCluster(o);
    bar?.start(1, 0, { mb: '0' });
    const status = await runJob(
      await driverPlatform(o, cluster),
      o.address ?? cluster!.address,
      {
        name: pipeline.graph.name,
        module: pipeline.core,
        graph: pipeline.graph,
        inputChunks: plan.chunks.length,
        inputBytes: plan.totalBytes,
        args: o.arg,
        operatorMaxMemoryBytes: o.operatorMemoryMb ? Math.round(o.operatorMemoryMb * 2 ** 20) : 0,
        operatorDeadlineMs: o.deadlineMs ?? 0,
        volunteers: o.volunteers ?? false,
      },
      {
        readChunk: (i) => readChunk(plan, i),
        onOutput: async (partition, data) => {
          const t = tally(data);
          tokens += t.tokens;
          distinct += t.distinct;
          await out.writePart(partition, data);
        },
        onAccepted: (id, n) => {
          jobId = id;
          partitions = n;
        },
        onStatus: showProgress(bar),
      },
    );
    bar?.stop();
    await out.commit(partitions);
    const seconds = (performance.now() - started) / 1000;
    return {
      jobId,
      bytesRead: plan.totalBytes,
      tokens,
      distinctTokens: distinct,
      seconds,
      mbPerSecond: plan.totalBytes / 1e6 / seconds,
      partitions,
      nodes: status.nodes,
    };
  } catch (err) {
    bar?.stop();
    await out.abort();
    throw err;
  } finally {
    await cluster?.stop();
  }
}

/** The version from package.json. */
export async function packageVersion(): Promise<string> {
  const pkg = JSON.parse(await readFile(join(new URL('../../..', import.meta.url).pathname, 'package.json'), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}
