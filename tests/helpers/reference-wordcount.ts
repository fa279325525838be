/**
 * The word count as the issue defines it, in plain TypeScript: the oracle for tests and the
 * single-threaded baseline of the benchmark. Tokens are `[\p{L}\p{M}\p{N}]+` runs of the input
 * decoded by TextDecoder, lowercased with String.prototype.toLowerCase.
 */
const TOKEN = /[\p{L}\p{M}\p{N}]+/gu;

export function countTokens(bytes: Uint8Array, into = new Map<string, number>()): Map<string, number> {
  const text = new TextDecoder().decode(bytes);
  for (const m of text.matchAll(TOKEN)) {
    const k = m[0].toLowerCase();
    into.set(k, (into.get(k) ?? 0) + 1);
  }
  return into;
}

const utf8 = new TextEncoder();
function compareBytes(a: string, b: string): number {
  const x = utf8.encode(a);
  const y = utf8.encode(b);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}

/** `token<TAB>count<LF>` lines, count descending then token ascending by code point. */
export function formatCounts(counts: Map<string, number>): string {
  return [...counts]
    .sort((a, b) => b[1] - a[1] || compareBytes(a[0], b[0]))
    .map(([k, v]) => `${k}\t${v}\n`)
    .join('');
}
