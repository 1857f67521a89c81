// Per-finding image-level AUROC.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { findingAuroc, findingScores } from './finding-auroc.ts';
import type { ImageBoxes } from './detection-ap.ts';

const b = { xmin: 0, ymin: 0, xmax: 1, ymax: 1 };
const images: ImageBoxes[] = [
  { groundTruth: [{ label: 'Osteophytes', ...b }], detections: [{ label: 'Osteophytes', score: 0.3, ...b }, { label: 'Osteophytes', score: 0.8, ...b }] },
  { groundTruth: [], detections: [{ label: 'Osteophytes', score: 0.6, ...b }, { label: 'Surgical implant', score: 0.99, ...b }] },
  { groundTruth: [{ label: 'Osteophytes', ...b }], detections: [] },
  { groundTruth: [], detections: [] },
];

test('score = highest box of the finding (0 if none); label = has a box of the finding', () => {
  const { scores, labels } = findingScores(images, 'Osteophytes');
  assert.equal(Array.from(scores), [0.8, 0.6, 0, 0]);
  assert.equal(Array.from(labels), [1, 0, 1, 0]);
});

test('AUROC per finding; NaN where a finding is absent', () => {
  const r = findingAuroc(images);
  // positives 0.8, 0; negatives 0.6, 0 → pairs: (0.8>0.6)=1, (0.8>0)=1, (0<0.6)=0, (0=0)=0.5 → 2.5/4.
  assert.is(r[0].auroc, 0.625);
  assert.is(r[0].positives, 2);
  assert.is(r[0].negatives, 2);
  assert.ok(Number.isNaN(r[1].auroc));
  assert.is(r.length, 7);
});

test.run();
