/**
 * An embedded local cluster for `wrt submit` without `--address` (like `ray.init()` with no
 * address): one head process and N node processes on loopback, started from this package's own
 * CLI and stopped (SIGTERM, then SIGKILL after 5 s) when the job ends.
 *
 * Readiness travels as messages over each child's IPC channel ({@link ReadyMessage}, sent by
 * `wrt start` when it has a parent channel), not as lines scraped from stdout.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import process from 'node:process';
import { once } from 'node:events';
import { WrtError } from '../../errors.js';
import { newClusterSecret } from '../../protocol/credentials.js';

const BIN = fileURLToPath(new URL('../../../../bin/wrt.js', import.meta.url));

export interface LocalCluster {
  address: string;
  /** The cluster secret this cluster was started with (its processes got it as `WRT_TOKEN`). */
  token: string;
  httpUrl: string;
  processes: ChildProcess[];
  stop(): Promise<void>;
}

/**
 * What `wrt start` sends its parent process over the IPC channel: the head once it listens
 * (`address` is its `ws://` URL), the head again for every node that registers, a node once it has
 * joined (`nodeId` is the id the head gave it).
 */
export type ReadyMessage =
  | { type: 'wrt-head-listening'; address: string }
  | { type: 'wrt-node-registered'; nodeId: string; name: string }
  | { type: 'wrt-node-joined'; nodeId: string };

/** Sends `m` to the parent process when this process was started with an IPC channel (by {@link spawnWrt}). */
export function reportReady(m: ReadyMessage): void {
  if (!process.send) return;
  process.send(m);
  // The channel must not keep a process alive that would otherwise exit.
  (process.channel as { unref?: () => void } | undefined)?.unref?.();
}

/**
 * Starts `wrt ARGS` from this package's own CLI, with an IPC channel for its {@link ReadyMessage}s;
 * `token` reaches it as `WRT_TOKEN` (the environment, not the command line, which `ps` shows).
 */
export function spawnWrt(args: string[], token: string): ChildProcess {
  const p = spawn(process.execPath, [BIN, ...args], {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    env: { ...process.env, WRT_TOKEN: token },
  });
  (p.channel as { unref?: () => void } | undefined)?.unref?.();
  return p;
}

/** What a local cluster's processes allow jobs to reach (docs/security.md). */
export interface LocalReach {
  /** Directories file sources may read under. @default the working directory */
  dataDirs?: string[];
  /** NATS servers jobs may reach. @default loopback (127.0.0.1, localhost, ::1) */
  allowNats?: string[];
  /** Extra `wrt start --head` arguments (e.g. `--savepoint-dir`). */
  headArgs?: string[];
  /** Extra arguments of every node's `wrt start` (e.g. `--store-mb`, `--resources`). */
  nodeArgs?: string[];
}

const LOOPBACK_NATS = ['127.0.0.1', 'localhost', '::1'];

/** The confinement `reach` stands for, its defaults filled in. */
export function reachOf(reach: LocalReach): { dataDirs: string[]; allowNats: string[] } {
  return { dataDirs: reach.dataDirs ?? [process.cwd()], allowNats: reach.allowNats ?? LOOPBACK_NATS };
}

/** `--data-dir` (nodes only) and `--allow-nats` arguments for `reach`. */
export function reachArgs(reach: LocalReach, node: boolean): string[] {
  const r = reachOf(reach);
  const nats = r.allowNats.flatMap((n) => ['--allow-nats', n]);
  return node ? [...r.dataDirs.flatMap((d) => ['--data-dir', d]), ...nats] : nats;
}

/** Starts local node `index` (named `local-<index + 1>`) of a cluster whose head is at `address`. */
export function spawnNode(address: string, token: string, cpus: number, index: number, gpu: boolean, reach: LocalReach = {}): ChildProcess {
  const args = ['start', '--address', address, '--cpus', String(cpus), '--name', `local-${index + 1}`, ...(gpu ? [] : ['--no-gpu'])];
  return spawnWrt([...args, ...reachArgs(reach, true), ...(reach.nodeArgs ?? [])], token);
}

/** SIGTERM, then SIGKILL after 5 s; resolves once `p` has exited. */
export async function stopProcess(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  const exited = once(p, 'exit');
  p.kill('SIGTERM');
  const timer = setTimeout(() => p.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

/** Keeps the last `chars` characters `p` writes to stderr; the getter returns them trimmed. */
function stderrTail(p: ChildProcess, chars = 2000): () => string {
  let tail = '';
  p.stderr?.on('data', (d: Buffer) => (tail = (tail + d.toString()).slice(-chars)));
  return () => tail.trim();
}

/**
 * Resolves with the first message of `p` that `pick` accepts (returns non-null for).
 * @throws WrtError `WRT_CONNECTION` when `p` exits first (with the end of its stderr).
 */
function waitForMessage<T>(p: ChildProcess, pick: (m: ReadyMessage) => T | null, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const stderr = stderrTail(p);
    const onMessage = (m: ReadyMessage): void => {
      const v = pick(m);
      if (v === null) return;
      p.off('message', onMessage);
      resolve(v);
    };
    p.on('message', onMessage);
    p.once('exit', (code) => reject(new WrtError('WRT_CONNECTION', `${what} exited (code ${code}) before it was ready: ${stderr()}`)));
  });
}

/**
 * Starts a head and `nodes` nodes with `cpus` slots each; resolves once all nodes joined. Only
 * the first `gpuNodes` nodes offer a GPU (the others start with --no-gpu); `reach` is what their
 * jobs may reach (default: files under the working directory, NATS on loopback).
 */
export async function startLocalCluster(
  nodes: number,
  cpus: number,
  verbose = false,
  gpuNodes = nodes,
  reach: LocalReach = {},
): Promise<LocalCluster> {
  const processes: ChildProcess[] = [];
  const token = newClusterSecret();
  const stop = async (): Promise<void> => {
    await Promise.all(processes.slice(1).map(stopProcess));
    if (processes[0]) await stopProcess(processes[0]);
  };
  try {
    const head = spawnWrt(
      ['start', '--head', '--host', '127.0.0.1', '--port', '0', ...reachArgs(reach, false), ...(reach.headArgs ?? [])],
      token,
    );
    processes.push(head);
    if (verbose) head.stderr?.pipe(process.stderr);
    // Drain stdout (the human-readable lines) so a full pipe never stalls the child.
    head.stdout?.resume();
    const address = await waitForMessage(head, (m) => (m.type === 'wrt-head-listening' ? m.address : null), 'the head');
    const httpUrl = address.replace(/^ws/, 'http').replace(/\/ws$/, '');
    let registered = 0;
    const joined = waitForMessage(head, (m) => (m.type === 'wrt-node-registered' && ++registered >= nodes ? true : null), 'the head');
    for (let i = 0; i < nodes; i++) {
      const n = spawnNode(address, token, cpus, i, i < gpuNodes, reach);
      processes.push(n);
      n.stdout?.resume();
      if (verbose) n.stderr?.pipe(process.stderr);
      const tail = verbose ? (): string => '' : stderrTail(n);
      n.once('exit', (code) => {
        if (code !== 0 && code !== null)
          process.stderr.write(`wrt: local node ${i + 1} exited with code ${code}${tail() ? `; the end of its stderr:\n${tail()}` : ''}\n`);
      });
    }
    await joined;
    return { address, token, httpUrl, processes, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
