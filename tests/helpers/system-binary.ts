/**
 * The system binaries the tests start (nats-server, prometheus): finding one (an environment
 * variable, PATH, or fixed places) and stopping one with its scratch directory.
 */
import type { ChildProcess } from 'node:child_process';
import { accessSync, constants, rmSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/**
 * The executable `name`: `$envVar` when set, else the first on PATH, else the first of `places`.
 * @throws Error naming the Debian package that brings it
 */
export function systemBinary(name: string, envVar: string, places: string[], pkg: string): string {
  const candidates = [process.env[envVar], ...(process.env.PATH ?? '').split(delimiter).map((d) => join(d, name)), ...places];
  for (const c of candidates) {
    if (!c) continue;
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // try the next
    }
  }
  throw new Error(`${name} not found: install Debian package ${pkg} (.ci/run does) or set ${envVar}`);
}

/** Kills `child` (SIGKILL: its data is scratch), waits for it to exit, then removes `dir`. */
export async function stopSystemBinary(child: ChildProcess, dir: string): Promise<void> {
  if (child.exitCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
  rmSync(dir, { recursive: true, force: true });
}
