/**
 * Revoked volunteer links (docs/security.md): `STATE/revoked-volunteers`, one link subject per
 * line, appended by `wrt token --revoke SUBJECT` and read by the head at each volunteer's handshake
 * (re-read when the file changes), so a revocation needs no restart.
 */
import { appendFileSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { SUBJECT_PATTERN } from '../../protocol/credentials.js';
import { WrtError } from '../../errors.js';

const fileOf = (stateDir: string): string => join(stateDir, 'revoked-volunteers');

/** A check of the revocation list of `stateDir`: true when volunteer link `subject` is revoked. */
export function revokedVolunteers(stateDir: string): (subject: string) => boolean {
  let seen = '';
  let revoked = new Set<string>();
  return (subject) => {
    const file = fileOf(stateDir);
    let version: string;
    try {
      const st = statSync(file);
      version = `${st.mtimeMs}:${st.size}`;
    } catch {
      return false;
    }
    if (version !== seen) {
      seen = version;
      revoked = new Set(
        readFileSync(file, 'utf8')
          .split('\n')
          .map((l) => l.trim())
          .filter(Boolean),
      );
    }
    return revoked.has(subject);
  };
}

/**
 * Adds volunteer link `subject` to the revocation list of `stateDir`.
 * @throws WrtError `WRT_INVALID_ARGUMENT` for a subject outside the token subject pattern
 */
export function revokeVolunteer(stateDir: string, subject: string): void {
  if (!SUBJECT_PATTERN.test(subject))
    throw new WrtError('WRT_INVALID_ARGUMENT', `volunteer link "${subject}" must match ${SUBJECT_PATTERN.source}`);
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  appendFileSync(fileOf(stateDir), subject + '\n', { mode: 0o600 });
}
