// Youden-J and metrics at a threshold: a hand example and the sklearn-derived fixtures.
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { confusionAt, metricsAt, youdenThreshold } from './operating-point.ts';

test('Youden-J on a hand example', () => {
  // scores 0.1 0.2 0.3 0.4 0.5 0.6 0.7 0.8; positives at 0.3, 0.6, 0.7, 0.8.
  // Threshold 0.6: TPR 3/4, FPR 0/4 → J 0.75; threshold 0.3: TPR 1, FPR 2/4 → J 0.5.
  const s = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8];
  const y = [0, 0, 1, 0, 0, 1, 1, 1];
  const p = youdenThreshold(s, y);
  assert.is(p.threshold, 0.6);
  assert.is(p.j, 0.75);
  assert.is(p.sensitivity, 0.75);
  assert.is(p.specificity, 1);
});

test('Youden-J ties go to the highest threshold', () => {
  // Thresholds 0.9 (J = 1/2 − 0) and 0.5 (J = 1 − 1/2) tie at 0.5.
  assert.is(youdenThreshold([0.9, 0.5, 0.5, 0.1], [1, 1, 0, 0]).threshold, 0.9);
});

test('Youden-J = numpy argmax(tpr − fpr) over sklearn roc_curve (fixtures)', () => {
  const { cases } = JSON.parse(readFileSync(new URL('./fixtures/auroc-cases.json', import.meta.url), 'utf8')) as {
    cases: { name: string; scores: number[]; labels: number[]; youden: { threshold: number; j: number } }[];
  };
  for (const c of cases) {
    const p = youdenThreshold(c.scores, c.labels);
    assert.is(p.threshold, c.youden.threshold, c.name);
    assert.ok(Math.abs(p.j - c.youden.j) < 1e-12, c.name);
  }
});

test('metrics at a threshold: score ≥ threshold is positive', () => {
  const s = [0.2, 0.5, 0.5, 0.7, 0.9, 0.1];
  const y = [0, 0, 1, 1, 0, 1];
  assert.equal(confusionAt(s, y, 0.5), { tp: 2, fp: 2, tn: 1, fn: 1 });
  const m = metricsAt(s, y, 0.5);
  assert.is(m.sensitivity, 2 / 3);
  assert.is(m.specificity, 1 / 3);
  assert.is(m.precision, 0.5);
  assert.is(m.f1, 4 / 7);
  assert.is(m.accuracy, 0.5);
  assert.ok(Number.isNaN(metricsAt([0.1], [0], 0.5).precision));
  assert.ok(Number.isNaN(youdenThreshold([0.1, 0.2], [0, 0]).threshold));
});

test.run();
