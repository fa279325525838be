/**
 * Polling for state that changes without an event a test can await: counters that reach the head
 * with node heartbeats, files a spill directory drops, messages a broker stores.
 */

/** Options of {@link until}. */
export interface UntilOptions {
  /** Milliseconds before giving up. @default 30_000 */
  timeoutMs?: number;
  /** Milliseconds between probes. @default 50 */
  intervalMs?: number;
}

/**
 * Calls `probe` until it returns a truthy value, and resolves with that value. Rejects with
 * `timed out after N ms waiting until WHAT` (and the last value probed) after `timeoutMs`, or with
 * the error `probe` throws.
 */
export async function until<T>(probe: () => T | Promise<T>, what: string, options: UntilOptions = {}): Promise<NonNullable<T>> {
  const { timeoutMs = 30_000, intervalMs = 50 } = options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting until ${what} (last: ${JSON.stringify(value)})`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
