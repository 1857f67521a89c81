// Percentile bootstrap confidence intervals (seeded, reproducible) for AUROC and for
// sensitivity, specificity, precision and F1 at a fixed threshold.
//
// A resample is drawn as counts with multiplicity (item i appears counts[i] times), so each
// statistic is a weighted O(n) pass over data prepared once: no copying, no re-sorting.
import { sortScores, weightedAuroc, type Labels } from './auroc.ts';

/** Resamples per interval, as the paper (10,000). */
export const DEFAULT_BOOTSTRAP_SAMPLES = 10_000;
/** Seed used when none is given, so two runs on the same data print the same intervals. */
export const DEFAULT_BOOTSTRAP_SEED = 2106;
/** Two-sided confidence level. */
export const DEFAULT_CONFIDENCE = 0.95;

import { mulberry32 } from '../common/prng.ts';

export { mulberry32 };

/** Options of every bootstrap function. */
export interface BootstrapOptions {
  /** Number of resamples (default {@link DEFAULT_BOOTSTRAP_SAMPLES}). */
  samples?: number;
  /** PRNG seed (default {@link DEFAULT_BOOTSTRAP_SEED}); same seed, same data → same interval. */
  seed?: number;
  /** Confidence level in (0, 1) (default {@link DEFAULT_CONFIDENCE}). */
  confidence?: number;
}

/** A point estimate with its percentile bootstrap interval. */
export interface ConfidenceInterval {
  /** The statistic on the full data. */
  estimate: number;
  lower: number;
  upper: number;
  confidence: number;
  /** Resamples where the statistic was defined (used for the percentiles). */
  samples: number;
  /** Resamples where it was undefined (NaN, e.g. no positive drawn), left out. */
  dropped: number;
}

/**
 * Statistics of one resample: `counts[i]` = how many times item i was drawn; writes one value per
 * statistic into `out` (NaN where undefined). Several statistics share one pass over the data.
 */
export type WeightedStatistics = (counts: Uint32Array, out: Float64Array) => void;

/**
 * Draws `samples` resamples of n items with replacement (as counts with multiplicity) and
 * evaluates `width` statistics on each. Returns one distribution per statistic.
 * @example const [d] = bootstrapDistributions(n, 1, (c, out) => { out[0] = weightedAuroc(sorted, c); }, { seed: 1 })
 */
export function bootstrapDistributions(
  n: number,
  width: number,
  statistics: WeightedStatistics,
  options: BootstrapOptions = {},
): Float64Array[] {
  const samples = options.samples ?? DEFAULT_BOOTSTRAP_SAMPLES;
  if (!Number.isInteger(samples) || samples < 1) throw new RangeError(`bootstrap samples must be a positive integer, got ${samples}`);
  const next = mulberry32(options.seed ?? DEFAULT_BOOTSTRAP_SEED);
  const dists = Array.from({ length: width }, () => new Float64Array(samples));
  const counts = new Uint32Array(n);
  const out = new Float64Array(width);
  const scale = n / 4294967296;
  for (let s = 0; s < samples; s++) {
    counts.fill(0);
    for (let k = 0; k < n; k++) counts[Math.floor(next() * scale)]++;
    out.fill(NaN);
    statistics(counts, out);
    for (let j = 0; j < width; j++) dists[j][s] = out[j];
  }
  return dists;
}

/**
 * Percentile interval of a bootstrap distribution: the (1-c)/2 and (1+c)/2 quantiles with linear
 * interpolation between order statistics (numpy's default `percentile`); NaN values left out.
 * @example percentileInterval(dist, auc, 0.95) // { estimate, lower, upper, … }
 */
export function percentileInterval(distribution: Float64Array, estimate: number, confidence = DEFAULT_CONFIDENCE): ConfidenceInterval {
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`confidence must be in (0, 1), got ${confidence}`);
  const finite = distribution.filter((v) => !Number.isNaN(v)).sort();
  const m = finite.length;
  const quantile = (q: number): number => {
    if (m === 0) return NaN;
    const h = (m - 1) * q;
    const lo = Math.floor(h);
    const hi = Math.min(lo + 1, m - 1);
    return finite[lo] + (h - lo) * (finite[hi] - finite[lo]);
  };
  const alpha = (1 - confidence) / 2;
  return {
    estimate,
    lower: quantile(alpha),
    upper: quantile(1 - alpha),
    confidence,
    samples: m,
    dropped: distribution.length - m,
  };
}

/**
 * AUROC with its percentile bootstrap interval. Sorts once; each resample is an O(n) weighted
 * Mann–Whitney pass (about 0.25 s for 10,000 resamples of 2,078 images on one core).
 * @example bootstrapAurocCi(scores, labels, { samples: 10_000, seed: 7 }) // { estimate: 0.886, lower: 0.871, upper: 0.900, … }
 */
export function bootstrapAurocCi(scores: ArrayLike<number>, labels: Labels, options: BootstrapOptions = {}): ConfidenceInterval {
  const sorted = sortScores(scores, labels);
  const ones = new Uint32Array(sorted.n).fill(1);
  const [dist] = bootstrapDistributions(sorted.n, 1, (c, out) => { out[0] = weightedAuroc(sorted, c); }, options);
  return percentileInterval(dist, weightedAuroc(sorted, ones), options.confidence);
}

/** Names of the threshold metrics with intervals. */
export const ThresholdMetric = {
  Sensitivity: 'sensitivity',
  Specificity: 'specificity',
  Precision: 'precision',
  F1: 'f1',
} as const;
export type ThresholdMetric = (typeof ThresholdMetric)[keyof typeof ThresholdMetric];

/** Intervals of the classification metrics, all from the same resamples. */
export interface ClassificationIntervals {
  auroc: ConfidenceInterval;
  sensitivity: ConfidenceInterval;
  specificity: ConfidenceInterval;
  precision: ConfidenceInterval;
  f1: ConfidenceInterval;
}

// Weighted confusion counts, by the outcome code of each item at the fixed threshold.
const TP = 0, FN = 1, FP = 2, TN = 3;

function thresholdStats(c: Float64Array): Record<ThresholdMetric, number> {
  const tp = c[TP], fn = c[FN], fp = c[FP], tn = c[TN];
  return {
    sensitivity: tp + fn ? tp / (tp + fn) : NaN,
    specificity: tn + fp ? tn / (tn + fp) : NaN,
    precision: tp + fp ? tp / (tp + fp) : NaN,
    f1: 2 * tp + fp + fn ? (2 * tp) / (2 * tp + fp + fn) : NaN,
  };
}

/**
 * AUROC, sensitivity, specificity, precision and F1 (predicted positive when score ≥ threshold)
 * with percentile bootstrap intervals from one set of resamples. The threshold stays fixed across
 * resamples: it is a property of the deployed model, not re-tuned on each resample.
 * @example bootstrapClassificationCi(scores, labels, 0.2808).f1 // { estimate, lower, upper, … }
 */
export function bootstrapClassificationCi(
  scores: ArrayLike<number>,
  labels: Labels,
  threshold: number,
  options: BootstrapOptions = {},
): ClassificationIntervals {
  const sorted = sortScores(scores, labels);
  const n = sorted.n;
  const outcome = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const predicted = scores[i] >= threshold;
    outcome[i] = labels[i] ? (predicted ? TP : FN) : predicted ? FP : TN;
  }
  const confusion = new Float64Array(4);
  const dists = bootstrapDistributions(n, 5, (c, out) => {
    out[0] = weightedAuroc(sorted, c);
    confusion.fill(0);
    for (let i = 0; i < n; i++) confusion[outcome[i]] += c[i];
    const t = thresholdStats(confusion);
    out[1] = t.sensitivity;
    out[2] = t.specificity;
    out[3] = t.precision;
    out[4] = t.f1;
  }, options);
  const ones = new Uint32Array(n).fill(1);
  const full = new Float64Array(4);
  for (let i = 0; i < n; i++) full[outcome[i]] += 1;
  const point = thresholdStats(full);
  const conf = options.confidence;
  return {
    auroc: percentileInterval(dists[0], weightedAuroc(sorted, ones), conf),
    sensitivity: percentileInterval(dists[1], point.sensitivity, conf),
    specificity: percentileInterval(dists[2], point.specificity, conf),
    precision: percentileInterval(dists[3], point.precision, conf),
    f1: percentileInterval(dists[4], point.f1, conf),
  };
}
