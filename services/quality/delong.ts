// DeLong's method (DeLong, DeLong & Clarke-Pearson 1988) for the variance of AUROC, its normal
// confidence interval, and the paired test of two models scored on the same images (A/B arms).
// Structural components come from one sort per model (Sun & Xu 2014's fast form), O(n log n).
import { MetricInputError, sortScores, type Labels } from './auroc.ts';
import { normalQuantile, normalSf } from './normal.ts';
import { DEFAULT_CONFIDENCE } from './bootstrap.ts';

/** AUROC with DeLong's variance and a normal-approximation interval. */
export interface DelongInterval {
  auroc: number;
  variance: number;
  standardError: number;
  /** auroc ∓ z·SE, clipped to [0, 1]. */
  lower: number;
  upper: number;
  confidence: number;
}

/** Result of the paired DeLong test, A minus B. */
export interface PairedDelongResult {
  aurocA: number;
  aurocB: number;
  /** aurocA − aurocB. */
  difference: number;
  /** Var(aurocA − aurocB) = Var A + Var B − 2 Cov(A, B). */
  variance: number;
  standardError: number;
  /** difference / standardError. */
  z: number;
  /** Two-sided p-value of H0: equal AUROC. */
  pValue: number;
  /** Interval of the difference, difference ∓ z·SE (not clipped). */
  lower: number;
  upper: number;
  confidence: number;
}

/**
 * Placement values: for positive i, V10[i] = P(negative < x_i) + ½ P(negative = x_i);
 * for negative j, V01[j] = P(positive > y_j) + ½ P(positive = y_j). Indexed by item.
 */
interface Components {
  v: Float64Array;
  auroc: number;
  positives: number;
  negatives: number;
}

function components(scores: ArrayLike<number>, labels: Labels): Components {
  const { order, groupStart, positive, positives: P, negatives: N } = sortScores(scores, labels);
  const v = new Float64Array(order.length);
  let negBelow = 0;
  let posBelow = 0;
  let sum10 = 0;
  for (let g = 0; g < groupStart.length - 1; g++) {
    let pg = 0;
    let ng = 0;
    for (let k = groupStart[g]; k < groupStart[g + 1]; k++) {
      if (positive[order[k]]) pg++;
      else ng++;
    }
    const v10 = (negBelow + ng / 2) / N;
    const v01 = (P - posBelow - pg + pg / 2) / P;
    for (let k = groupStart[g]; k < groupStart[g + 1]; k++) {
      const i = order[k];
      v[i] = positive[i] ? v10 : v01;
    }
    sum10 += pg * v10;
    negBelow += ng;
    posBelow += pg;
  }
  return { v, auroc: P && N ? sum10 / P : NaN, positives: P, negatives: N };
}

// Sample covariance (denominator m − 1) of two component vectors over the items of one class.
function covariance(a: Components, b: Components, labels: Labels, positiveClass: boolean): number {
  const m = positiveClass ? a.positives : a.negatives;
  if (m < 2) return NaN;
  let s = 0;
  for (let i = 0; i < labels.length; i++) {
    if (Boolean(labels[i]) !== positiveClass) continue;
    s += (a.v[i] - a.auroc) * (b.v[i] - b.auroc);
  }
  return s / (m - 1);
}

function variance2(a: Components, b: Components, labels: Labels): number {
  return covariance(a, b, labels, true) / a.positives + covariance(a, b, labels, false) / a.negatives;
}

/**
 * AUROC with DeLong's variance estimate and interval `auroc ∓ z(1−α/2)·SE`, clipped to [0, 1].
 * NaN variance when a class has fewer than 2 items.
 * @example delongCi(scores, labels) // { auroc: 0.886, standardError: 0.007, lower: 0.872, upper: 0.900, … }
 */
export function delongCi(scores: ArrayLike<number>, labels: Labels, confidence = DEFAULT_CONFIDENCE): DelongInterval {
  const c = components(scores, labels);
  const variance = variance2(c, c, labels);
  const se = Math.sqrt(variance);
  const z = normalQuantile(1 - (1 - confidence) / 2);
  return {
    auroc: c.auroc,
    variance,
    standardError: se,
    lower: Math.max(0, c.auroc - z * se),
    upper: Math.min(1, c.auroc + z * se),
    confidence,
  };
}

/**
 * Paired DeLong test: two models (arms A and B) scored on the same images with the same labels.
 * z = (AUC_A − AUC_B) / SE, two-sided p-value; interval of the difference.
 * When both models rank identically the variance is 0: z = 0 and p = 1 if the AUROCs are equal.
 * @example pairedDelongTest(armA, armB, labels) // { difference: 0.012, z: 2.1, pValue: 0.036, … }
 */
export function pairedDelongTest(
  scoresA: ArrayLike<number>,
  scoresB: ArrayLike<number>,
  labels: Labels,
  confidence = DEFAULT_CONFIDENCE,
): PairedDelongResult {
  if (scoresA.length !== scoresB.length) {
    throw new MetricInputError(`paired test needs the same images: ${scoresA.length} vs ${scoresB.length} scores`);
  }
  const a = components(scoresA, labels);
  const b = components(scoresB, labels);
  const variance = variance2(a, a, labels) + variance2(b, b, labels) - 2 * variance2(a, b, labels);
  const difference = a.auroc - b.auroc;
  const se = Math.sqrt(Math.max(0, variance));
  let z: number;
  if (Number.isNaN(se)) z = NaN;
  else if (se > 0) z = difference / se;
  else z = difference === 0 ? 0 : difference > 0 ? Infinity : -Infinity;
  const zc = normalQuantile(1 - (1 - confidence) / 2);
  return {
    aurocA: a.auroc,
    aurocB: b.auroc,
    difference,
    variance,
    standardError: se,
    z,
    pValue: Number.isNaN(z) ? NaN : Math.min(1, 2 * normalSf(Math.abs(z))),
    lower: difference - zc * se,
    upper: difference + zc * se,
    confidence,
  };
}
