// Exact AUROC (the Mann–Whitney U statistic, ties counted one half) and ROC curve points.
//
// Everything here sorts once and then walks the sorted order in O(n), so the same prepared order
// serves the bootstrap (weighted AUROC per resample) and DeLong's method without re-sorting.

/** Labels: 1 / true = positive (abnormal, finding present), 0 / false = negative. */
export type Labels = ArrayLike<number | boolean>;

/** A score was NaN, or scores and labels differ in length. */
export class MetricInputError extends RangeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

function checkInputs(scores: ArrayLike<number>, labels: Labels): void {
  if (scores.length !== labels.length) {
    throw new MetricInputError(`scores (${scores.length}) and labels (${labels.length}) differ in length`);
  }
  for (let i = 0; i < scores.length; i++) {
    if (Number.isNaN(scores[i])) throw new MetricInputError(`score ${i} is NaN`);
  }
}

/**
 * Exact area under the ROC curve: the probability that a random positive scores higher than a
 * random negative, ties counting one half (Mann–Whitney U / (P·N)). Equals sklearn's
 * `roc_auc_score`. NaN when there are no positives or no negatives.
 *
 * Sorts positives and negatives separately (native typed-array sort, no comparator) and merges.
 * @example auroc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]) // 0.75
 */
export function auroc(scores: ArrayLike<number>, labels: Labels): number {
  checkInputs(scores, labels);
  let p = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i]) p++;
  const n = scores.length - p;
  if (p === 0 || n === 0) return NaN;
  const pos = new Float64Array(p);
  const neg = new Float64Array(n);
  for (let i = 0, a = 0, b = 0; i < scores.length; i++) {
    if (labels[i]) pos[a++] = scores[i];
    else neg[b++] = scores[i];
  }
  pos.sort();
  neg.sort();
  // For each positive: negatives strictly below count 1, equal count 1/2. Sum in 2·U to stay integral.
  let twiceU = 0;
  let below = 0; // negatives < current positive score
  let j = 0;
  for (let i = 0; i < p; ) {
    const s = pos[i];
    while (below < n && neg[below] < s) below++;
    if (j < below) j = below;
    while (j < n && neg[j] === s) j++; // j = negatives <= s
    let k = i;
    while (k < p && pos[k] === s) k++;
    twiceU += (k - i) * (below + j);
    i = k;
  }
  return twiceU / (2 * p * n);
}

/**
 * Scores sorted once, ascending, cut into groups of tied scores; the shared input of the
 * weighted AUROC (bootstrap) and DeLong's method.
 */
export interface SortedScores {
  /** Number of items. */
  readonly n: number;
  /** Item indices in ascending score order. */
  readonly order: Uint32Array;
  /** Tie groups: group g is `order[groupStart[g] .. groupStart[g+1])`; length groups + 1. */
  readonly groupStart: Uint32Array;
  /** 1 for a positive item, 0 for a negative one, indexed by item. */
  readonly positive: Uint8Array;
  readonly positives: number;
  readonly negatives: number;
}

/**
 * Sorts the scores once (ascending) and finds the groups of tied scores.
 * @example const s = sortScores(scores, labels); weightedAuroc(s, weights)
 */
export function sortScores(scores: ArrayLike<number>, labels: Labels): SortedScores {
  checkInputs(scores, labels);
  const n = scores.length;
  const key = Float64Array.from(scores);
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => key[a] - key[b] || a - b);
  const starts: number[] = [0];
  for (let i = 1; i < n; i++) if (key[order[i]] !== key[order[i - 1]]) starts.push(i);
  starts.push(n);
  const positive = new Uint8Array(n);
  let positives = 0;
  for (let i = 0; i < n; i++) if (labels[i]) { positive[i] = 1; positives++; }
  return { n, order, groupStart: Uint32Array.from(starts), positive, positives, negatives: n - positives };
}

/**
 * AUROC where item i counts `weights[i]` times (a bootstrap resample drawn with multiplicity):
 * the weighted Mann–Whitney statistic over the pre-sorted order, O(n), no sorting.
 * NaN when the weighted positives or negatives are zero.
 * @example weightedAuroc(sortScores([0.2, 0.9], [0, 1]), new Uint32Array([3, 1])) // 1
 */
export function weightedAuroc(sorted: SortedScores, weights: ArrayLike<number>): number {
  const { order, groupStart, positive } = sorted;
  let negBelow = 0;
  let posTotal = 0;
  let twiceU = 0;
  const groups = groupStart.length - 1;
  for (let g = 0; g < groups; g++) {
    let pw = 0;
    let nw = 0;
    for (let k = groupStart[g], end = groupStart[g + 1]; k < end; k++) {
      const i = order[k];
      if (positive[i]) pw += weights[i];
      else nw += weights[i];
    }
    twiceU += pw * (2 * negBelow + nw);
    negBelow += nw;
    posTotal += pw;
  }
  if (posTotal === 0 || negBelow === 0) return NaN;
  return twiceU / (2 * posTotal * negBelow);
}

/** ROC curve points, in order of decreasing threshold (as sklearn's `roc_curve`). */
export interface RocCurve {
  fpr: Float64Array;
  tpr: Float64Array;
  /** thresholds[0] is +Infinity (the point (0, 0)); item predicted positive when score ≥ threshold. */
  thresholds: Float64Array;
}

/** Options of {@link rocCurve}. */
export interface RocCurveOptions {
  /** Drop points on straight segments, as sklearn's default `drop_intermediate=True`. Default false. */
  dropIntermediate?: boolean;
}

/**
 * ROC curve as sklearn's `roc_curve`: one point per distinct score (descending), plus the first
 * point (0, 0) at threshold +Infinity (sklearn ≥ 1.3 also uses inf; 1.2 used max score + 1).
 * With `dropIntermediate: false` (default) every distinct threshold is kept. fpr (tpr) is NaN
 * when there are no negatives (positives), as in sklearn.
 * @example rocCurve([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]).tpr // [0, 0.5, 0.5, 1, 1]
 */
export function rocCurve(scores: ArrayLike<number>, labels: Labels, options: RocCurveOptions = {}): RocCurve {
  const sorted = sortScores(scores, labels);
  const { order, groupStart, positive, positives, negatives } = sorted;
  const groups = groupStart.length - 1;
  let fpsArr = new Float64Array(groups + 1);
  let tpsArr = new Float64Array(groups + 1);
  let thr = new Float64Array(groups + 1);
  thr[0] = Infinity;
  let tp = 0;
  let fp = 0;
  // Descending: walk the groups from the last (highest score).
  for (let g = groups - 1, out = 1; g >= 0; g--, out++) {
    for (let k = groupStart[g]; k < groupStart[g + 1]; k++) {
      if (positive[order[k]]) tp++;
      else fp++;
    }
    tpsArr[out] = tp;
    fpsArr[out] = fp;
    thr[out] = scores[order[groupStart[g]]];
  }
  if (options.dropIntermediate && groups > 2) {
    // sklearn: keep i where the second difference of fps or tps is non-zero, plus both ends.
    // sklearn applies this to the curve before prepending (0,0); index 0 here is that extra point.
    const m = groups; // points without the prepended one
    const keep: number[] = [0];
    for (let i = 0; i < m; i++) {
      const idx = i + 1;
      if (i === 0 || i === m - 1) { keep.push(idx); continue; }
      const d2f = fpsArr[idx + 1] - 2 * fpsArr[idx] + fpsArr[idx - 1];
      const d2t = tpsArr[idx + 1] - 2 * tpsArr[idx] + tpsArr[idx - 1];
      if (d2f !== 0 || d2t !== 0) keep.push(idx);
    }
    fpsArr = Float64Array.from(keep, (i) => fpsArr[i]);
    tpsArr = Float64Array.from(keep, (i) => tpsArr[i]);
    thr = Float64Array.from(keep, (i) => thr[i]);
  }
  const fpr = fpsArr.map((v) => (negatives ? v / negatives : NaN));
  const tpr = tpsArr.map((v) => (positives ? v / positives : NaN));
  fpr[0] = negatives ? 0 : NaN;
  tpr[0] = positives ? 0 : NaN;
  return { fpr, tpr, thresholds: thr };
}
