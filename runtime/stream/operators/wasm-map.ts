/** The wasm Map operator: one export call per batch, its output batch checked against the vertex's columns. */
import type { JobGraphVertex } from '../../protocol/messages.js';
import type { RowBatch } from '../row-batch.js';
import { callOperator } from '../../sandbox/operator-call.js';
import { type Output, type StreamOperator, checkOutput } from './operator.js';

/** Stateless wasm operator: one call per batch. */
export class WasmMapOperator implements StreamOperator {
  constructor(
    private readonly v: JobGraphVertex,
    private readonly instance: WebAssembly.Instance,
    private readonly out: Output,
    private readonly outputCapBytes: number,
  ) {}

  processBatch(port: number, batch: RowBatch): void {
    const result = callOperator(this.instance, this.v.operator, 0, [batch.bytes], this.outputCapBytes, port);
    if (checkOutput(this.v, result).rows > 0) this.out.emit(result);
  }
  advanceWatermark(): void {}
  endInput(): void {}
  /** Stateless: a Map operator's wasm memory is not part of checkpoints. */
  snapshot(): null {
    return null;
  }
  restore(): void {}
}
