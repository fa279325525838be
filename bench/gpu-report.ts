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

/** The device's peaks, when told: f32 GFLOP/s and memory GB/s. */
export interface Peaks {
  flops: number | null;
  bandwidth: number | null;
}

/** Each timing of `r` as % of its peak (null without one). */
export function percentOfPeak(r: GpuRow, peaks: Peaks): Timing | null {
  const peak = r.peak ? peaks[r.peak] : null;
  if (!peak) return null;
  const pct = (v: number | null) => (v === null ? null : (100 * v) / peak);
  return { kernelOnly: pct(r.kernelOnly), resident: pct(r.resident), endToEnd: pct(r.endToEnd) };
}

/** Three significant digits; a dash for nothing. */
export const fmt = (v: number | null): string => (v === null ? '—' : v === 0 ? '0' : v.toPrecision(3));

/**
 * A Markdown table of `rows` (Node); with a peak given (`--peak-gflops`, `--peak-gbs`) each timing
 * of a row that has one gets its % of that peak in parentheses. With `browser` rows (the same
 * metrics measured in a page), each timing has a Node and a browser column.
 */
export function formatTable(rows: GpuRow[], peaks: Peaks, browser?: GpuRow[]): string {
  const inPage = new Map((browser ?? []).map((r) => [r.metric, r]));
  const cell = (r: GpuRow | undefined, v: number | null | undefined) => {
    if (!r || v === undefined) return '—';
    const peak = r.peak ? peaks[r.peak] : null;
    return v !== null && peak ? `${fmt(v)} (${((100 * v) / peak).toFixed(1)} %)` : fmt(v);
  };
  const timings = ['kernelOnly', 'resident', 'endToEnd'] as const;
  const names = { kernelOnly: 'kernel-only', resident: 'resident', endToEnd: 'end to end' };
  const heads = browser ? timings.flatMap((t) => [`${names[t]} (Node)`, `${names[t]} (browser)`]) : timings.map((t) => names[t]);
  const out = [
    `| metric | unit | ${heads.join(' | ')} | wasm CPU (1 core) | end to end / CPU |`,
    `|---|---|${heads.map(() => '---|').join('')}---|---|`,
  ];
  for (const r of rows) {
    const b = inPage.get(r.metric);
    const cells = browser ? timings.flatMap((t) => [cell(r, r[t]), cell(b, b?.[t])]) : timings.map((t) => cell(r, r[t]));
    const ratio = r.cpu && r.endToEnd !== null ? fmt(r.endToEnd / r.cpu) : '—';
    out.push(`| ${r.metric} | ${r.unit} | ${cells.join(' | ')} | ${fmt(r.cpu)} | ${ratio} |`);
  }
  return out.join('\n');
}
