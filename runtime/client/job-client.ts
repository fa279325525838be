/**
 * The client side of a batch job (what `wrt submit` and drivers use): submits a job to the head,
 * serves the input chunks the head asks for, receives output partitions and progress, and
 * resolves with the final status. Platform-neutral.
 */
import type { Platform } from '../platform/platform.js';
import type { JobAction, Message, MessageOf } from '../protocol/messages.js';
import { encodeMessage, onFrames } from '../protocol/codec.js';
import { WrtError, fromFailure, isErrorCode } from '../errors.js';

export type JobSubmission = Omit<MessageOf<'SubmitJob'>, 'type' | 'requestId'>;
export type JobStatusUpdate = MessageOf<'JobStatus'>;

export interface JobCallbacks {
  /** Returns the bytes of input chunk `index` (may be asked again after a node failure). */
  readChunk(index: number): Promise<Uint8Array>;
  /** Receives output partition `partition`; calls are serialised. */
  onOutput(partition: number, data: Uint8Array): Promise<void> | void;
  onStatus?(status: JobStatusUpdate): void;
  /** The head accepted the job; `partitions`: the output partitions it writes, as the head planned them. */
  onAccepted?(jobId: string, partitions: number): void;
}

/** Normalises `host:port`, `http://…` or `ws://…` to the head's WebSocket URL (`ws://host:port/ws`). */
export function headWebSocketUrl(address: string): string {
  let a = address.trim();
  if (!/^[a-z]+:\/\//i.test(a)) a = `ws://${a}`;
  const url = new URL(a);
  if (url.protocol === 'http:') url.protocol = 'ws:';
  if (url.protocol === 'https:') url.protocol = 'wss:';
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw new WrtError('WRT_INVALID_ARGUMENT', `address "${address}" is not a ws:// or http:// URL of a wrt head`);
  }
  if (url.pathname === '/' || url.pathname === '') url.pathname = '/ws';
  return url.toString();
}

/** Rebuilds the error of a failed job; its message is "CODE: what happened" (BatchJob.fail). */
function jobFailure(s: JobStatusUpdate): WrtError {
  const m = /^(WRT_[A-Z_]+): ([\s\S]*)$/.exec(s.message);
  if (m && isErrorCode(m[1]!)) return new WrtError(m[1], `job ${s.jobId} failed: ${m[2]!}`);
  return new WrtError('WRT_JOB_FAILED', `job ${s.jobId} ${s.state.toLowerCase()}: ${s.message}`);
}

/**
 * Runs one job to its end.
 * @returns the final status (state Finished, or Stopped for a stream job ended by `wrt stop`)
 * @throws WrtError with the failing subtask's code (e.g. `WRT_OPERATOR_TRAP`) when the job fails,
 *   `WRT_CONNECTION` when the head goes away, or the code of an ErrorMessage the head sends.
 */
export async function runJob(platform: Platform, address: string, job: JobSubmission, cb: JobCallbacks): Promise<JobStatusUpdate> {
  const conn = await platform.connect(headWebSocketUrl(address));
  let outputs: Promise<void> = Promise.resolve();
  return new Promise<JobStatusUpdate>((resolve, reject) => {
    let settled = false;
    const settle = (err: Error | null, status?: JobStatusUpdate): void => {
      if (settled) return;
      settled = true;
      outputs.then(
        () => {
          conn.close(1000, 'job ended');
          if (err) reject(err);
          else resolve(status!);
        },
        (writeErr: Error) => {
          conn.close(1000, 'job ended');
          reject(writeErr);
        },
      );
    };
    const send = (m: Message): void => conn.send(encodeMessage(m));
    const handle = (msg: Message): void => {
      switch (msg.type) {
        case 'JobAccepted':
          cb.onAccepted?.(msg.jobId, msg.partitions);
          break;
        case 'ChunkRequest': {
          const { jobId, index } = msg;
          cb.readChunk(index).then(
            (data) => send({ type: 'InputChunk', jobId, index, data }),
            (err: Error) => settle(err),
          );
          break;
        }
        case 'JobOutput': {
          const { partition, data } = msg;
          const copy = data.slice();
          outputs = outputs.then(() => cb.onOutput(partition, copy));
          outputs.catch((err: Error) => settle(err));
          break;
        }
        case 'JobStatus':
          cb.onStatus?.(msg);
          if (msg.state === 'Finished' || msg.state === 'Stopped') settle(null, msg);
          else if (msg.state !== 'Running') settle(jobFailure(msg));
          break;
        case 'ErrorMessage':
          settle(fromFailure(msg.failure));
          break;
        default:
          break;
      }
    };
    onFrames(conn, handle, (err) => settle(err));
    conn.onClose = (reason) => settle(new WrtError('WRT_CONNECTION', `the head closed the connection before the job ended (${reason})`));
    send({ type: 'SubmitJob', requestId: 1, ...job });
  });
}

/**
 * Asks the head to act on a running job (`wrt savepoint`, `wrt cancel`, `wrt stop`) and waits for
 * the answer: a savepoint is written once every subtask has taken its snapshot (seconds, or longer
 * under back-pressure).
 * @param savepointDir a directory on the head's file system; '' = the head's default
 * @returns where the savepoint was written ('' for Cancel)
 * @throws WrtError `WRT_INVALID_ARGUMENT` (no such running job; a batch job asked for a savepoint),
 *   `WRT_BAD_CHECKPOINT` (the savepoint could not be written), `WRT_JOB_FAILED` (the job ended
 *   first), `WRT_CONNECTION`.
 */
export async function controlJob(
  platform: Platform,
  address: string,
  jobId: string,
  action: JobAction,
  savepointDir = '',
): Promise<string> {
  const conn = await platform.connect(headWebSocketUrl(address));
  return new Promise<string>((resolve, reject) => {
    let settled = false;
    const settle = (err: Error | null, path = ''): void => {
      if (settled) return;
      settled = true;
      conn.close(1000, 'done');
      if (err) reject(err);
      else resolve(path);
    };
    onFrames(
      conn,
      (msg) => {
        if (msg.type === 'JobControlDone') settle(null, msg.savepointPath);
        else if (msg.type === 'ErrorMessage') settle(fromFailure(msg.failure));
      },
      (err) => settle(err),
    );
    conn.onClose = (reason) => settle(new WrtError('WRT_CONNECTION', `the head closed the connection before answering (${reason})`));
    conn.send(encodeMessage({ type: 'JobControl', requestId: 1, jobId, action, savepointDir }));
  });
}
