/**
 * Watermark alignment, the head's side (Flink's FLIP-182 source coordinator): collects the
 * watermarks the slots report for their aligned source subtasks (ReportWatermarks) and announces
 * the slowest watermark of each alignment group to the job's nodes (AlignWatermarks) whenever it
 * changes; the slots pause the subtasks that are too far ahead (runtime/stream/watermark-alignment.ts).
 *
 * The minimum of a group is over its subtasks' finite watermarks: one that has ended or is idle
 * (+Infinity) holds no one back, nor does one that has not reported a watermark yet (a subtask
 * that is still starting would otherwise stop all others); with none, the minimum is +Infinity.
 * A report counts only from the node that runs the subtask's slot, for a source subtask of an
 * alignment group of the plan; anything else is refused (and logged).
 */
import type { SourceWatermark } from '../protocol/messages.js';
import type { StreamPlan } from '../stream/execution-graph.js';

export class WatermarkAligner {
  /** Group of each aligned source vertex, and its parallelism. */
  private readonly sources = new Map<string, { group: string; parallelism: number }>();
  /** Latest watermark of each aligned subtask ("VERTEX#INDEX"), by group. */
  private readonly watermarks = new Map<string, Map<string, number>>();
  /** The minimum last announced for each group. */
  private readonly announced = new Map<string, number>();

  /**
   * @param slotNode the node running slot `index` of the current attempt (subtask i runs in slot i).
   * @param announce sends the new minimum of `group` to the job's nodes.
   * @param refuse logs a report that was not taken, and why.
   */
  constructor(
    plan: StreamPlan,
    private readonly slotNode: (index: number) => string | undefined,
    private readonly announce: (group: string, min: number) => void,
    private readonly refuse: (why: string) => void,
  ) {
    for (const pv of plan.vertices) {
      const a = pv.vertex.kind === 'Source' ? pv.vertex.watermarkAlignment : undefined;
      if (a) this.sources.set(pv.vertex.id, { group: a.group, parallelism: pv.parallelism });
    }
  }

  /** Whether the job has any aligned source. */
  get active(): boolean {
    return this.sources.size > 0;
  }

  /** The minimum last announced for each group (+Infinity: nothing holds it back). */
  get minima(): ReadonlyMap<string, number> {
    return this.announced;
  }

  /** Node `nodeId` reported `reports` for the current attempt; announces each group whose minimum moved. */
  report(nodeId: string, reports: readonly SourceWatermark[]): void {
    const touched = new Set<string>();
    for (const r of reports) {
      const source = this.sources.get(r.vertex);
      if (!source || !Number.isInteger(r.index) || r.index < 0 || r.index >= source.parallelism) {
        this.refuse(`node ${nodeId} reported a watermark for ${r.vertex}#${r.index}, which is no aligned source subtask of the job`);
        continue;
      }
      if (this.slotNode(r.index) !== nodeId) {
        this.refuse(`node ${nodeId} reported a watermark for ${r.vertex}#${r.index}, which runs on another node`);
        continue;
      }
      if (typeof r.watermark !== 'number' || Number.isNaN(r.watermark)) {
        this.refuse(`node ${nodeId} reported watermark ${r.watermark} for ${r.vertex}#${r.index}, which is not a time`);
        continue;
      }
      let group = this.watermarks.get(source.group);
      if (!group) this.watermarks.set(source.group, (group = new Map()));
      group.set(`${r.vertex}#${r.index}`, r.watermark);
      touched.add(source.group);
    }
    for (const g of touched) {
      let min = Infinity;
      for (const w of this.watermarks.get(g)!.values()) if (Number.isFinite(w) && w < min) min = w;
      if (this.announced.get(g) === min) continue;
      this.announced.set(g, min);
      this.announce(g, min);
    }
  }

  /** Forgets every report (a new attempt starts; its slots report again). */
  reset(): void {
    this.watermarks.clear();
    this.announced.clear();
  }
}
