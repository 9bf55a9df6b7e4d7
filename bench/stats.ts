/** Small numeric helpers the benchmark reports with: percentiles, a bounded pool, a table. */

export interface LatencySummary {
  count: number;
  minMs: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
}

/** Nearest-rank percentile of sorted values (p in 0..100). */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

export function summarize(samples: number[]): LatencySummary {
  const sorted = [...samples].sort((a, b) => a - b);
  const round = (x: number) => Math.round(x * 10) / 10;
  return {
    count: sorted.length,
    minMs: round(sorted[0] ?? NaN),
    p50Ms: round(percentile(sorted, 50)),
    p95Ms: round(percentile(sorted, 95)),
    p99Ms: round(percentile(sorted, 99)),
    maxMs: round(sorted[sorted.length - 1] ?? NaN),
    meanMs: round(sorted.reduce((s, x) => s + x, 0) / (sorted.length || 1)),
  };
}

/**
 * Runs `task(i)` for i in 0..count-1 with at most `concurrency` in flight, each slot taking
 * the next index as soon as its previous task ends (a closed loop, as a client with a
 * fixed number of outstanding requests would behave).
 */
export async function runPool<T>(count: number, concurrency: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  const slot = async () => {
    while (next < count) {
      const i = next++;
      results[i] = await task(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, slot));
  return results;
}

/** A plain-text table: the first column left-aligned, the rest right-aligned. */
export function table(header: string[], rows: Array<Array<string | number>>): string {
  const cells = [header, ...rows.map((r) => r.map((c) => (typeof c === 'number' ? formatNumber(c) : c)))];
  const widths = header.map((_, col) => Math.max(...cells.map((r) => String(r[col] ?? '').length)));
  const line = (r: Array<string | number>) =>
    r.map((c, col) => (col === 0 ? String(c).padEnd(widths[col]) : String(c).padStart(widths[col]))).join('  ');
  return [line(cells[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

function formatNumber(x: number): string {
  if (!Number.isFinite(x)) return '-';
  if (Number.isInteger(x)) return String(x);
  return Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 10 ? x.toFixed(1) : x.toFixed(2);
}

/** Percentiles of something other than a latency (CPU-seconds, MB). */
export interface Spread {
  count: number;
  p50: number;
  p95: number;
  max: number;
  mean: number;
}

export function spread(xs: number[]): Spread | null {
  if (xs.length === 0) return null;
  const sorted = [...xs].sort((a, b) => a - b);
  const r = (x: number) => Math.round(x * 100) / 100;
  const mean = sorted.reduce((sum, x) => sum + x, 0) / sorted.length;
  return {
    count: sorted.length,
    p50: r(percentile(sorted, 50)),
    p95: r(percentile(sorted, 95)),
    max: r(sorted.at(-1)!),
    mean: r(mean),
  };
}
