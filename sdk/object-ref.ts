import type { FailureRecord } from '../runtime/errors.js';

/**
 * A handle on an object in the cluster (Ray's ObjectRef): the future result of a task or actor
 * call, or bytes stored with `rt.put`. Passing a ref as an argument hands the object to the task
 * where it runs, without a trip through the driver. The object is released when the ref is
 * released explicitly or garbage-collected (FinalizationRegistry).
 */
export class ObjectRef {
  /** @internal */
  constructor(
    readonly id: string,
    /** @internal */ readonly owner: { release(ref: ObjectRef): void },
    /** The task that produces it ('' for put objects). */
    readonly taskId = '',
    /** The function or method that produces it ('' for put objects). */
    readonly functionName = '',
  ) {}

  /** Releases this ref now; using it afterwards throws `WRT_OBJECT_LOST`. */
  release(): void {
    this.owner.release(this);
  }

  /** `ObjectRef(ID)`, for logs. */
  toString(): string {
    return `ObjectRef(${this.id})`;
  }
}

/** What a driver knows of one object it owns (sdk/runtime.ts). @internal */
export interface ObjectState {
  ready: boolean;
  failure: FailureRecord | null;
  /** The bytes, when they travelled in the ObjectReady message. */
  inline: Uint8Array | null;
  sizeBytes: number;
  waiters: (() => void)[];
  released: boolean;
  /**
   * The head does not know this object: a direct actor call's result (ADR 0009), held here only,
   * until it is passed to a task or call (then it is put, as `rt.put` would).
   */
  local: boolean;
}
