/** `wrt start --head` and `wrt start --address URL`: the long-running cluster processes. */
import process from 'node:process';
import { Head } from '../head/head.js';
import { serveHead } from '../launch/node/head-server.js';
import { configuredNodePlatform } from '../platform/node/platform.js';
import { confinedJetStream } from '../platform/node/confinement.js';
import { resolve } from 'node:path';
import { readCa, readPem } from './status.js';
import { NodeAgent } from '../node/node-agent.js';
import { headWebSocketUrl } from '../client/job-client.js';
import { checkpointDirectory } from '../platform/node/checkpoint-dir.js';
import { connectJetStream } from '../platform/node/connectors.js';
import { reportReady } from '../launch/node/local-cluster.js';
import { defaultStateDir, readTokenFile, removeClusterToken, resolveToken, writeClusterToken } from '../launch/node/cluster-token.js';
import { withCredential } from '../client/authenticate.js';
import { listenForDirectCalls } from '../launch/node/direct-listener.js';
import { networkInterfaces } from 'node:os';
import { deriveToken, newClusterSecret, parseCredential } from '../protocol/credentials.js';
import { revokedVolunteers } from '../launch/node/revocations.js';
import { TrustBook, type VolunteerPolicy } from '../scheduler/volunteer-trust.js';
import { WrtError } from '../errors.js';

/** Runs `stop` once on SIGINT or SIGTERM, then exits 0. */
function onShutdown(stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (): void => {
    if (stopping) return;
    stopping = true;
    stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}

export interface HeadCommandOptions {
  host: string;
  port: number;
  heartbeatIntervalMs: number;
  heartbeatTimeoutMs: number;
  quiet: boolean;
  /** Where stream jobs' checkpoints go. */
  checkpointDir: string;
  /** How long a checkpoint may take before it expires (the job restarts), ms. */
  checkpointTimeoutMs: number;
  /** Where savepoints go when `wrt savepoint` / `wrt stop` name no directory. */
  savepointDir: string;
  /** The cluster secret's file; else `$WRT_TOKEN`; else a fresh secret. */
  tokenFile?: string;
  /** Where the head writes its token file and reads revocations. @default $WRT_STATE_DIR or ~/.wrt */
  stateDir?: string;
  /** Web origins whose pages may open the WebSocket besides the head's own. */
  allowOrigins: string[];
  /** PEM files: serve https and wss. */
  tlsCert?: string;
  tlsKey?: string;
  /** NATS servers the head's sink committers may reach (`--allow-nats`). */
  allowNats: string[];
  /** Limits of the handshake and of connections (HeadOptions). */
  authTimeoutMs: number;
  maxUnauthenticated: number;
  maxConnections: number;
  maxTasksPerDriver: number;
  maxObjectsPerDriver: number;
  /** Admit volunteers (browser tabs through the volunteer link) and print the link. */
  volunteers?: boolean;
  /** Overrides of the volunteer policy's defaults (docs/volunteers.md). */
  volunteerPolicy?: Partial<VolunteerPolicy>;
}

/** The head's cluster secret: from `--token-file`, else `$WRT_TOKEN`, else a fresh one. */
async function headSecret(tokenFile: string | undefined): Promise<string> {
  const text = tokenFile ? await readTokenFile(tokenFile) : process.env.WRT_TOKEN?.trim();
  if (!text) return newClusterSecret();
  if (parseCredential(text).kind !== 'admin') {
    throw new WrtError(
      'WRT_INVALID_ARGUMENT',
      `${tokenFile ? `--token-file ${tokenFile}` : 'WRT_TOKEN'} holds a derived token; a head needs a cluster secret (43 base64url characters), or none to make one`,
    );
  }
  return text.trim();
}

export async function startHeadCommand(o: HeadCommandOptions): Promise<void> {
  const stateDir = o.stateDir ?? defaultStateDir();
  const secret = await headSecret(o.tokenFile);
  const revoked = revokedVolunteers(stateDir);
  try {
    new TrustBook(o.volunteerPolicy);
  } catch (err) {
    throw new WrtError(
      'WRT_INVALID_ARGUMENT',
      `${(err as Error).message} (--volunteer-quorum, --volunteer-max-replicas, --volunteer-spot-check)`,
    );
  }
  const head = new Head({
    volunteerPolicy: o.volunteerPolicy,
    clusterSecret: secret,
    volunteerRevoked: revoked,
    admitVolunteers: !!o.volunteers,
    authTimeoutMs: o.authTimeoutMs,
    maxUnauthenticated: o.maxUnauthenticated,
    maxConnections: o.maxConnections,
    maxTasksPerDriver: o.maxTasksPerDriver,
    maxObjectsPerDriver: o.maxObjectsPerDriver,
    heartbeatIntervalMs: o.heartbeatIntervalMs,
    heartbeatTimeoutMs: o.heartbeatTimeoutMs,
    log: o.quiet ? () => {} : (line) => process.stderr.write(line + '\n'),
    checkpoints: checkpointDirectory(o.checkpointDir, o.savepointDir),
    checkpointTimeoutMs: o.checkpointTimeoutMs,
    connectJetStream: confinedJetStream(connectJetStream, o.allowNats),
  });
  head.onNodeRegistered((n) => {
    process.stdout.write(`node joined ${n.id} ${n.name} ${n.platform} ${n.cpus} gpus=${n.gpus}\n`);
    reportReady({ type: 'wrt-node-registered', nodeId: n.id, name: n.name });
  });
  if (!o.tlsCert !== !o.tlsKey) throw new WrtError('WRT_INVALID_ARGUMENT', 'give both --tls-cert and --tls-key, or neither');
  const tls =
    o.tlsCert && o.tlsKey ? { cert: await readPem(o.tlsCert, '--tls-cert'), key: await readPem(o.tlsKey, '--tls-key') } : undefined;
  const server = await serveHead(head, o.host, o.port, { allowOrigins: o.allowOrigins, tls });
  const shown = o.host === '0.0.0.0' || o.host === '::' ? '127.0.0.1' : o.host;
  const ws = server.scheme === 'https' ? 'wss' : 'ws';
  const http = server.scheme;
  const tokenFile = await writeClusterToken(secret, server.port, stateDir);
  const volunteerLink = await deriveToken(secret, 'volunteer', 'link-1');
  process.stdout.write(
    `wrt head listening on ${ws}://${shown}:${server.port}/ws (volunteer page and status: ${http}://${shown}:${server.port}/)\n` +
      `cluster secret in ${tokenFile} (mode 0600). Join a node from this machine with:\n` +
      `  wrt start --address ${ws}://${shown}:${server.port}/ws\n` +
      `from another machine, copy that file there and run:\n` +
      `  wrt start --address ${ws}://HEAD-HOST:${server.port}/ws --token-file cluster.token${tls ? ' --ca-file CERT.pem' : ''}\n` +
      (o.volunteers
        ? `volunteer link (revoke with wrt token --revoke link-1): ${http}://${shown}:${server.port}/#token=${volunteerLink}\n` +
          `  volunteers get only work submitted with --volunteers (or volunteers: 'verified'); their results count once verified\n`
        : `volunteers: none (start the head with --volunteers to print a volunteer link)\n`) +
      `dashboard: ${http}://${shown}:${server.port}/ui (wrt dashboard prints a link with a viewer token); metrics: ${http}://${shown}:${server.port}/metrics\n` +
      (o.host === '127.0.0.1' || o.host === 'localhost' || tls
        ? ''
        : `warning: serving plain ws:// on ${o.host}: credentials are proven, not sent, but jobs, data and browser tabs off this machine need --tls-cert/--tls-key (docs/security.md)\n`),
  );
  reportReady({ type: 'wrt-head-listening', address: `${ws}://${shown}:${server.port}/ws` });
  onShutdown(async () => {
    head.close();
    await server.close();
    await removeClusterToken(secret, server.port, stateDir);
  });
}

export interface NodeCommandOptions {
  address: string;
  cpus?: number;
  name?: string;
  storeMb?: number;
  spillDir?: string;
  resources?: Record<string, number>;
  /** Offer the WebGPU adapter as a GPU (commander's --no-gpu sets false). */
  gpu: boolean;
  /** Take direct actor calls (ADR 0009; commander's --no-direct sets false), on `directHost`. */
  direct?: boolean;
  directHost?: string;
  /** The cluster secret's file; else `$WRT_TOKEN`; else, for a loopback head, its token file. */
  tokenFile?: string;
  /** PEM certificates to trust for a wss:// head. */
  caFile?: string;
  /** Where file sources may read (`--data-dir`), which NATS servers jobs may reach (`--allow-nats`). */
  dataDirs: string[];
  allowNats: string[];
  /** The node's ceilings (NodeAgentOptions); undefined = the defaults. */
  maxOperatorMemoryBytes?: number;
  maxDeadlineMs?: number;
  outputCapBytes?: number;
  maxGpuBytesPerCall?: number;
}

export async function startNodeCommand(o: NodeCommandOptions): Promise<void> {
  const confinement = { dataDirs: o.dataDirs.map((d) => resolve(d)), allowNats: o.allowNats };
  const base = configuredNodePlatform({ ca: await readCa(o.caFile), confinement });
  const secret = await resolveToken(o.address, o.tokenFile);
  const platform = withCredential(base, secret, 'node');
  // The direct-call listener starts first: its address goes to the head when the node registers.
  let agentRef: NodeAgent | null = null;
  const direct =
    o.direct === false
      ? null
      : await listenForDirectCalls(
          {
            nodeId: () => agentRef?.nodeId ?? '',
            hosts: (actorId) => agentRef?.direct.hosts(actorId) ?? false,
            call: (m, reply) => agentRef!.direct.call(m, reply),
          },
          secret,
          o.directHost ?? directHostFor(o.address),
        );
  const agent = new NodeAgent(platform, {
    address: headWebSocketUrl(o.address),
    cpus: o.cpus,
    name: o.name,
    storeBytes: o.storeMb ? o.storeMb * 2 ** 20 : undefined,
    spillDir: o.spillDir,
    resources: o.resources,
    gpu: o.gpu,
    maxOperatorMemoryBytes: o.maxOperatorMemoryBytes,
    maxDeadlineMs: o.maxDeadlineMs,
    outputCapBytes: o.outputCapBytes,
    maxGpuBytesPerCall: o.maxGpuBytesPerCall,
    directAddress: direct?.address ?? '',
  });
  agentRef = agent;
  let stopping = false;
  agent.on((e) => {
    if (e.type === 'disconnected' && !stopping) {
      process.stderr.write(`wrt node: lost the head (${e.reason}); exiting\n`);
      void agent.stop().finally(() => process.exit(1));
    }
  });
  const id = await agent.start();
  process.stdout.write(
    `wrt node ${id} "${agent.name}" joined ${o.address} with ${agent.cpus} slots and ${agent.gpu ? `a GPU: ${agent.gpuAdapter}` : `no GPU (${agent.gpuAdapter})`}` +
      `${direct ? `; direct actor calls at ${direct.address}` : ''}\n`,
  );
  reportReady({ type: 'wrt-node-joined', nodeId: id });
  onShutdown(async () => {
    stopping = true;
    await direct?.close();
    await agent.stop();
  });
}

/**
 * The interface a node takes direct calls on when `--direct-host` is not given: loopback for a
 * head on loopback (a one-machine cluster), else this machine's first external IPv4 address.
 */
function directHostFor(headAddress: string): string {
  let host = '';
  try {
    host = new URL(headWebSocketUrl(headAddress)).hostname;
  } catch {
    return '127.0.0.1';
  }
  if (host === 'localhost' || host === '[::1]' || host.startsWith('127.')) return '127.0.0.1';
  for (const list of Object.values(networkInterfaces()))
    for (const i of list ?? []) if (i.family === 'IPv4' && !i.internal) return i.address;
  return '127.0.0.1';
}
