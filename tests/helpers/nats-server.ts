/**
 * A real nats-server with JetStream on loopback for connector tests (Debian's `nats-server`, which
 * `.ci/run` installs): a random port, its store in a temporary directory, killed and removed by
 * {@link NatsServer.stop}. `WRT_NATS_SERVER` may name the binary.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { stopSystemBinary, systemBinary } from './system-binary.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';

/** The nats-server binary: $WRT_NATS_SERVER, else the first on PATH, /usr/sbin or /usr/bin. */
export function natsServerBinary(): string {
  return systemBinary('nats-server', 'WRT_NATS_SERVER', ['/usr/sbin/nats-server', '/usr/bin/nats-server'], 'nats-server');
}

export class NatsServer {
  private constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
    /** `nats://127.0.0.1:PORT` */
    readonly url: string,
  ) {}

  /** Starts nats-server -js and waits until it listens. */
  static async start(): Promise<NatsServer> {
    const dir = mkdtempSync(join(tmpdir(), 'wrt-nats-'));
    const child = spawn(natsServerBinary(), ['-a', '127.0.0.1', '-p', '-1', '-js', '-sd', dir], { stdio: ['ignore', 'ignore', 'pipe'] });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let log = '';
        child.stderr.setEncoding('utf8');
        child.stderr.on('data', (chunk: string) => {
          log += chunk;
          const m = /Listening for client connections on ([\d.]+):(\d+)/.exec(log);
          if (m) resolve(`nats://${m[1]}:${m[2]}`);
        });
        child.once('exit', (code) => reject(new Error(`nats-server exited (${code}) before listening:\n${log}`)));
        child.once('error', reject);
      });
      child.stderr.resume();
      return new NatsServer(child, dir, url);
    } catch (err) {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }

  /** A client connection (close it). */
  async client(): Promise<{ nc: NatsConnection; js: JetStreamClient; jsm: JetStreamManager }> {
    const nc = await connect({ servers: this.url });
    return { nc, js: jetstream(nc), jsm: await jetstreamManager(nc) };
  }

  async stop(): Promise<void> {
    await stopSystemBinary(this.child, this.dir);
  }
}
