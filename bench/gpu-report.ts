/** The table bench:gpu prints: three GPU timings per kernel, the CPU baseline and % of peak. */

/** A kernel's rate three ways (units per second; null where not measured). */
export interface Timing {
  kernelOnly: number | null;
  resident: number | null;
  endToEnd: number | null;
}

/** One row: a kernel at one size, or a host ↔ device copy (end to end only). */
export interface GpuRow extends Timing {
  metric: string;
  unit: string;
  /** Which peak the rate is a share of: the f32 flop rate, memory bandwidth, or none. */
  peak: 'flops' | 'bandwidth' | null;
  /** The same operation in wasm on one CPU core. */
  cpu: number | null;
}

/** Three significant digits; a dash for nothing. */
export const fmt = (v: number | null): string => (v === null ? '—' : v === 0 ? '0' : v.toPrecision(3));

/**
 * A Markdown table of `rows`; with a peak given (`--peak-gflops`, `--peak-gbs`) each timing of a
 * row that has one gets its % of that peak in parentheses.
 */
export function formatTable(rows: GpuRow[], peaks: { flops: number | null; bandwidth: number | null }): string {
  const out = [
    '| metric | unit | kernel-only | resident | end to end | wasm CPU (1 core) | end to end / CPU |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const peak = r.peak ? peaks[r.peak] : null;
    const cell = (v: number | null) => (v !== null && peak ? `${fmt(v)} (${((100 * v) / peak).toFixed(1)} %)` : fmt(v));
    const ratio = r.cpu && r.endToEnd !== null ? fmt(r.endToEnd / r.cpu) : '—';
    out.push(`| ${r.metric} | ${r.unit} | ${cell(r.kernelOnly)} | ${cell(r.resident)} | ${cell(r.endToEnd)} | ${fmt(r.cpu)} | ${ratio} |`);
  }
  return out.join('\n');
}
