/**
 * What one copy costs on this machine: a put of bytes is one copy of them (into the node's arena,
 * a `SharedArrayBuffer`, in the embedded cluster; into a reused driver buffer, an `ArrayBuffer`,
 * across processes: ADR 0010), so `Uint8Array.prototype.set` of the same 32 MiB into a fixed
 * buffer of each kind, timed in the same run, bounds `single_client_put_gigabytes` from above.
 * Rates are GB/s (10^9 bytes per second).
 */
const BYTES = 32 * 1024 * 1024;

/** GB/s of copying `BYTES` into `into`, over about `seconds` after a short warm-up. */
function rate(into: Uint8Array, from: Uint8Array, seconds: number): number {
  for (let i = 0; i < 5; i++) into.set(from);
  const start = performance.now();
  let copies = 0;
  while (performance.now() - start < seconds * 1000) {
    into.set(from);
    copies++;
  }
  return (copies * BYTES) / ((performance.now() - start) / 1000) / 1e9;
}

/** One 32 MiB copy's rate into an `ArrayBuffer` and into a `SharedArrayBuffer`, GB/s. */
export function copyCeiling(seconds = 1): { arrayBuffer: number; sharedArrayBuffer: number } {
  const from = new Uint8Array(BYTES).fill(1);
  return {
    arrayBuffer: rate(new Uint8Array(new ArrayBuffer(BYTES)), from, seconds),
    sharedArrayBuffer: rate(new Uint8Array(new SharedArrayBuffer(BYTES)), from, seconds),
  };
}
