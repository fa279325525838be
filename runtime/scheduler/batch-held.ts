/**
 * What a batch job that allows volunteers keeps on the head (batch-job.ts): the input chunks of
 * maps whose units are still unsettled (their replicas need them), the accepted map outputs — the
 * head serves them to the reduces, as objects `MAP_ID/pN` that pulls naming no node reach — and the
 * reduce outputs, which reach the client only when the job finishes, since an accepted map output
 * may still be rescinded until then.
 */
import type { ObjectLocation } from '../protocol/messages.js';
import { splitPartitioned } from '../protocol/partitioned-batch.js';

/** Where held objects live: the head's object relay. */
export interface HeldObjectStore {
  holdObject?(objectId: string, bytes: Uint8Array): void;
  dropObject?(objectId: string): void;
}

export class HeldOutputs {
  private readonly inputs = new Map<number, Uint8Array>();
  private readonly held = new Map<number, string[]>();
  private readonly reduceOutputs = new Map<number, Uint8Array>();

  constructor(private readonly store: HeldObjectStore) {}

  /** Keeps a copy of map `index`'s input chunk (`data` may be a view of the frame it came in). */
  keepInput(index: number, data: Uint8Array): void {
    this.inputs.set(index, data.slice());
  }

  input(index: number): Uint8Array | undefined {
    return this.inputs.get(index);
  }

  /**
   * Holds map `id`'s accepted output `bytes` (a partitioned batch of `partitions` parts, from
   * `operator`) and drops its input chunk. Returns the held parts' locations (node id '': the head)
   * and the size of the input chunk in bytes.
   * @throws WrtError `WRT_OPERATOR_ERROR` when `bytes` is no partitioned batch of that many parts
   */
  holdMapOutput(
    index: number,
    id: string,
    bytes: Uint8Array,
    partitions: number,
    operator: string,
  ): { outputs: ObjectLocation[]; inputBytes: number } {
    const parts = splitPartitioned(bytes, partitions, operator);
    const outputs = parts.map((part, p) => {
      const objectId = `${id}/p${p}`;
      this.store.holdObject?.(objectId, part);
      return { objectId, nodeId: '', sizeBytes: part.byteLength };
    });
    this.held.set(
      index,
      outputs.map((o) => o.objectId),
    );
    const inputBytes = this.inputs.get(index)?.byteLength ?? 0;
    this.inputs.delete(index);
    return { outputs, inputBytes };
  }

  /** Drops map `index`'s held output (it was rescinded) and every reduce output kept so far. */
  rescind(index: number): void {
    for (const id of this.held.get(index) ?? []) this.store.dropObject?.(id);
    this.held.delete(index);
    this.reduceOutputs.clear();
  }

  /** Keeps a copy of reduce `partition`'s output until {@link takeReduceOutputs}. */
  keepReduceOutput(partition: number, data: Uint8Array): void {
    this.reduceOutputs.set(partition, data.slice());
  }

  /** The kept reduce outputs, by partition in order (they are forgotten here). */
  takeReduceOutputs(): [number, Uint8Array][] {
    const out = [...this.reduceOutputs].sort((x, y) => x[0] - y[0]);
    this.reduceOutputs.clear();
    return out;
  }

  /** Drops everything (the job ended). */
  clear(): void {
    for (const ids of this.held.values()) for (const id of ids) this.store.dropObject?.(id);
    this.held.clear();
    this.inputs.clear();
    this.reduceOutputs.clear();
  }
}

/** Why `bytes` is no partitioned batch of `partitions` parts (from `operator`), or null. */
export function malformedBatch(bytes: Uint8Array, partitions: number, operator: string): string | null {
  try {
    splitPartitioned(bytes, partitions, operator);
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}
