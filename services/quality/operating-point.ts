// Operating points of a binary classifier: the Youden-J threshold, and the confusion matrix,
// sensitivity, specificity, precision and F1 at a threshold (predicted positive when score ≥ threshold).
import { rocCurve, type Labels } from './auroc.ts';

/** Counts at one threshold. */
export interface Confusion {
  tp: number;
  fp: number;
  tn: number;
  fn: number;
}

/** Metrics at one threshold; NaN where the denominator is 0. */
export interface ThresholdMetrics extends Confusion {
  threshold: number;
  /** Recall, true positive rate: tp / (tp + fn). */
  sensitivity: number;
  /** True negative rate: tn / (tn + fp). */
  specificity: number;
  /** Positive predictive value: tp / (tp + fp). */
  precision: number;
  /** 2·tp / (2·tp + fp + fn). */
  f1: number;
  /** (tp + tn) / n. */
  accuracy: number;
}

/** The Youden-J operating point. */
export interface YoudenPoint {
  threshold: number;
  /** J = sensitivity + specificity − 1 at the threshold. */
  j: number;
  sensitivity: number;
  specificity: number;
}

/**
 * Counts true/false positives/negatives; an item is predicted positive when score ≥ threshold.
 * @example confusionAt([0.2, 0.6, 0.7], [0, 0, 1], 0.5) // { tp: 1, fp: 1, tn: 1, fn: 0 }
 */
export function confusionAt(scores: ArrayLike<number>, labels: Labels, threshold: number): Confusion {
  let tp = 0, fp = 0, tn = 0, fn = 0;
  for (let i = 0; i < scores.length; i++) {
    const predicted = scores[i] >= threshold;
    if (labels[i]) predicted ? tp++ : fn++;
    else predicted ? fp++ : tn++;
  }
  return { tp, fp, tn, fn };
}

/**
 * Sensitivity, specificity, precision, F1 and accuracy at a threshold (score ≥ threshold → positive).
 * @example metricsAt(scores, labels, 0.2808).f1
 */
export function metricsAt(scores: ArrayLike<number>, labels: Labels, threshold: number): ThresholdMetrics {
  const c = confusionAt(scores, labels, threshold);
  const { tp, fp, tn, fn } = c;
  const ratio = (a: number, b: number): number => (b ? a / b : NaN);
  return {
    ...c,
    threshold,
    sensitivity: ratio(tp, tp + fn),
    specificity: ratio(tn, tn + fp),
    precision: ratio(tp, tp + fp),
    f1: ratio(2 * tp, 2 * tp + fp + fn),
    accuracy: ratio(tp + tn, tp + fp + tn + fn),
  };
}

/**
 * The threshold maximizing Youden's J = TPR − FPR over the distinct scores (the ROC curve's
 * thresholds, the +Infinity point excluded, so the threshold is always one of the scores).
 * Ties go to the highest threshold, as `thresholds[argmax(tpr - fpr)]` in numpy.
 * NaN threshold when one class is empty.
 * @example youdenThreshold([0.1, 0.3, 0.35, 0.8], [0, 0, 1, 1]) // { threshold: 0.35, j: 1, … }
 */
export function youdenThreshold(scores: ArrayLike<number>, labels: Labels): YoudenPoint {
  const { fpr, tpr, thresholds } = rocCurve(scores, labels);
  let best = -1;
  let bestJ = -Infinity;
  for (let i = 1; i < thresholds.length; i++) {
    const j = tpr[i] - fpr[i];
    if (j > bestJ) {
      bestJ = j;
      best = i;
    }
  }
  if (best < 0 || Number.isNaN(bestJ)) return { threshold: NaN, j: NaN, sensitivity: NaN, specificity: NaN };
  return { threshold: thresholds[best], j: bestJ, sensitivity: tpr[best], specificity: 1 - fpr[best] };
}
