/**
 * The one pattern for names that come from jobs and end up in paths, logs and lookups: vertex ids,
 * job names and actor names (docs/security.md). 1–128 of `[A-Za-z0-9_.-]`, and not `.` or `..`
 * nor containing `..`, so a name can never climb out of a directory it is joined to.
 */
import { WrtError } from '../errors.js';

export const NAME_PATTERN = /^[A-Za-z0-9_.-]{1,128}$/;

/** True when `name` matches {@link NAME_PATTERN} and holds no `..`. */
export function isSafeName(name: string): boolean {
  return NAME_PATTERN.test(name) && !name.includes('..');
}

/**
 * Checks a name where it enters (the head's SubmitJob and CreateActor).
 * @param what what the name names, for the message ("vertex id", "job name", "actor name")
 * @throws WrtError `WRT_INVALID_ARGUMENT` naming the rule
 */
export function checkName(what: string, name: string): void {
  const problem = nameProblem(what, name);
  if (problem) throw new WrtError('WRT_INVALID_ARGUMENT', problem);
}

/** Why `name` breaks {@link NAME_PATTERN} (a message naming `what` and the rule), or null when it is safe. */
export function nameProblem(what: string, name: string): string | null {
  if (isSafeName(name)) return null;
  return `${what} ${JSON.stringify(name.slice(0, 140))} must be 1–128 characters of A–Z a–z 0–9 _ . - and not contain ".."`;
}
