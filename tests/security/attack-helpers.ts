/**
 * What the attack suite shares: raw WebSocket peers that speak the wire protocol directly (for
 * forged and replayed messages), and the check every attack ends with: the cluster still runs a
 * job correctly.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import WebSocket from 'ws';
import { CORPUS, FIXTURES, ROOT, WORDCOUNT, runWrt, type TestCluster } from '../helpers/wrt-process.js';
import { assertWordcount } from '../helpers/wordcount-output.js';
import { decodeFrame } from '../../runtime/protocol/codec.js';
import { init, asNumber } from '../../sdk/node.js';
import type { Message } from '../../runtime/protocol/messages.js';

/** A raw socket to the head: every message it receives, and how it closed. */
export interface RawPeer {
  ws: WebSocket;
  seen: Message[];
  /** The close code once closed. */
  closed: Promise<number>;
  /** Resolves with the first received message of `type`. */
  next(type: Message['type']): Promise<Message>;
}

/** Opens a raw WebSocket to `address` (no handshake of ours); rejects when the upgrade is refused. */
export async function rawPeer(address: string, headers: Record<string, string> = {}): Promise<RawPeer> {
  const ws = new WebSocket(address, { headers });
  const seen: Message[] = [];
  const waiters: { type: Message['type']; resolve: (m: Message) => void }[] = [];
  ws.on('message', (d: Buffer) => {
    for (const m of decodeFrame(new Uint8Array(d))) {
      seen.push(m);
      for (const w of waiters.filter((x) => x.type === m.type)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  });
  const closed = new Promise<number>((resolve) => ws.once('close', (code: number) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
  return {
    ws,
    seen,
    closed,
    next: (type) => {
      const m = seen.find((x) => x.type === type);
      return m ? Promise.resolve(m) : new Promise((resolve) => waiters.push({ type, resolve }));
    },
  };
}

/** The code of the first ErrorMessage `peer` received, or 'none'. */
export function errorCode(seen: Message[]): string {
  const e = seen.find((m) => m.type === 'ErrorMessage');
  return e?.type === 'ErrorMessage' ? e.failure.code : 'none';
}

/** A task through the SDK (as the cluster secret's driver) returns the right sum. */
export async function assertTasksRun(cluster: TestCluster): Promise<void> {
  const rt = await init({ address: cluster.address, token: cluster.token });
  try {
    const mod = await rt.load(`${FIXTURES}tasks.wasm`);
    const add = mod.remote('add');
    assert.equal(asNumber(await rt.get(add.call(add.call(20, 1), 21))), 42);
  } finally {
    await rt.shutdown();
  }
}

/** A word-count batch job through `wrt submit --address` produces exactly the reference counts. */
export async function assertJobRuns(cluster: TestCluster, work: string, name: string): Promise<void> {
  const dir = join(CORPUS, 'spam-2');
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.txt'))
    .sort()
    .slice(0, 200)
    .map((f) => join(dir, f));
  const out = join(work, name);
  const r = await runWrt([
    'submit',
    WORDCOUNT,
    '--address',
    cluster.address,
    '--token-file',
    cluster.tokenFile,
    '--input',
    ...files,
    '--output',
    out,
  ]);
  assert.equal(r.code, 0, r.stderr);
  assertWordcount(out, files);
}

/**
 * `wrt submit` arguments for Nexmark q1 over `events` events (seed 1) on `cluster`, into `output`:
 * with 100 million events, a stream job that runs until it is cancelled.
 */
export function nexmarkQ1(cluster: TestCluster, events: number, output: string, extra: string[] = []): string[] {
  const pipeline = join(ROOT, 'samples/nexmark/build/pipeline.wasm');
  const args = ['--arg', 'query=q1', '--arg', `events=${events}`, '--arg', 'seed=1'];
  return ['submit', pipeline, '--address', cluster.address, ...args, '--output', output, ...extra];
}
