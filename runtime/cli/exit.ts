/**
 * How the `wrt` command ends on an error (docs/cli.md): exit code 2 for bad usage or input (the
 * codes of {@link USAGE_CODES}), 1 for a job or runtime failure (a failed job, a head that cannot
 * be reached, a refused credential), with one line `wrt: error CODE: message` on stderr.
 */
import process from 'node:process';
import { WrtError } from '../errors.js';

/** Error codes that mean the command was given something wrong: exit code 2. */
export const USAGE_CODES: ReadonlySet<string> = new Set([
  'WRT_INVALID_ARGUMENT',
  'WRT_INPUT_NOT_FOUND',
  'WRT_OUTPUT_EXISTS',
  'WRT_NOT_WASM',
  'WRT_MISSING_EXPORT',
  'WRT_BAD_JOB_GRAPH',
  'WRT_BAD_CHECKPOINT',
]);

/** Prints `err` and exits: 2 for a usage error, else 1. */
export function fail(err: unknown): never {
  if (err instanceof WrtError) {
    process.stderr.write(`wrt: error ${err.code}: ${err.message}\n`);
    process.exit(USAGE_CODES.has(err.code) ? 2 : 1);
  }
  process.stderr.write(`wrt: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
}
