// Cross-checks AUROC and ROC curves against scikit-learn's values (fixtures/auroc-cases.json).
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { auroc, MetricInputError, rocCurve, sortScores, weightedAuroc } from './auroc.ts';

interface Case {
  name: string;
  scores: number[];
  labels: number[];
  auroc: number;
  roc: { fpr: number[]; tpr: number[]; thresholds: number[] };
  rocDropIntermediate: { fpr: number[]; tpr: number[]; thresholds: number[] };
}
const { cases } = JSON.parse(readFileSync(new URL('./fixtures/auroc-cases.json', import.meta.url), 'utf8')) as { cases: Case[] };

function close(actual: ArrayLike<number>, expected: number[], tol: number, what: string): void {
  assert.is(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= tol, `${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
  }
}

test('fixtures cover the required situations', () => {
  assert.ok(cases.length >= 10);
  for (const word of ['ties', 'same', 'tiny', 'imbalanced']) assert.ok(cases.some((c) => c.name.includes(word)), word);
});

for (const c of cases) {
  test(`auroc = sklearn roc_auc_score to 1e-9: ${c.name}`, () => {
    assert.ok(Math.abs(auroc(c.scores, c.labels) - c.auroc) <= 1e-9, `${auroc(c.scores, c.labels)} vs ${c.auroc}`);
    const ones = new Uint32Array(c.scores.length).fill(1);
    assert.ok(Math.abs(weightedAuroc(sortScores(c.scores, c.labels), ones) - c.auroc) <= 1e-9, 'weighted, all ones');
  });
  test(`rocCurve = sklearn roc_curve: ${c.name}`, () => {
    const r = rocCurve(c.scores, c.labels);
    close(r.fpr, c.roc.fpr, 1e-12, 'fpr');
    close(r.tpr, c.roc.tpr, 1e-12, 'tpr');
    assert.is(r.thresholds[0], Infinity);
    close(r.thresholds.subarray(1), c.roc.thresholds, 0, 'thresholds');
    const d = rocCurve(c.scores, c.labels, { dropIntermediate: true });
    close(d.fpr, c.rocDropIntermediate.fpr, 1e-12, 'fpr (drop_intermediate)');
    close(d.tpr, c.rocDropIntermediate.tpr, 1e-12, 'tpr (drop_intermediate)');
    close(d.thresholds.subarray(1), c.rocDropIntermediate.thresholds, 0, 'thresholds (drop_intermediate)');
  });
}

test('weighted AUROC with counts equals AUROC of the expanded sample', () => {
  const c = cases[1];
  const counts = new Uint32Array(c.scores.length);
  const s: number[] = [];
  const l: number[] = [];
  for (let i = 0; i < counts.length; i++) {
    counts[i] = (i * 7919) % 4; // 0..3 copies
    for (let k = 0; k < counts[i]; k++) { s.push(c.scores[i]); l.push(c.labels[i]); }
  }
  assert.ok(Math.abs(weightedAuroc(sortScores(c.scores, c.labels), counts) - auroc(s, l)) < 1e-12);
});

test('hand example and undefined cases', () => {
  assert.is(auroc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]), 0.75);
  assert.is(auroc([0.5, 0.5], [true, false]), 0.5);
  assert.ok(Number.isNaN(auroc([0.1, 0.2], [1, 1])));
  assert.ok(Number.isNaN(auroc([], [])));
  assert.ok(Number.isNaN(weightedAuroc(sortScores([0.1, 0.9], [0, 1]), new Uint32Array([2, 0]))));
});

test('refuses NaN scores and mismatched lengths', () => {
  assert.throws(() => auroc([0.1, NaN], [0, 1]), (e: unknown) => e instanceof MetricInputError && /NaN/.test((e as Error).message));
  assert.throws(() => auroc([0.1], [0, 1]), (e: unknown) => e instanceof MetricInputError && /length/.test((e as Error).message));
});

test.run();
