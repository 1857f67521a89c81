// Plain-text rendering of load results and bench figures (fixed-width tables for terminals and
// Markdown tables for BENCHMARKS.md).
import type { LoadResult } from './load-generator.ts';

const f = (x: number, digits = 1) => (Number.isFinite(x) ? x.toFixed(digits) : '-');

/** A few lines describing one load run. */
export function formatLoadResult(r: LoadResult, label: string): string {
  const s = r.latency.summary();
  const how = r.mode === 'open' ? `open loop, ${r.rate} req/s ${r.arrivals}` : `closed loop, concurrency ${r.concurrency}`;
  const errors = Object.entries(r.errors).map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
  return [
    `${label}: ${how}`,
    `  requests   ${r.ok} ok, ${r.failed} failed, ${r.abandoned} unanswered, in ${f(r.elapsedS, 2)} s`,
    `  throughput ${f(r.throughput, 2)} req/s`,
    `  latency ms p50 ${f(s.p50)}  p90 ${f(s.p90)}  p95 ${f(s.p95)}  p99 ${f(s.p99)}  max ${f(s.max)}  (mean ${f(s.mean)})`,
    `  errors     ${errors}`,
  ].join('\n');
}

/** A Markdown table; cells are printed as given. */
export function markdownTable(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** A fixed-width text table for terminals. */
export function textTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (c ?? '').padEnd(widths[i])).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
