// Latency histograms for the load generator and the bench: HdrHistogram (microsecond resolution,
// 3 significant digits), mergeable across workers, runs and processes, encodable for JSON.
import * as hdr from 'hdr-histogram-js';

/** Largest latency recorded without resizing: one hour, in microseconds. */
export const HIGHEST_TRACKABLE_US = 3_600_000_000;

/** Percentiles and extremes of a histogram, in milliseconds. */
export interface LatencySummary {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
}

/**
 * Records latencies in milliseconds (stored as integer microseconds).
 * @example
 * const h = new LatencyHistogram(); h.record(12.5);
 * const all = LatencyHistogram.merge([h, other]); all.summary().p99
 */
export class LatencyHistogram {
  private readonly h: hdr.Histogram;

  constructor(from?: hdr.Histogram) {
    this.h = from ?? hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: HIGHEST_TRACKABLE_US, numberOfSignificantValueDigits: 3, autoResize: true });
  }

  /** Records one latency in ms (negative values, from clock skew, count as 0). */
  record(ms: number): void {
    this.h.recordValue(Math.max(0, Math.round(ms * 1000)));
  }

  get count(): number {
    return this.h.totalCount;
  }

  /** Adds every value of `other` to this histogram. */
  add(other: LatencyHistogram): this {
    this.h.add(other.h);
    return this;
  }

  /** A new histogram holding every value of `parts`. */
  static merge(parts: readonly LatencyHistogram[]): LatencyHistogram {
    const out = new LatencyHistogram();
    for (const p of parts) out.add(p);
    return out;
  }

  /** The value at a percentile (0–100), in ms. */
  percentile(p: number): number {
    return this.h.totalCount ? this.h.getValueAtPercentile(p) / 1000 : 0;
  }

  summary(): LatencySummary {
    const n = this.h.totalCount;
    const ms = (us: number) => (n ? us / 1000 : 0);
    return {
      count: n,
      min: ms(this.h.minNonZeroValue === Number.MAX_SAFE_INTEGER ? 0 : this.h.minNonZeroValue),
      mean: ms(this.h.mean),
      p50: ms(this.h.getValueAtPercentile(50)),
      p90: ms(this.h.getValueAtPercentile(90)),
      p95: ms(this.h.getValueAtPercentile(95)),
      p99: ms(this.h.getValueAtPercentile(99)),
      max: ms(this.h.maxValue),
    };
  }

  /** HdrHistogram's compressed base64 encoding (readable by every HdrHistogram implementation). */
  encode(): string {
    return hdr.encodeIntoCompressedBase64(this.h);
  }

  static decode(base64: string): LatencyHistogram {
    return new LatencyHistogram(hdr.decodeFromCompressedBase64(base64, 32, false));
  }
}
