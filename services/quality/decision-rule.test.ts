// The paper's decision rule.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { applyDecisionRule, DEFAULT_MIN_SCORE_BELOW, PAPER_OPERATING_POINT } from './decision-rule.ts';

const boxes = [{ score: 0.9, id: 'a' }, { score: 0.5, id: 'b' }, { score: 0.2, id: 'c' }];

test('p ≥ operating point keeps every box, unchanged, in a new array', () => {
  const out = applyDecisionRule(0.2808, boxes, { operatingPoint: PAPER_OPERATING_POINT });
  assert.equal(out, boxes);
  assert.is.not(out, boxes);
});

test('p below the operating point keeps only boxes scoring strictly above 0.5, scores not rescaled', () => {
  const out = applyDecisionRule(0.28, boxes, { operatingPoint: PAPER_OPERATING_POINT });
  assert.equal(out, [{ score: 0.9, id: 'a' }]);
  assert.is(DEFAULT_MIN_SCORE_BELOW, 0.5);
});

test('minScoreBelow is configurable', () => {
  assert.equal(applyDecisionRule(0, boxes, { operatingPoint: 0.5, minScoreBelow: 0.1 }).map((b) => b.id), ['a', 'b', 'c']);
});

test.run();
