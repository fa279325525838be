// TLS: a head serving https and wss with a self-signed certificate (made here with openssl); a node
// that trusts it (--ca-file) joins, one that does not is refused by TLS itself; `wrt status` and a
// job go over https/wss; plain ws:// to a TLS port gets nowhere.
import test from 'ava';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT, TestCluster, WORDCOUNT, clusterFixture, runWrt } from '../helpers/wrt-process.js';
import { readParts } from '../helpers/wordcount-output.js';

const f = clusterFixture('wrt-sec-tls-');

test.serial('a TLS head: a node with --ca-file joins over wss, one without is refused; status and a job work over https/wss', async () => {
  const cert = join(f.work, 'cert.pem');
  const key = join(f.work, 'key.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { stdio: 'ignore' },
  );
  const cluster = (f.cluster = await TestCluster.start([], ['--tls-cert', cert, '--tls-key', key]));
  assert.match(cluster.address, /^wss:\/\/127\.0\.0\.1:\d+\/ws$/);
  const untrusting = await runWrt(['start', '--address', cluster.address, '--name', 'untrusting', '--cpus', '1']);
  assert.notEqual(untrusting.code, 0);
  assert.match(untrusting.stderr, /WRT_CONNECTION/);
  await cluster.addNode('trusting', 1, undefined, ['--ca-file', cert, '--no-gpu']);
  const status = await runWrt(['status', '--json', '--address', cluster.httpUrl, '--ca-file', cert]);
  assert.equal(status.code, 0, status.stderr);
  assert.deepEqual(
    (JSON.parse(status.stdout) as { nodes: { name: string }[] }).nodes.map((n) => n.name),
    ['trusting'],
  );
  const out = join(f.work, 'out');
  const job = await runWrt([
    'submit',
    WORDCOUNT,
    '--address',
    cluster.address,
    '--ca-file',
    cert,
    '--input',
    join(ROOT, 'README.md'),
    '--output',
    out,
  ]);
  assert.equal(job.code, 0, job.stderr);
  assert.ok(readParts(out).bytes.length > 0);
  const plain = await runWrt(['status', '--address', cluster.httpUrl.replace(/^https/, 'http'), '--ca-file', cert]);
  assert.notEqual(plain.code, 0, 'plain http to the TLS port');
});
