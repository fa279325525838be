/** `wrt submit PIPELINE.wasm --input … --output DIR`: runs a batch job and writes its output. */
import process from 'node:process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import cliProgress from 'cli-progress';
import { loadPipeline } from './load-pipeline.js';
import { planChunks, readChunk, resolveInputs } from './input-chunks.js';
import { OutputDir } from './output-dir.js';
import { startLocalCluster, type LocalCluster } from '../platform/node/local-cluster.js';
import { runJob } from '../client/job-client.js';
import { nodePlatform } from '../platform/node/platform.js';
import { WrtError } from '../errors.js';

export interface SubmitOptions {
  input: string[];
  output: string;
  address?: string;
  chunkMb: number;
  overwrite: boolean;
  nodes: number;
  cpus?: number;
  operatorMemoryMb?: number;
  deadlineMs?: number;
  arg: Record<string, string>;
  progress: boolean;
  json: boolean;
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

export async function submit(pipelinePath: string, o: SubmitOptions): Promise<SubmitSummary> {
  const started = performance.now();
  if (!(o.chunkMb > 0)) throw new WrtError('WRT_INVALID_ARGUMENT', `--chunk-mb must be a positive number, got ${o.chunkMb}`);
  const pipeline = await loadPipeline(pipelinePath);
  const files = await resolveInputs(o.input);
  const plan = await planChunks(files, Math.round(o.chunkMb * 2 ** 20));
  const out = await OutputDir.open(o.output, o.overwrite);
  let cluster: LocalCluster | null = null;
  const bar = o.progress
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
  let tokens = 0;
  let distinct = 0;
  let jobId = '';
  try {
    if (!o.address) {
      const cpus = o.cpus ?? Math.max(1, Math.floor(nodePlatform.hardwareConcurrency() / o.nodes));
      cluster = await startLocalCluster(o.nodes, cpus);
    }
    bar?.start(1, 0, { mb: '0' });
    const status = await runJob(
      nodePlatform,
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
      },
      {
        readChunk: (i) => readChunk(plan, i),
        onOutput: async (partition, data) => {
          const t = tally(data);
          tokens += t.tokens;
          distinct += t.distinct;
          await out.writePart(partition, data);
        },
        onAccepted: (id) => (jobId = id),
        onStatus: (s) => {
          bar?.setTotal(s.tasksTotal);
          bar?.update(s.tasksDone, { mb: (s.bytesDone / 1e6).toFixed(1) });
        },
      },
    );
    bar?.stop();
    await out.commit(pipeline.plan.reduce.parallelism || 4);
    const seconds = (performance.now() - started) / 1000;
    return {
      jobId,
      bytesRead: plan.totalBytes,
      tokens,
      distinctTokens: distinct,
      seconds,
      mbPerSecond: plan.totalBytes / 1e6 / seconds,
      partitions: pipeline.plan.reduce.parallelism || 4,
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
