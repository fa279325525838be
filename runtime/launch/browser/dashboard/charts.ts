/**
 * The dashboard's live plots, drawn by `uPlot`: a job's throughput (records per second each source
 * reads and each sink takes in, sampled at every refresh and kept for the last
 * {@link THROUGHPUT_POINTS} samples) and its checkpoint timeline (each checkpoint's duration and
 * size at the time it was triggered).
 */
import uPlot from 'uplot';
import type { JobDetail, CheckpointsView } from '../../../head/job-views.js';

/** Samples a throughput plot keeps (at a 1 s refresh, two minutes). */
export const THROUGHPUT_POINTS = 120;

const COLOURS = ['#3b6fd4', '#c8372d', '#4c9a45', '#c78d00', '#7c4dbd', '#1b9aaa'];

/** A uPlot in `host`: drawn anew when its series change (`options` then differ), else given new data. */
class Plot {
  private plot: uPlot | null = null;

  constructor(protected readonly host: HTMLElement) {}

  /** Draws `data`; `options(width)` is asked for only when the plot is (re)created. */
  protected draw(data: uPlot.AlignedData, options: (width: number) => uPlot.Options): void {
    if (!this.plot || this.plot.series.length !== data.length) {
      this.plot?.destroy();
      this.plot = new uPlot(options(Math.max(320, this.host.clientWidth || 720)), data, this.host);
    } else this.plot.setData(data);
  }

  destroy(): void {
    this.plot?.destroy();
    this.plot = null;
  }
}

/** A throughput plot for one job: call {@link add} with every fresh job view. */
export class ThroughputPlot extends Plot {
  private readonly times: number[] = [];
  private readonly series = new Map<string, number[]>();

  /** Appends the job's current rates (sources: records out per second; sinks: records in). */
  add(job: JobDetail, now = Date.now() / 1000): void {
    const rates = new Map<string, number>();
    for (const v of job.vertices) {
      if (v.kind === 'Source') rates.set(`${v.id} out/s`, v.recordsOutPerSecond);
      else if (v.kind === 'Sink') rates.set(`${v.id} in/s`, v.recordsInPerSecond);
    }
    this.times.push(now);
    for (const [name, rate] of rates) {
      if (!this.series.has(name)) this.series.set(name, new Array<number>(this.times.length - 1).fill(0));
      this.series.get(name)!.push(rate);
    }
    if (this.times.length > THROUGHPUT_POINTS) {
      this.times.shift();
      for (const s of this.series.values()) s.shift();
    }
    const data: uPlot.AlignedData = [this.times, ...this.series.values()];
    this.draw(data, (width) => ({
      width,
      height: 200,
      scales: { x: { time: true } },
      axes: [{}, { label: 'records/s', size: 70 }],
      series: [{}, ...[...this.series.keys()].map((label, i) => ({ label, stroke: COLOURS[i % COLOURS.length], width: 1.5 }))],
    }));
  }
}

/** The checkpoint timeline: duration (ms) and size (KiB) of each completed checkpoint, at its trigger time. */
export class CheckpointTimeline extends Plot {
  update(c: CheckpointsView): void {
    const done = c.history.filter((x) => x.status === 'completed').reverse();
    const data: uPlot.AlignedData = [
      done.map((x) => x.triggeredAt / 1000),
      done.map((x) => x.durationMs ?? 0),
      done.map((x) => x.sizeBytes / 1024),
    ];
    this.draw(data, (width) => ({
      width,
      height: 160,
      scales: { x: { time: true }, ms: {}, kib: {} },
      axes: [
        {},
        { scale: 'ms', label: 'duration ms', size: 60 },
        { scale: 'kib', label: 'size KiB', side: 1, size: 70, grid: { show: false } },
      ],
      series: [
        {},
        { label: 'duration ms', scale: 'ms', stroke: '#3b6fd4', width: 1.5, points: { show: true, size: 6 } },
        { label: 'size KiB', scale: 'kib', stroke: '#c78d00', width: 1.5, points: { show: true, size: 6 } },
      ],
    }));
  }
}
