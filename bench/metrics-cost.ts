/**
 * What metrics cost the head, for bench:api, measured two ways in one run:
 *
 * - **Throughput.** Rounds of a workload (tasks-async) without a scraper and with one reading
 *   `/metrics` every second, in pairs of adjacent rounds, each side first in turn (ABBA), so a
 *   drift of the machine's speed does not favour one side; the ratio is the median of the pairs'
 *   ratios. On a shared 2-core machine one pair's ratio scatters by ±10 %, so this figure is
 *   noisy by nature; the accounting below is not.
 * - **CPU accounting.** The head's CPU time, read from `/proc/PID/stat` (utime + stime, in clock
 *   ticks of `getconf CLK_TCK`; Linux only), per scrape (back-to-back scrapes) and per second of the
 *   workload without a scraper: a scraper at 1 s costs `scrape CPU / head CPU per second` of the
 *   head. Between scrapes the head pays for nodes' figures arriving with heartbeats (once a second
 *   each), prom-client's event-loop-delay and GC observers, and one cost per task: its task record
 *   (task-events.ts, kept for the REST API as well), timed alone here and given as a share of the
 *   head's CPU per task.
 */
import { TaskEventLog } from '../runtime/scheduler/task-events.js';
import { processCpuSeconds } from './process-cpu.js';

export interface MetricsCost {
  /** Workload rate (per second), median of the rounds without and with a scraper. */
  withoutScraper: number;
  withScraper: number;
  pairs: number;
  /** Median of the pairs' with/without ratios. */
  scraperRatio: number;
  /** Head CPU ms per `/metrics` scrape, and head CPU seconds per second of the workload. */
  scrapeCpuMs: number;
  headCpuPerSecond: number;
  /** A scraper at 1 s as a share of the head's CPU under the workload (0..1). */
  scraperShareOfHead: number;
  /** CPU µs per task of the head's task record, and the head's CPU µs per task under the workload. */
  taskRecordMicros: number;
  headMicrosPerTask: number;
  taskRecordShareOfHead: number;
}

/** The median (the mean of the middle two of an even count). */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * Measures the cost of metrics on the head at `base` (its HTTP address; `token` reads `/metrics`),
 * process `headPid`: `run(seconds)` runs the workload for about `seconds` and returns its rate per
 * second (tasks per second for per-task figures).
 */
export async function measureMetricsCost(o: {
  base: string;
  token: string;
  headPid: number;
  run: (seconds: number) => Promise<number>;
  pairs: number;
  seconds: number;
  log: (line: string) => void;
}): Promise<MetricsCost> {
  const headCpu = (): number => processCpuSeconds(o.headPid);
  const scrape = async (): Promise<void> => {
    await (await fetch(`${o.base}/metrics`, { headers: { Authorization: `Bearer ${o.token}` } })).arrayBuffer();
  };

  // Head CPU per scrape: enough back-to-back scrapes to span many clock ticks.
  const SCRAPES = 300;
  await scrape();
  const c0 = headCpu();
  for (let i = 0; i < SCRAPES; i++) await scrape();
  const scrapeCpuMs = ((headCpu() - c0) * 1000) / SCRAPES;

  const without: number[] = [];
  const withScraper: number[] = [];
  const ratios: number[] = [];
  let cpuWithout = 0;
  let secondsWithout = 0;
  let tasksWithout = 0;
  await o.run(1); // warm-up
  const plain = async (): Promise<number> => {
    const cpu0 = headCpu();
    const t0 = performance.now();
    const rate = await o.run(o.seconds);
    const s = (performance.now() - t0) / 1000;
    cpuWithout += headCpu() - cpu0;
    secondsWithout += s;
    tasksWithout += rate * s;
    return rate;
  };
  const scraped = async (): Promise<number> => {
    const scraper = setInterval(() => void scrape(), 1000);
    try {
      return await o.run(o.seconds);
    } finally {
      clearInterval(scraper);
    }
  };
  for (let pair = 0; pair < o.pairs; pair++) {
    if (pair % 2 === 0) {
      without.push(await plain());
      withScraper.push(await scraped());
    } else {
      withScraper.push(await scraped());
      without.push(await plain());
    }
    ratios.push(withScraper.at(-1)! / without.at(-1)!);
    o.log(`pair ${pair + 1}: ${Math.round(without.at(-1)!)}/s without, ${Math.round(withScraper.at(-1)!)}/s with a scraper`);
  }

  // The task record alone: 400 000 tasks through a fresh history (of 100 000), warmed first as the head's is.
  const ids = Array.from({ length: 400_000 }, (_, i) => i.toString(16).padStart(32, '0'));
  const recordPass = (): number => {
    const records = new TaskEventLog();
    const t0 = process.cpuUsage();
    for (const id of ids) {
      const e = records.submitted(id, 'noop');
      records.running(e, 'node');
      records.ended(e, null);
    }
    const used = process.cpuUsage(t0);
    return (used.user + used.system) / ids.length;
  };
  recordPass();
  const taskRecordMicros = recordPass();

  const round = (x: number, digits = 2): number => Math.round(x * 10 ** digits) / 10 ** digits;
  const headCpuPerSecond = cpuWithout / secondsWithout;
  const headMicrosPerTask = (cpuWithout * 1e6) / tasksWithout;
  return {
    withoutScraper: Math.round(median(without)),
    withScraper: Math.round(median(withScraper)),
    pairs: o.pairs,
    scraperRatio: round(median(ratios), 3),
    scrapeCpuMs: round(scrapeCpuMs),
    headCpuPerSecond: round(headCpuPerSecond),
    scraperShareOfHead: round(scrapeCpuMs / 1000 / headCpuPerSecond, 4),
    taskRecordMicros: round(taskRecordMicros),
    headMicrosPerTask: round(headMicrosPerTask),
    taskRecordShareOfHead: round(taskRecordMicros / headMicrosPerTask, 4),
  };
}
