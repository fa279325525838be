/** Splits the batches of one output edge among the receiving vertex's subtasks: Forward, Global, Rebalance (round robin) or Hash (by key group, key-groups.ts). */
import type { JobGraphEdge } from '../protocol/messages.js';
import { RowBatch } from './row-batch.js';
import { selectRows } from './row-gather.js';
import { subtaskOfKey } from './key-groups.js';
import { keyOfRow } from './operators.js';
import type { StreamElement, SubtaskHost } from './stream-element.js';

/** Splits batches of one output edge among the receiver's subtasks. */
export class Partitioner {
  private next: number;

  constructor(
    readonly edge: JobGraphEdge,
    private readonly from: number,
    private readonly targets: number,
    private readonly maxParallelism: number,
    private readonly host: SubtaskHost,
  ) {
    this.next = from % targets;
  }

  batch(bytes: Uint8Array): void {
    const p = this.edge.partitioning;
    if (p === 'Forward') return this.host.send(this.edge, this.from, this.from, { type: 'batch', bytes });
    if (p === 'Global') return this.host.send(this.edge, this.from, 0, { type: 'batch', bytes });
    if (p === 'Rebalance') {
      this.host.send(this.edge, this.from, this.next, { type: 'batch', bytes });
      this.next = (this.next + 1) % this.targets;
      return;
    }
    const batch = new RowBatch(bytes);
    const rows: number[][] = Array.from({ length: this.targets }, () => []);
    const key = this.edge.key ?? [];
    for (let r = 0; r < batch.rows; r++) rows[subtaskOfKey(keyOfRow(batch, key, r), this.maxParallelism, this.targets)]!.push(r);
    rows.forEach((rs, t) => {
      if (rs.length === 0) return;
      this.host.send(this.edge, this.from, t, { type: 'batch', bytes: rs.length === batch.rows ? bytes : selectRows(batch, rs) });
    });
  }

  broadcast(element: StreamElement): void {
    const p = this.edge.partitioning;
    if (p === 'Forward') this.host.send(this.edge, this.from, this.from, element);
    else if (p === 'Global') this.host.send(this.edge, this.from, 0, element);
    else for (let t = 0; t < this.targets; t++) this.host.send(this.edge, this.from, t, element);
  }
}
