// DeLong variance and the paired test against the O(n²) definition computed with numpy/scipy
// (fixtures/auroc-cases.json), and the normal distribution against scipy.stats.norm.
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { delongCi, pairedDelongTest } from './delong.ts';
import { normalCdf, normalQuantile, normalSf } from './normal.ts';

interface Case {
  name: string;
  scores: number[];
  labels: number[];
  scoresB?: number[];
  auroc: number;
  delongVariance?: number;
  paired?: { aurocA: number; aurocB: number; variance: number; z: number; pValue: number };
}
const { cases } = JSON.parse(readFileSync(new URL('./fixtures/auroc-cases.json', import.meta.url), 'utf8')) as { cases: Case[] };
const rel = (a: number, b: number): number => Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);

for (const c of cases.filter((x) => x.delongVariance !== undefined)) {
  test(`DeLong variance = numpy O(n²) definition: ${c.name}`, () => {
    const d = delongCi(c.scores, c.labels);
    assert.ok(Math.abs(d.auroc - c.auroc) <= 1e-9);
    if (c.delongVariance === 0) assert.is(d.variance, 0);
    else assert.ok(rel(d.variance, c.delongVariance!) < 1e-9, `${d.variance} vs ${c.delongVariance}`);
    assert.ok(d.lower <= d.auroc && d.auroc <= d.upper && d.lower >= 0 && d.upper <= 1);
  });
}

for (const c of cases.filter((x) => x.paired)) {
  test(`paired DeLong test = numpy/scipy: ${c.name}`, () => {
    const r = pairedDelongTest(c.scores, c.scoresB!, c.labels);
    const p = c.paired!;
    assert.ok(Math.abs(r.aurocA - p.aurocA) <= 1e-9 && Math.abs(r.aurocB - p.aurocB) <= 1e-9);
    assert.ok(rel(r.variance, p.variance) < 1e-9, `variance ${r.variance} vs ${p.variance}`);
    assert.ok(rel(r.z, p.z) < 1e-9, `z ${r.z} vs ${p.z}`);
    assert.ok(rel(r.pValue, p.pValue) < 1e-9, `p ${r.pValue} vs ${p.pValue}`);
    assert.ok(r.lower < r.difference && r.difference < r.upper);
  });
}

test('paired test of a model with itself: z 0, p 1', () => {
  const c = cases[0];
  const r = pairedDelongTest(c.scores, c.scores, c.labels);
  assert.is(r.difference, 0);
  assert.is(r.z, 0);
  assert.is(r.pValue, 1);
});

test('DeLong interval of a perfect classifier is the point 1; tiny classes give NaN variance', () => {
  const d = delongCi([0.1, 0.2, 0.3, 0.7, 0.8, 0.9], [0, 0, 0, 1, 1, 1]);
  assert.is(d.auroc, 1);
  assert.is(d.variance, 0);
  assert.is(d.upper, 1);
  assert.ok(Number.isNaN(delongCi([0.2, 0.9], [0, 1]).variance));
});

test('normal distribution = scipy.stats.norm', () => {
  // scipy 1.10: norm.sf / norm.cdf / norm.ppf
  const sf: [number, number][] = [[0, 0.5], [1.96, 0.024997895148220435], [-1, 0.8413447460685429], [3, 0.0013498980316300933], [5, 2.866515718791933e-7], [10, 7.61985302416047e-24], [37, 5.7255712225239266e-300]];
  for (const [x, v] of sf) assert.ok(rel(normalSf(x), v) < 1e-12, `sf(${x}) = ${normalSf(x)} vs ${v}`);
  assert.ok(rel(normalCdf(-8), 6.22096057427174e-16) < 1e-12);
  const ppf: [number, number][] = [[0.975, 1.959963984540054], [0.01, -2.3263478740408408], [1e-10, -6.361340902404056], [0.5, 0]];
  for (const [p, v] of ppf) assert.ok(Math.abs(normalQuantile(p) - v) < 1e-13, `ppf(${p}) = ${normalQuantile(p)} vs ${v}`);
});

test.run();
