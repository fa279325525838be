/** The `wrt` command. Exit codes: 0 success, 1 a job or runtime failure, 2 bad usage or input (exit.ts, docs/cli.md). */
import process from 'node:process';
import { Command, InvalidArgumentError } from 'commander';
import { submitPipeline, packageVersion } from './submit.js';
import { startHeadCommand, startNodeCommand } from './start.js';
import { formatInfo, localInfo } from './info.js';
import { generateNexmark } from './nexmark.js';
import { WrtError } from '../errors.js';
import { DEFAULT_CHECKPOINT_BASE, DEFAULT_SAVEPOINT_BASE } from '../platform/node/checkpoint-dir.js';
import { DEFAULT_CHECKPOINT_TIMEOUT_MS } from '../scheduler/checkpoint-coordinator.js';
import { fail } from './exit.js';
import { addClusterCommands } from './cluster-commands.js';

const int =
  (name: string) =>
  (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${name} must be a non-negative integer`);
    return n;
  };
const positive =
  (name: string) =>
  (v: string): number => {
    const n = Number(v);
    if (!(n > 0)) throw new InvalidArgumentError(`${name} must be a positive number`);
    return n;
  };

function resourcesArg(v: string): Record<string, number> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(v);
  } catch {
    throw new InvalidArgumentError('--resources must be a JSON object such as {"special": 2}');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new InvalidArgumentError('--resources must be a JSON object');
  for (const [k, n] of Object.entries(parsed)) {
    if (typeof n !== 'number' || !(n >= 0)) throw new InvalidArgumentError(`--resources: "${k}" must be a non-negative number`);
  }
  return parsed as Record<string, number>;
}

const program = new Command('wrt')
  .description('wrt: a WebAssembly-first compute runtime (tasks, actors, streams and batch jobs over sandboxed wasm)')
  .version(await packageVersion())
  .showHelpAfterError();
program.exitOverride((e) => process.exit(e.exitCode === 0 ? 0 : 2));

program
  .command('start')
  .description('start a head (--head) or a node that joins one (--address)')
  .option('--head', 'start the head: membership, scheduling, job registry, volunteer page')
  .option('--address <url>', 'join the head at this address (ws://HOST:PORT)')
  .option('--host <host>', 'head: interface to listen on', '127.0.0.1')
  .option('--port <n>', 'head: port to listen on (0 picks a free one)', int('--port'), 8265)
  .option('--cpus <n>', 'node: slots (worker threads)', positive('--cpus'))
  .option('--name <name>', 'node: name shown in status and logs')
  .option('--store-mb <n>', 'node: largest object-store arena in MiB', positive('--store-mb'))
  .option('--spill-dir <dir>', 'node: where a full object store spills objects (default: under the temp directory)')
  .option('--resources <json>', 'node: custom resources it offers, as JSON, e.g. \'{"special": 2}\'', resourcesArg)
  .option('--no-gpu', 'node: offer no GPU even where a WebGPU adapter exists')
  .option('--no-direct', 'node: take no direct actor calls from drivers (every call goes through the head; ADR 0009)')
  .option(
    '--direct-host <host>',
    "node: interface drivers call its actors directly on (default: 127.0.0.1 for a loopback head, else this machine's first external IPv4 address)",
  )
  .option(
    '--token-file <file>',
    "head: the cluster secret to use (default: $WRT_TOKEN, else a fresh one); node: the head's secret (default: $WRT_TOKEN, else a loopback head's token file)",
  )
  .option('--allow-origin <origin...>', "head: web origins (https://host:port) whose pages may open its WebSocket besides the head's own")
  .option('--tls-cert <file>', 'head: PEM certificate chain: serve https and wss (with --tls-key)')
  .option('--tls-key <file>', 'head: PEM private key of --tls-cert')
  .option('--auth-timeout-ms <n>', 'head: how long a new connection may take to authenticate', positive('--auth-timeout-ms'), 10_000)
  .option(
    '--max-unauthenticated <n>',
    'head: connections authenticating at once; beyond it the oldest is dropped',
    positive('--max-unauthenticated'),
    256,
  )
  .option('--max-connections <n>', 'head: open connections beyond which new ones are refused', positive('--max-connections'), 4096)
  .option(
    '--max-operator-memory-mb <n>',
    'node: the most linear memory one operator instance may have (ceiling; default 4096)',
    positive('--max-operator-memory-mb'),
  )
  .option('--max-deadline-ms <n>', 'node: the longest one operator call may run (ceiling; default 600000)', positive('--max-deadline-ms'))
  .option('--max-output-mb <n>', 'node: the most bytes one operator call may return (default 64)', positive('--max-output-mb'))
  .option(
    '--max-gpu-mb-per-call <n>',
    'node: the most bytes one wrt:runtime/gpu call may move (default 1024)',
    positive('--max-gpu-mb-per-call'),
  )
  .option('--data-dir <dir...>', "node: a directory stream jobs' file sources may read under (repeatable; default: none)")
  .option('--allow-nats <server...>', 'head and node: a NATS server (HOST or HOST:PORT) stream jobs may reach (repeatable; default: none)')
  .option('--max-tasks-per-driver <n>', 'head: tasks one driver may have queued or running', positive('--max-tasks-per-driver'), 100_000)
  .option('--max-objects-per-driver <n>', 'head: objects one driver may hold', positive('--max-objects-per-driver'), 1_000_000)
  .option('--ca-file <file>', "node: PEM certificates to trust for a wss:// head (a self-signed head's certificate)")
  .option(
    '--state-dir <dir>',
    'head: where it writes its token file (mode 0600) and reads revoked volunteer links (default: $WRT_STATE_DIR or ~/.wrt)',
  )
  .option('--heartbeat-interval-ms <n>', 'head: how often nodes heartbeat', positive('--heartbeat-interval-ms'), 1000)
  .option('--heartbeat-timeout-ms <n>', 'head: silence after which a node is declared lost', positive('--heartbeat-timeout-ms'), 5000)
  .option('--quiet', 'head: do not log cluster events to stderr')
  .option(
    '--volunteers',
    "head: admit volunteers' browser tabs through a revocable volunteer link, printed at start (they get only work that allows them; default: none)",
  )
  .option(
    '--volunteer-quorum <n>',
    'head: agreeing volunteer results that accept a unit (default 2; docs/volunteers.md)',
    int('--volunteer-quorum'),
  )
  .option(
    '--volunteer-max-replicas <n>',
    'head: volunteer results a unit may gather before a trusted node decides (default 4)',
    int('--volunteer-max-replicas'),
  )
  .option(
    '--volunteer-spot-check <p>',
    "head: lowest probability that a trusted volunteer's unit is replicated anyway (default 0.05)",
    positive('--volunteer-spot-check'),
  )
  .option('--checkpoint-dir <dir>', "head: where stream jobs' checkpoints go (default: wrt-checkpoints under the temp directory)")
  .option(
    '--checkpoint-timeout-ms <n>',
    "head: how long a stream job's checkpoint may take before it expires and the job restarts from the last one",
    positive('--checkpoint-timeout-ms'),
    DEFAULT_CHECKPOINT_TIMEOUT_MS,
  )
  .option(
    '--savepoint-dir <dir>',
    'head: where savepoints go when wrt savepoint / stop name none (default: wrt-savepoints under the temp directory)',
  )
  .action(
    async (o: {
      head?: boolean;
      address?: string;
      host: string;
      port: number;
      cpus?: number;
      name?: string;
      storeMb?: number;
      spillDir?: string;
      heartbeatIntervalMs: number;
      heartbeatTimeoutMs: number;
      quiet?: boolean;
      volunteers?: boolean;
      volunteerQuorum?: number;
      volunteerMaxReplicas?: number;
      volunteerSpotCheck?: number;
      checkpointDir?: string;
      checkpointTimeoutMs: number;
      savepointDir?: string;
      resources?: Record<string, number>;
      gpu: boolean;
      direct: boolean;
      directHost?: string;
      tokenFile?: string;
      stateDir?: string;
      allowOrigin?: string[];
      tlsCert?: string;
      tlsKey?: string;
      caFile?: string;
      authTimeoutMs: number;
      maxUnauthenticated: number;
      maxConnections: number;
      maxTasksPerDriver: number;
      maxObjectsPerDriver: number;
      dataDir?: string[];
      allowNats?: string[];
      maxOperatorMemoryMb?: number;
      maxDeadlineMs?: number;
      maxOutputMb?: number;
      maxGpuMbPerCall?: number;
    }) => {
      if (!o.head === !o.address) fail(new WrtError('WRT_INVALID_ARGUMENT', 'give exactly one of --head or --address URL'));
      if (o.head)
        await startHeadCommand({
          host: o.host,
          port: o.port,
          heartbeatIntervalMs: o.heartbeatIntervalMs,
          heartbeatTimeoutMs: o.heartbeatTimeoutMs,
          quiet: !!o.quiet,
          checkpointDir: o.checkpointDir ?? DEFAULT_CHECKPOINT_BASE,
          checkpointTimeoutMs: o.checkpointTimeoutMs,
          savepointDir: o.savepointDir ?? DEFAULT_SAVEPOINT_BASE,
          tokenFile: o.tokenFile,
          stateDir: o.stateDir,
          allowOrigins: o.allowOrigin ?? [],
          tlsCert: o.tlsCert,
          tlsKey: o.tlsKey,
          authTimeoutMs: o.authTimeoutMs,
          maxUnauthenticated: o.maxUnauthenticated,
          maxConnections: o.maxConnections,
          maxTasksPerDriver: o.maxTasksPerDriver,
          maxObjectsPerDriver: o.maxObjectsPerDriver,
          allowNats: o.allowNats ?? [],
          volunteers: !!o.volunteers,
          volunteerPolicy: {
            ...(o.volunteerQuorum !== undefined ? { quorum: o.volunteerQuorum } : {}),
            ...(o.volunteerMaxReplicas !== undefined ? { maxReplicas: o.volunteerMaxReplicas } : {}),
            ...(o.volunteerSpotCheck !== undefined ? { spotCheckFloor: o.volunteerSpotCheck } : {}),
          },
        });
      else
        await startNodeCommand({
          address: o.address!,
          cpus: o.cpus === undefined ? undefined : Math.floor(o.cpus),
          name: o.name,
          storeMb: o.storeMb,
          spillDir: o.spillDir,
          resources: o.resources,
          gpu: o.gpu,
          direct: o.direct,
          directHost: o.directHost,
          tokenFile: o.tokenFile,
          caFile: o.caFile,
          dataDirs: o.dataDir ?? [],
          allowNats: o.allowNats ?? [],
          maxOperatorMemoryBytes: o.maxOperatorMemoryMb && Math.floor(o.maxOperatorMemoryMb * 2 ** 20),
          maxDeadlineMs: o.maxDeadlineMs && Math.floor(o.maxDeadlineMs),
          outputCapBytes: o.maxOutputMb && Math.floor(o.maxOutputMb * 2 ** 20),
          maxGpuBytesPerCall: o.maxGpuMbPerCall && Math.floor(o.maxGpuMbPerCall * 2 ** 20),
        });
    },
  );

program
  .command('submit')
  .description('run a pipeline (.wasm): a batch job over input files, or a stream job over its sources; write its output')
  .argument('<pipeline>', 'pipeline.wasm: a WebAssembly component or core module of world pipeline or stream-pipeline')
  .option('--input <paths...>', 'batch pipelines: input files, directories or globs (quote globs)')
  .option(
    '--output <dir>',
    'output directory: part-NNNNN.tsv (batch) or part-NNNNN.csv (stream) files and _SUCCESS (a stream job whose sinks all write elsewhere, as NATS, needs none)',
  )
  .option('--address <url>', 'submit to a running cluster (default: start an embedded one and stop it after)')
  .option('--token-file <file>', "--address: a credential for it (default: $WRT_TOKEN, else a loopback head's token file)")
  .option('--ca-file <file>', '--address: PEM certificates to trust for a wss:// head')
  .option('--nodes <n>', 'embedded cluster: node processes', positive('--nodes'), 2)
  .option('--cpus <n>', 'embedded cluster: slots per node (default: cores / nodes)', positive('--cpus'))
  .option('--chunk-mb <n>', 'input chunk size in MiB', positive('--chunk-mb'), 4)
  .option('--operator-memory-mb <n>', 'linear-memory cap of each operator instance in MiB (default 256)', positive('--operator-memory-mb'))
  .option('--deadline-ms <n>', 'deadline of one operator call in ms (default 60000)', positive('--deadline-ms'))
  .option('--arg <key=value...>', 'job argument (repeatable); stream pipelines get them in configure')
  .option(
    '--checkpoint-interval-ms <n>',
    'stream jobs: take a checkpoint this often; a lost node then restarts the job from the latest (default: none)',
    positive('--checkpoint-interval-ms'),
  )
  .option('--parallelism <n>', "stream jobs: subtasks of vertices that set none (default: the cluster's slots)", positive('--parallelism'))
  .option(
    '--from-savepoint <path>',
    "stream jobs: start from this savepoint (from wrt savepoint / wrt stop) or a failed job's chk-N directory",
  )
  .option(
    '--volunteers',
    "batch jobs: maps may also run on volunteers' browser tabs, each output accepted once verified (docs/volunteers.md; default: trusted nodes only)",
  )
  .option('--overwrite', 'replace the result in a non-empty output directory')
  .option('--json', 'print the summary as one JSON object on stdout')
  .option('--no-progress', 'no progress bar even on a terminal')
  .action(
    async (
      pipeline: string,
      o: {
        input?: string[];
        output?: string;
        parallelism?: number;
        checkpointIntervalMs?: number;
        fromSavepoint?: string;
        address?: string;
        tokenFile?: string;
        caFile?: string;
        nodes: number;
        cpus?: number;
        chunkMb: number;
        operatorMemoryMb?: number;
        deadlineMs?: number;
        arg?: string[];
        overwrite?: boolean;
        volunteers?: boolean;
        json?: boolean;
        progress: boolean;
      },
    ) => {
      const args: Record<string, string> = {};
      for (const kv of o.arg ?? []) {
        const i = kv.indexOf('=');
        if (i <= 0) fail(new WrtError('WRT_INVALID_ARGUMENT', `--arg ${kv} is not KEY=VALUE`));
        args[kv.slice(0, i)] = kv.slice(i + 1);
      }
      try {
        const s = await submitPipeline(pipeline, {
          input: o.input ?? [],
          parallelism: o.parallelism === undefined ? undefined : Math.floor(o.parallelism),
          checkpointIntervalMs: o.checkpointIntervalMs === undefined ? undefined : Math.floor(o.checkpointIntervalMs),
          fromSavepoint: o.fromSavepoint,
          output: o.output,
          address: o.address,
          tokenFile: o.tokenFile,
          caFile: o.caFile,
          nodes: Math.floor(o.nodes),
          cpus: o.cpus === undefined ? undefined : Math.floor(o.cpus),
          chunkMb: o.chunkMb,
          operatorMemoryMb: o.operatorMemoryMb,
          deadlineMs: o.deadlineMs,
          overwrite: !!o.overwrite,
          volunteers: !!o.volunteers,
          arg: args,
          progress: o.progress && !!process.stderr.isTTY && !o.json,
          json: !!o.json,
        });
        if (o.json) process.stdout.write(JSON.stringify(s) + '\n');
        else if ('kind' in s && s.state === 'Stopped') {
          process.stderr.write(
            `wrt: stream job ${s.jobId} ${s.message}: ${s.partitions} part(s) hold the output up to it (no _SUCCESS) in ${o.output}; ` +
              `continue with wrt submit … --from-savepoint PATH\n`,
          );
        } else if ('kind' in s) {
          process.stderr.write(
            `wrt: stream job ${s.jobId} finished: ${s.subtasks} subtasks, ${s.partitions} part(s), ${s.bytesWritten} bytes written, ` +
              `${s.seconds.toFixed(2)} s on ${s.nodes.length} node(s) (${s.nodes.join(', ')})${o.output ? `; output in ${o.output}` : ''}\n`,
          );
        } else {
          process.stderr.write(
            `wrt: job ${s.jobId} finished: ${s.bytesRead} bytes read, ${s.tokens} tokens, ${s.distinctTokens} distinct tokens, ` +
              `${s.seconds.toFixed(2)} s, ${s.mbPerSecond.toFixed(1)} MB/s on ${s.nodes.length} node(s) (${s.nodes.join(', ')}); output in ${o.output}\n`,
          );
        }
        process.exit(0);
      } catch (err) {
        fail(err);
      }
    },
  );

const nexmark = program.command('nexmark').description('the Nexmark benchmark: event generator (queries run with wrt submit)');
nexmark
  .command('generate')
  .description('write Nexmark events 0..N-1 as DIR/person.csv, DIR/auction.csv and DIR/bid.csv')
  .requiredOption('--events <n>', 'number of events (persons, auctions and bids together, 1:3:46)', int('--events'))
  .option('--seed <n>', 'seed of every draw (same seed, same events)', int('--seed'), 0)
  .requiredOption('--output <dir>', 'directory for the three CSV files')
  .option('--overwrite', 'replace Nexmark files already in the directory')
  .option('--json', 'print the summary as one JSON object on stdout')
  .option('--no-progress', 'no progress bar even on a terminal')
  .action(async (o: { events: number; seed: number; output: string; overwrite?: boolean; json?: boolean; progress: boolean }) => {
    try {
      const s = await generateNexmark({
        events: o.events,
        seed: o.seed,
        output: o.output,
        overwrite: !!o.overwrite,
        progress: o.progress && !!process.stderr.isTTY && !o.json,
      });
      if (o.json) process.stdout.write(JSON.stringify(s) + '\n');
      else
        process.stderr.write(
          `wrt: ${s.events} Nexmark events (seed ${s.seed}): ${s.persons} persons, ${s.auctions} auctions, ${s.bids} bids, ` +
            `${(s.bytes / 1e6).toFixed(1)} MB in ${s.seconds.toFixed(2)} s; files in ${s.output}\n`,
        );
      process.exit(0);
    } catch (err) {
      fail(err);
    }
  });

addClusterCommands(program);

program
  .command('info')
  .description('show the resources a node started here would offer, including the GPU adapter it finds (or why none)')
  .option('--json', 'print one JSON object')
  .action(async (o: { json?: boolean }) => {
    const info = await localInfo();
    process.stdout.write(o.json ? JSON.stringify(info) + '\n' : formatInfo(info));
    process.exit(0);
  });

await program.parseAsync(process.argv).catch(fail);
