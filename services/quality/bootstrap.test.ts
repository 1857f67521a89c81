// The bootstrap: reproducible per seed, intervals around the estimate, numpy's percentile rule.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { auroc } from './auroc.ts';
import { bootstrapAurocCi, bootstrapClassificationCi, bootstrapDistributions, mulberry32, percentileInterval } from './bootstrap.ts';
import { metricsAt } from './operating-point.ts';
import { syntheticScores } from './synthetic-data.ts';

const { scores, labels } = syntheticScores(500, 3);

test('mulberry32 is deterministic, 32-bit, and seed-dependent', () => {
  const a = mulberry32(1);
  const b = mulberry32(1);
  const c = mulberry32(2);
  const xs = Array.from({ length: 5 }, () => a());
  assert.equal(xs, Array.from({ length: 5 }, () => b()));
  assert.not.equal(xs, Array.from({ length: 5 }, () => c()));
  for (const x of xs) assert.ok(Number.isInteger(x) && x >= 0 && x < 2 ** 32);
});

test('same seed → same interval; other seed → other interval', () => {
  const a = bootstrapAurocCi(scores, labels, { samples: 2000, seed: 42 });
  const b = bootstrapAurocCi(scores, labels, { samples: 2000, seed: 42 });
  const c = bootstrapAurocCi(scores, labels, { samples: 2000, seed: 43 });
  assert.equal(a, b);
  assert.ok(a.lower !== c.lower || a.upper !== c.upper);
});

test('AUROC interval contains the estimate, which is the exact AUROC', () => {
  const ci = bootstrapAurocCi(scores, labels, { samples: 3000, seed: 7 });
  assert.ok(Math.abs(ci.estimate - auroc(scores, labels)) < 1e-12);
  assert.ok(ci.lower < ci.estimate && ci.estimate < ci.upper, JSON.stringify(ci));
  assert.ok(ci.upper - ci.lower < 0.15 && ci.upper - ci.lower > 0.01);
  assert.is(ci.samples + ci.dropped, 3000);
  assert.is(ci.confidence, 0.95);
});

test('classification intervals: estimates equal metricsAt, each interval contains its estimate', () => {
  const r = bootstrapClassificationCi(scores, labels, 0.5, { samples: 2000, seed: 1 });
  const m = metricsAt(scores, labels, 0.5);
  for (const k of ['sensitivity', 'specificity', 'precision', 'f1'] as const) {
    assert.ok(Math.abs(r[k].estimate - m[k]) < 1e-12, k);
    assert.ok(r[k].lower <= r[k].estimate && r[k].estimate <= r[k].upper, k);
  }
  // The AUROC distribution uses the same resamples as bootstrapAurocCi with the same seed.
  assert.equal(r.auroc, bootstrapAurocCi(scores, labels, { samples: 2000, seed: 1 }));
});

test('percentile interval follows numpy.percentile (linear) and drops NaN', () => {
  const d = Float64Array.from([5, 1, NaN, 4, 2, 3]);
  const ci = percentileInterval(d, 3, 0.9);
  // numpy.percentile([1,2,3,4,5], [5, 95]) = [1.2, 4.8]
  assert.ok(Math.abs(ci.lower - 1.2) < 1e-12 && Math.abs(ci.upper - 4.8) < 1e-12);
  assert.is(ci.samples, 5);
  assert.is(ci.dropped, 1);
});

test('resamples with a missing class are dropped, not counted', () => {
  const ci = bootstrapAurocCi([0.1, 0.2, 0.9], [0, 0, 1], { samples: 500, seed: 3 });
  assert.ok(ci.dropped > 0 && ci.samples + ci.dropped === 500);
});

test('counts of a resample sum to n', () => {
  let ok = true;
  bootstrapDistributions(37, 1, (c, out) => { ok &&= c.reduce((s, v) => s + v, 0) === 37; out[0] = 0; }, { samples: 50 });
  assert.ok(ok);
  assert.throws(() => bootstrapAurocCi(scores, labels, { samples: 0 }), /positive integer/);
});

test.run();
