// Attacks on who may talk to a head, against real head, node and driver processes: no credential,
// a wrong one, a replayed proof, a forged Origin (from a raw socket and from a real Chromium page
// of another origin), roles sending what is not theirs, another driver's job, a flood of
// connections that never authenticate, fuzzed frames from an authenticated driver. After each
// group the cluster still runs tasks; at the end it runs a batch job exactly.
import test from 'ava';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, ROOT, TestCluster, clusterFixture, runWrt, startWrt } from '../helpers/wrt-process.js';
import { launchChromium } from '../helpers/chromium.js';
import { decodeFrame as decodeAll, encodeFrame, encodeMessage } from '../../runtime/protocol/codec.js';
import { deriveToken, newClusterSecret, parseCredential, proofOf } from '../../runtime/protocol/credentials.js';
import { withCredential } from '../../runtime/client/authenticate.js';
import { nodePlatform } from '../../runtime/platform/node/platform.js';
import type { Connection } from '../../runtime/platform/platform.js';
import type { Message, Role } from '../../runtime/protocol/messages.js';
import { SAMPLES } from '../helpers/protocol-samples.js';
import { ALLOWED } from '../../runtime/head/auth-gate.js';
import { init, asNumber } from '../../sdk/node.js';
import { until } from '../helpers/until.js';
import { assertJobRuns, assertTasksRun, errorCode, rawPeer, nexmarkQ1 } from './attack-helpers.js';

const f = clusterFixture('wrt-sec-auth-');
let cluster: TestCluster;

test.before(async () => {
  cluster = f.cluster = await TestCluster.start(
    [
      { name: 'alpha', cpus: 1, args: ['--no-gpu'] },
      { name: 'beta', cpus: 1, args: ['--no-gpu'] },
    ],
    [
      '--auth-timeout-ms',
      '3000',
      '--max-unauthenticated',
      '64',
      '--max-tasks-per-driver',
      '6',
      '--state-dir',
      join(f.work, 'state'),
      '--volunteers',
    ],
  );
});

/** A token file for `role` and `subject` under the test's directory. */
async function tokenFile(role: Role, subject: string): Promise<string> {
  const file = join(f.work, `${role}-${subject}.token`);
  writeFileSync(file, (await deriveToken(cluster.token, role, subject)) + '\n', { mode: 0o600 });
  return file;
}

/** Connects as `role` with `token`, then sends `m`; resolves with the error code and the close code. */
async function sendAs(token: string, role: Role, m: Message): Promise<{ code: string; close: string }> {
  const conn: Connection = await withCredential(nodePlatform, token, role).connect(cluster.address);
  const seen: Message[] = [];
  const closed = new Promise<string>((resolve) => (conn.onClose = resolve));
  conn.onMessage = (frame) => {
    for (const x of decodeAll(frame)) seen.push(x);
  };
  conn.send(encodeMessage(m));
  const close = await closed;
  return { code: errorCode(seen), close };
}

test.serial('no credential: a raw socket that speaks first is refused (WRT_UNAUTHENTICATED, 1008); the API answers 401', async () => {
  const peer = await rawPeer(cluster.address);
  peer.ws.send(encodeFrame([encodeMessage(SAMPLES.find((m) => m.type === 'SubmitJob')!)]));
  assert.equal(await peer.closed, 1008);
  assert.equal(peer.seen[0]?.type, 'AuthChallenge');
  assert.equal(errorCode(peer.seen), 'WRT_UNAUTHENTICATED');
  const res = await fetch(`${cluster.httpUrl}/api/status`);
  assert.equal(res.status, 401);
  const wrong = await fetch(`${cluster.httpUrl}/api/status`, { headers: { Authorization: `Bearer ${newClusterSecret()}` } });
  assert.equal(wrong.status, 401);
  const viewer = await fetch(`${cluster.httpUrl}/api/status`, {
    headers: { Authorization: `Bearer ${await deriveToken(cluster.token, 'viewer', 'ops')}` },
  });
  assert.equal(viewer.status, 200);
});

test.serial(
  "a wrong credential: wrt submit, wrt start and wrt status with another cluster's secret exit non-zero naming WRT_UNAUTHENTICATED",
  async () => {
    const wrong = join(f.work, 'wrong.token');
    writeFileSync(wrong, newClusterSecret() + '\n', { mode: 0o600 });
    const submit = await runWrt([
      'submit',
      join(ROOT, 'samples/wordcount/build/pipeline.wasm'),
      '--address',
      cluster.address,
      '--token-file',
      wrong,
      '--input',
      join(ROOT, 'README.md'),
      '--output',
      join(f.work, 'never'),
    ]);
    assert.equal(submit.code, 1);
    assert.match(submit.stderr, /WRT_UNAUTHENTICATED/);
    const node = await runWrt(['start', '--address', cluster.address, '--token-file', wrong, '--name', 'intruder']);
    assert.notEqual(node.code, 0);
    assert.match(node.stderr, /WRT_UNAUTHENTICATED/);
    const status = await runWrt(['status', '--address', cluster.httpUrl, '--token-file', wrong]);
    assert.equal(status.code, 1);
    assert.match(status.stderr, /WRT_UNAUTHENTICATED/);
    assert.deepEqual((await cluster.status()).nodes.map((n) => n.name).sort(), ['alpha', 'beta']);
  },
);

test.serial('a replayed proof: captured on one connection, refused on the next', async () => {
  const first = await rawPeer(cluster.address);
  const challenge = await first.next('AuthChallenge');
  assert.ok(challenge.type === 'AuthChallenge');
  const proof = await proofOf(parseCredential(cluster.token).key, 'driver', challenge.nonce);
  const frame = encodeFrame([encodeMessage({ type: 'Authenticate', role: 'driver', credential: 'admin', proof })]);
  first.ws.send(frame);
  assert.equal((await first.next('AuthOk')).type, 'AuthOk');
  const replay = await rawPeer(cluster.address);
  await replay.next('AuthChallenge');
  replay.ws.send(frame);
  assert.equal(await replay.closed, 1008);
  assert.equal(errorCode(replay.seen), 'WRT_UNAUTHENTICATED');
  first.ws.close();
});

test.serial('a forged Origin is refused with 403, from a raw socket and from a real Chromium page of another origin', async () => {
  await assert.rejects(rawPeer(cluster.address, { Origin: 'http://evil.example' }), /HTTP 403/);
  // The head's own origin passes the Origin check (and then must authenticate).
  const own = await rawPeer(cluster.address, { Origin: cluster.httpUrl });
  await own.next('AuthChallenge');
  own.ws.close();
  // A page served from another port of this machine: WebSockets ignore the same-origin policy,
  // so only the head's Origin check stands between it and a loopback head.
  const evil = createServer((_, res) => res.end('<!doctype html><title>evil</title>'));
  await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve));
  const { browser, close } = await launchChromium();
  try {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${(evil.address() as AddressInfo).port}/`);
    const outcome = await page.evaluate(
      (url) =>
        new Promise<string>((resolve) => {
          const ws = new WebSocket(url);
          ws.onopen = () => resolve('open');
          ws.onerror = () => resolve('refused');
        }),
      cluster.address,
    );
    assert.equal(outcome, 'refused');
  } finally {
    await close();
    evil.close();
  }
  assert.match(cluster.head.stdout + cluster.head.stderr, /listening/);
});

test.serial('roles: a viewer or volunteer sending driver or node messages, a driver sending node messages: WRT_FORBIDDEN', async () => {
  const viewer = await deriveToken(cluster.token, 'viewer', 'ops');
  const volunteer = await deriveToken(cluster.token, 'volunteer', 'link-1');
  const driver = await deriveToken(cluster.token, 'driver', 'alice');
  const submit = SAMPLES.find((m) => m.type === 'SubmitJob')!;
  const heartbeat = SAMPLES.find((m) => m.type === 'Heartbeat')!;
  const taskStatus = SAMPLES.find((m) => m.type === 'TaskStatus')!;
  const chunk = SAMPLES.find((m) => m.type === 'ObjectChunk')!;
  const streamData = SAMPLES.find((m) => m.type === 'StreamData')!;
  for (const [token, role, m] of [
    [viewer, 'viewer', submit],
    [viewer, 'viewer', heartbeat],
    [volunteer, 'volunteer', submit],
    // Volunteers hold no objects anyone reads, and run no stream slots.
    [volunteer, 'volunteer', chunk],
    [volunteer, 'volunteer', streamData],
    [driver, 'driver', taskStatus],
  ] as [string, Role, Message][]) {
    const r = await sendAs(token, role, m);
    assert.equal(r.code, 'WRT_FORBIDDEN', `${role} sending ${m.type}`);
    assert.match(r.close, /1008/);
  }
  // A token may not claim another role: a volunteer link cannot join as a trusted node.
  await assert.rejects(withCredential(nodePlatform, volunteer, 'node').connect(cluster.address), /WRT_FORBIDDEN|may not connect as node/);
  await assertTasksRun(cluster);
});

test.serial("another driver's job: mallory can neither cancel, stop nor savepoint alice's running job; alice can cancel it", async () => {
  const alice = await tokenFile('driver', 'alice');
  const mallory = await tokenFile('driver', 'mallory');
  const job = startWrt(nexmarkQ1(cluster, 100_000_000, join(f.work, 'alice-q1'), ['--token-file', alice]));
  const id = (await job.waitFor(/stream job (j-\d+) accepted/))[1]!;
  for (const action of ['cancel', 'stop', 'savepoint']) {
    const r = await runWrt([action, id, '--address', cluster.address, '--token-file', mallory]);
    assert.equal(r.code, 1, `${action}: ${r.stderr}`);
    assert.match(r.stderr, /WRT_FORBIDDEN.*belongs to another driver/, action);
  }
  assert.equal((await cluster.status()).jobs.find((j) => j.id === id)?.state, 'Running');
  const cancel = await runWrt(['cancel', id, '--address', cluster.address, '--token-file', alice]);
  assert.equal(cancel.code, 0, cancel.stderr);
  assert.notEqual(await job.exited, 0);
});

test.serial(
  '2,000 connections that never authenticate: the oldest are dropped past the limit, the rest closed at the deadline, and tasks run meanwhile',
  async (t) => {
    t.timeout(120_000);
    const peers = await Promise.all(Array.from({ length: 2000 }, () => rawPeer(cluster.address).catch((err: Error) => err)));
    const open = peers.filter((p) => !(p instanceof Error));
    assert.ok(open.length > 0);
    await assertTasksRun(cluster);
    const codes = await Promise.all(open.map((p) => (p as Awaited<ReturnType<typeof rawPeer>>).closed));
    const busy = codes.filter((c) => c === 1013).length;
    const timedOut = codes.filter((c) => c === 1008).length;
    t.log(`${peers.length - open.length} upgrades failed, ${busy} dropped (1013), ${timedOut} closed at the deadline (1008)`);
    assert.equal(busy + timedOut + (peers.length - open.length), 2000);
    assert.ok(busy > 1000, `most of the flood is dropped before its deadline (${busy})`);
    await assertTasksRun(cluster);
  },
);

test.serial('10,000 fuzzed frames from authenticated drivers: each bad one ends only its connection', async (t) => {
  t.timeout(170_000);
  const driverTypes = ALLOWED.driver;
  const seeds = SAMPLES.filter((m) => driverTypes.has(m.type)).map(encodeMessage);
  let rng = 12345;
  const rand = (n: number): number => {
    rng = (rng * 1103515245 + 12345) >>> 0;
    return rng % n;
  };
  const platform = withCredential(nodePlatform, await deriveToken(cluster.token, 'driver', 'fuzzer'), 'driver');
  let conn: Connection | null = null;
  let closed = 0;
  let answered = 0;
  let sent = 0;
  while (sent < 10_000) {
    if (!conn) {
      const c = await platform.connect(cluster.address);
      c.onClose = () => {
        closed++;
        if (conn === c) conn = null;
      };
      c.onMessage = () => answered++;
      conn = c;
    }
    const base = seeds[rand(seeds.length)]!.slice();
    for (let k = 0, flips = 1 + rand(4); k < flips; k++) {
      const at = rand(base.length);
      base[at] = base[at]! ^ (1 << rand(8));
    }
    conn.send(base);
    sent++;
    // Let the head answer now and then, so a closed connection is noticed and replaced.
    if (sent % 20 === 0) await new Promise((r) => setTimeout(r, 2));
  }
  conn?.close();
  t.log(`10,000 frames: ${closed} connections closed by the head, ${answered} frames of answers`);
  await assertTasksRun(cluster);
  assert.deepEqual((await cluster.status()).nodes.map((n) => n.name).sort(), ['alpha', 'beta']);
});

test.serial(
  'a volunteer tab joins through the volunteer link and gets no work of jobs that do not allow volunteers; once the link is revoked no new tab gets in',
  async () => {
    const link = /volunteer link .*?: (http\S+)/.exec(cluster.head.stdout)?.[1];
    assert.ok(link, cluster.head.stdout);
    const { browser, close } = await launchChromium();
    try {
      const tab = await browser.newPage();
      await tab.goto(link.replace('/#', '/?name=vol-tab&cpus=1#'));
      const s = await cluster.statusWhen((x) => x.nodes.some((n) => n.name === 'vol-tab'), 'the volunteer tab joined');
      assert.equal(s.nodes.find((n) => n.name === 'vol-tab')?.role, 'volunteer');
      await assertTasksRun(cluster);
      assert.equal((await cluster.status()).nodes.find((n) => n.name === 'vol-tab')?.tasksFinished, 0);
      // From the tab's side: not one deployment reached it.
      assert.equal(await tab.evaluate(() => (globalThis as { wrtNode?: { deploymentCount: number } }).wrtNode?.deploymentCount), 0);
      const revoke = await runWrt(['token', '--revoke', 'link-1', '--state-dir', join(f.work, 'state')]);
      assert.equal(revoke.code, 0, revoke.stderr);
      const late = await browser.newPage();
      await late.goto(link.replace('/#', '/?name=late-tab&cpus=1#'));
      await late.waitForFunction(() => (globalThis as { wrtNode?: { state: string } }).wrtNode?.state === 'error');
      const error = await late.evaluate(() => (globalThis as { wrtNode?: { error: string } }).wrtNode?.error ?? '');
      assert.match(error, /revoked/);
      assert.ok(!(await cluster.status()).nodes.some((n) => n.name === 'late-tab'));
    } finally {
      await close();
    }
  },
);

test.serial(
  "a driver's task flood stops at its limit (WRT_OVER_LIMIT) while another driver's tasks run; another driver's object id cannot be taken over",
  async () => {
    const flooder = await init({ address: cluster.address, token: await deriveToken(cluster.token, 'driver', 'flooder') });
    const victim = await init({ address: cluster.address, token: await deriveToken(cluster.token, 'driver', 'victim') });
    try {
      // Spinning tasks (each stopped at a 300 ms deadline), all sent in one turn: the head takes the
      // first 6 and refuses the rest before any ends.
      const spin = (await flooder.load(`${FIXTURES}tasks.wasm`)).remote('spin', { maxRetries: 0, deadlineMs: 300 });
      const refs = Array.from({ length: 20 }, () => spin.call());
      const over = await Promise.all(
        refs.slice(6).map((r) =>
          flooder.get(r).then(
            () => 'ok',
            (e: { code?: string }) => e.code ?? 'error',
          ),
        ),
      );
      assert.deepEqual(new Set(over), new Set(['WRT_OVER_LIMIT']), 'every task past the limit of 6');
      const mod = await victim.load(`${FIXTURES}tasks.wasm`);
      const mine = victim.put(new Uint8Array([1, 2, 3]));
      await victim.get(mine);
      const sum = mod.remote('add').call(40, 2);
      assert.equal(asNumber(await victim.get(sum)), 42, "the other driver's tasks run");
      // The flooder's raw connection tries to take over the victim's object id.
      const raw = await withCredential(nodePlatform, await deriveToken(cluster.token, 'driver', 'flooder'), 'driver').connect(
        cluster.address,
      );
      const seen: Message[] = [];
      raw.onMessage = (frame) => seen.push(...decodeAll(frame));
      raw.send(encodeMessage({ type: 'PutObject', objectId: mine.id, data: new Uint8Array([6, 6, 6]), totalBytes: 3, source: '' }));
      await until(() => seen.find((m) => m.type === 'ObjectReady'), 'the refusal');
      const refusal = seen.find((m) => m.type === 'ObjectReady');
      assert.ok(refusal?.type === 'ObjectReady' && refusal.failure?.code === 'WRT_INVALID_ARGUMENT', JSON.stringify(refusal));
      raw.send(encodeMessage({ type: 'ObjectPull', requestId: 9, objectId: mine.id, nodeId: '', requester: '', offset: 0, length: 0 }));
      await until(() => seen.find((m) => m.type === 'ErrorMessage'), "the refused pull of another driver's object");
      assert.equal(errorCode(seen), 'WRT_FORBIDDEN');
      raw.close();
      assert.deepEqual([...(await victim.get(mine))], [1, 2, 3], "the victim's object is untouched");
    } finally {
      await flooder.shutdown();
      await victim.shutdown();
    }
  },
);

test.serial('after every attack the cluster runs a word count exactly', async () => {
  await assertJobRuns(cluster, f.work, 'after-attacks');
});
