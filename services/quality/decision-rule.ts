// The paper's decision rule: the classifier gates the detector. Pure, shared by evaluation and the
// serving cluster's fuse step, so "with the decision rule" numbers match what integrators receive.

/** Below the operating point, only boxes scoring above this survive (the paper's 0.5). */
export const DEFAULT_MIN_SCORE_BELOW = 0.5;
/** The operating point reported by the paper (Youden's J of its ensemble on validation). */
export const PAPER_OPERATING_POINT = 0.2808;

/** Options of {@link applyDecisionRule}. */
export interface DecisionRuleOptions {
  /** c*: the classifier's operating point on P(abnormal). */
  operatingPoint: number;
  /** Boxes kept below the operating point must score strictly above this (default {@link DEFAULT_MIN_SCORE_BELOW}). */
  minScoreBelow?: number;
}

/**
 * The paper's fusion rule: if p ≥ operatingPoint keep all boxes; else keep only boxes with
 * score > minScoreBelow (0.5). Scores are not rescaled; input order is kept; the input array
 * is never modified (a new array is returned).
 * @example applyDecisionRule(0.1, [{ score: 0.7 }, { score: 0.3 }], { operatingPoint: 0.2808 }) // [{ score: 0.7 }]
 */
export function applyDecisionRule<T extends { score: number }>(p: number, boxes: readonly T[], opts: DecisionRuleOptions): T[] {
  if (p >= opts.operatingPoint) return boxes.slice();
  const floor = opts.minScoreBelow ?? DEFAULT_MIN_SCORE_BELOW;
  return boxes.filter((b) => b.score > floor);
}
