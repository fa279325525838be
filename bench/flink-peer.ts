/**
 * Apache Flink beside wrt: builds bench/peers/flink (a Maven project, Flink 2.3, Java 17) when its
 * classes are missing or older than its sources, and runs its `wrt.bench.NexmarkFlink` — the
 * reference Nexmark SQL on a local MiniCluster over the events wrt's generator makes (a Java port
 * of it; see that file) — in a JVM of its own. Needs `java` (17+) and `mvn` on the PATH; the first
 * build downloads Flink from Maven Central.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const FLINK_PEER_DIR = fileURLToPath(new URL('../../bench/peers/flink/', import.meta.url));

/** One query's run on Flink, as NexmarkFlink prints it. */
export interface FlinkRun {
  query: string;
  events: number;
  parallelism: number;
  /** The job's net runtime (JobManager: start to end), seconds. */
  seconds: number;
  wallSeconds: number;
  /** CPU seconds of Flink's JVM over the job. */
  cpuSeconds: number;
}

/** Newest modification time (ms) of the files under `dir`. */
function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

/**
 * True when target/ holds the classes and the classpath, built after pom.xml and src/ last changed
 * (the newest file of target/classes counts: Maven leaves an unchanged classpath.txt as it was).
 */
export function flinkPeerBuilt(): boolean {
  const classes = join(FLINK_PEER_DIR, 'target/classes');
  if (!existsSync(join(FLINK_PEER_DIR, 'target/classpath.txt')) || !existsSync(join(classes, 'wrt/bench/NexmarkFlink.class'))) return false;
  const built = newest(classes);
  return built >= statSync(join(FLINK_PEER_DIR, 'pom.xml')).mtimeMs && built >= newest(join(FLINK_PEER_DIR, 'src'));
}

/**
 * Builds the peer with `mvn -q -B package` unless it is built already.
 * @throws Error naming what is missing (java, mvn) or Maven's output when the build fails.
 */
export function buildFlinkPeer(log: (line: string) => void = () => {}): void {
  if (flinkPeerBuilt()) return;
  for (const [tool, args] of [
    ['java', ['-version']],
    ['mvn', ['-v']],
  ] as const)
    if (spawnSync(tool, args, { stdio: 'ignore' }).status !== 0)
      throw new Error(`the Flink peer needs ${tool} (Java 17 and Maven: apt-get install openjdk-17-jdk-headless maven)`);
  log('building bench/peers/flink with Maven (the first build downloads Flink)');
  const r = spawnSync('mvn', ['-q', '-B', 'package'], { cwd: FLINK_PEER_DIR, encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
  if (r.status !== 0) throw new Error(`mvn package in ${FLINK_PEER_DIR} failed (exit ${r.status}):\n${(r.stdout + r.stderr).slice(-4000)}`);
}

export interface FlinkOptions {
  events: number;
  parallelism: number;
  checkpointIntervalMs: number;
  queries: readonly string[];
  seed?: number;
  /** Events of an untimed run of every query first (JIT warm-up); 0: none. */
  warmupEvents?: number;
  /** Collect each query's final result into DIR/qN.csv instead of blackhole sinks. */
  output?: string;
}

/**
 * Runs NexmarkFlink (building it first when needed) and resolves with one {@link FlinkRun} per
 * query. @throws Error with the JVM's output when it exits non-zero.
 */
export async function runFlinkNexmark(o: FlinkOptions, log: (line: string) => void = () => {}): Promise<FlinkRun[]> {
  buildFlinkPeer(log);
  const classpath = `${join(FLINK_PEER_DIR, 'target/classes')}:${readFileSync(join(FLINK_PEER_DIR, 'target/classpath.txt'), 'utf8').trim()}`;
  const args = [
    '-cp',
    classpath,
    'wrt.bench.NexmarkFlink',
    '--events',
    String(o.events),
    '--parallelism',
    String(o.parallelism),
    '--checkpoint-interval-ms',
    String(o.checkpointIntervalMs),
    '--queries',
    o.queries.join(','),
    '--seed',
    String(o.seed ?? 0),
    '--warmup-events',
    String(o.warmupEvents ?? 0),
    ...(o.output ? ['--output', o.output] : []),
  ];
  const child = spawn('java', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const stop = (): void => void child.kill('SIGKILL');
  process.once('exit', stop); // never leave the JVM behind
  const runs: FlinkRun[] = [];
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    let nl: number;
    while ((nl = out.indexOf('\n')) >= 0) {
      const line = out.slice(0, nl).trim();
      out = out.slice(nl + 1);
      if (!line.startsWith('{')) continue;
      const run = JSON.parse(line) as FlinkRun;
      runs.push(run);
      log(`flink ${run.query}: ${run.seconds.toFixed(2)} s, ${run.cpuSeconds.toFixed(2)} CPU-s`);
    }
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err = (err + d).slice(-8000)));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  process.off('exit', stop);
  if (code !== 0) throw new Error(`NexmarkFlink exited with ${code}:\n${err}`);
  return runs;
}
