/**
 * Errors of tasks and actor calls as the driver sees them (`rt.get` throws them).
 */
import { WrtError, type FailureRecord } from '../runtime/errors.js';

/** A task or actor call failed: `code` says how (docs/errors.md), `cause` what user code said. */
export class TaskError extends WrtError {
  constructor(
    failure: FailureRecord,
    /** The task's id (or `actor/call` for actor calls). */
    readonly taskId: string,
    /** The exported function (or actor method) that was called. */
    readonly functionName: string,
  ) {
    super(failure.code, failure.message, { retryable: failure.retryable, cause: failure.message });
    this.name = 'TaskError';
  }
}
