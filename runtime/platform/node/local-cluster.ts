/**
 * An embedded local cluster for `wrt submit` without `--address` (like `ray.init()` with no
 * address): one head process and N node processes on loopback, started from this package's own
 * CLI and stopped (SIGTERM, then SIGKILL after 5 s) when the job ends.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import process from 'node:process';
import { once } from 'node:events';
import { WrtError } from '../../errors.js';

const BIN = fileURLToPath(new URL('../../../../bin/wrt.js', import.meta.url));

export interface LocalCluster {
  address: string;
  httpUrl: string;
  processes: ChildProcess[];
  stop(): Promise<void>;
}

/** Starts `wrt ARGS` from this package's own CLI. */
export function spawnWrt(args: string[]): ChildProcess {
  return spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Starts local node `index` (named `local-<index + 1>`) of a cluster whose head is at `address`. */
export function spawnNode(address: string, cpus: number, index: number, gpu: boolean): ChildProcess {
  return spawnWrt(['start', '--address', address, '--cpus', String(cpus), '--name', `local-${index + 1}`, ...(gpu ? [] : ['--no-gpu'])]);
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

/** Waits for a line of `p`'s stdout that matches `re`. */
function waitForLine(p: ChildProcess, re: RegExp, what: string): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    let stderr = '';
    p.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
    const onData = (d: Buffer): void => {
      buffered += d.toString();
      const m = buffered.match(re);
      if (m) {
        p.stdout?.off('data', onData);
        resolve(m);
      }
    };
    p.stdout?.on('data', onData);
    p.once('exit', (code) => reject(new WrtError('WRT_CONNECTION', `${what} exited (code ${code}) before it was ready: ${stderr.trim()}`)));
  });
}

/**
 * Starts a head and `nodes` nodes with `cpus` slots each; resolves once all nodes joined. Only
 * the first `gpuNodes` nodes offer a GPU (the others start with --no-gpu).
 */
export async function startLocalCluster(nodes: number, cpus: number, verbose = false, gpuNodes = nodes): Promise<LocalCluster> {
  const processes: ChildProcess[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(processes.slice(1).map(stopProcess));
    if (processes[0]) await stopProcess(processes[0]);
  };
  try {
    const head = spawnWrt(['start', '--head', '--host', '127.0.0.1', '--port', '0']);
    processes.push(head);
    if (verbose) head.stderr?.pipe(process.stderr);
    const m = await waitForLine(head, /listening on (ws:\/\/\S+)/, 'the head');
    const address = m[1]!;
    const httpUrl = address.replace(/^ws/, 'http').replace(/\/ws$/, '');
    const joined = new Promise<void>((resolve, reject) => {
      let count = 0;
      let buffered = '';
      head.stdout?.on('data', (d: Buffer) => {
        buffered += d.toString();
        const lines = buffered.split('\n');
        buffered = lines.pop()!;
        count += lines.filter((l) => l.startsWith('node joined')).length;
        if (count >= nodes) resolve();
      });
      head.once('exit', () => reject(new WrtError('WRT_CONNECTION', 'the head exited while nodes were joining')));
    });
    for (let i = 0; i < nodes; i++) {
      const n = spawnNode(address, cpus, i, i < gpuNodes);
      processes.push(n);
      if (verbose) n.stderr?.pipe(process.stderr);
      n.once('exit', (code) => {
        if (code !== 0 && code !== null) process.stderr.write(`wrt: local node ${i + 1} exited with code ${code}\n`);
      });
    }
    await joined;
    return { address, httpUrl, processes, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
