/**
 * A real Prometheus server on loopback for the metrics test (Debian's `prometheus`, which
 * `.ci/run` installs): scrapes one target every second with a bearer credential, its storage in a
 * temporary directory, killed and removed by {@link PrometheusServer.stop}. `WRT_PROMETHEUS` may
 * name the binary.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { stopSystemBinary, systemBinary } from './system-binary.js';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The prometheus binary: $WRT_PROMETHEUS, else the first on PATH, or /usr/bin. */
export function prometheusBinary(): string {
  return systemBinary('prometheus', 'WRT_PROMETHEUS', ['/usr/bin/prometheus'], 'prometheus');
}

/** A port free now on 127.0.0.1 (Prometheus cannot listen on port 0 and say which it got). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** One sample of an instant query: its labels and value. */
export interface PromSample {
  metric: Record<string, string>;
  value: number;
}

export class PrometheusServer {
  private constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
    /** `http://127.0.0.1:PORT` */
    readonly url: string,
    private readonly log: () => string,
  ) {}

  /** Starts Prometheus scraping `target` (`HOST:PORT`, path /metrics) every second with `token` as the bearer, and waits until it is ready. */
  static async start(target: string, token: string): Promise<PrometheusServer> {
    const dir = mkdtempSync(join(tmpdir(), 'wrt-prometheus-'));
    writeFileSync(join(dir, 'token'), token, { mode: 0o600 });
    writeFileSync(
      join(dir, 'prometheus.yml'),
      [
        'global: { scrape_interval: 1s, evaluation_interval: 1s }',
        'scrape_configs:',
        '  - job_name: wrt',
        '    scrape_interval: 1s',
        '    authorization:',
        `      credentials_file: ${join(dir, 'token')}`,
        `    static_configs: [{ targets: ['${target}'] }]`,
        '',
      ].join('\n'),
    );
    const port = await freePort();
    const child = spawn(
      prometheusBinary(),
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let log = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => (log += chunk));
    const server = new PrometheusServer(child, dir, `http://127.0.0.1:${port}`, () => log);
    try {
      await new Promise<void>((resolve, reject) => {
        const check = (): void => {
          if (/Server is ready to receive web requests/.test(log)) resolve();
        };
        child.stderr.on('data', check);
        child.once('exit', (code) => reject(new Error(`prometheus exited (${code}) before it was ready:\n${log}`)));
        child.once('error', reject);
      });
      return server;
    } catch (err) {
      await server.stop();
      throw err;
    }
  }

  /** The samples of instant query `promql` now (Prometheus' `/api/v1/query`). */
  async query(promql: string): Promise<PromSample[]> {
    const res = await fetch(`${this.url}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const body = (await res.json()) as {
      status: string;
      error?: string;
      data: { result: { metric: Record<string, string>; value: [number, string] }[] };
    };
    if (body.status !== 'success') throw new Error(`query ${promql}: ${body.error}`);
    return body.data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
  }

  /** The health of the scrape target as Prometheus sees it (`up`, last error). */
  async target(): Promise<{ health: string; lastError: string }> {
    const res = await fetch(`${this.url}/api/v1/targets`);
    const body = (await res.json()) as { data: { activeTargets: { health: string; lastError: string }[] } };
    return body.data.activeTargets[0] ?? { health: 'none', lastError: this.log().slice(-500) };
  }

  async stop(): Promise<void> {
    await stopSystemBinary(this.child, this.dir);
  }
}
