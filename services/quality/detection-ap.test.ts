// AP@0.5 against the plain-loop COCO reference (fixtures/detection-ap-cases.json, itself checked
// against pycocotools where both cap detections alike), plus hand examples.
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FINDINGS } from '../common/model-config.ts';
import { MetricInputError } from './auroc.ts';
import { detectionAp, iou, RECALL_POINTS, type ImageBoxes } from './detection-ap.ts';

type Gt = [string, number, number, number, number];
type Dt = [string, number, number, number, number, number];
interface Case {
  name: string;
  maxDetectionsPerImage: number;
  images: { gt: Gt[]; dt: Dt[] }[];
  mAP: number | null;
  perFinding: Record<string, { ap: number | null; precision: number[] | null; groundTruthBoxes: number }>;
  pycocotoolsChecked: boolean;
}
const { cases } = JSON.parse(readFileSync(new URL('./fixtures/detection-ap-cases.json', import.meta.url), 'utf8')) as { cases: Case[] };

const toImages = (c: Case): ImageBoxes[] =>
  c.images.map((im) => ({
    groundTruth: im.gt.map(([label, xmin, ymin, xmax, ymax]) => ({ label, xmin, ymin, xmax, ymax })),
    detections: im.dt.map(([label, score, xmin, ymin, xmax, ymax]) => ({ label, score, xmin, ymin, xmax, ymax })),
  }));

test('fixtures cover the required situations, most checked against pycocotools', () => {
  for (const word of ['crowded', 'without ground truth', 'no predictions', 'ties', 'more than 100']) {
    assert.ok(cases.some((c) => c.name.includes(word)), word);
  }
  assert.ok(cases.filter((c) => c.pycocotoolsChecked).length >= 6);
});

for (const c of cases) {
  test(`AP@0.5 = COCO reference to 1e-6: ${c.name}`, () => {
    const r = detectionAp(toImages(c), { maxDetectionsPerImage: c.maxDetectionsPerImage });
    for (const f of r.perFinding) {
      const e = c.perFinding[f.finding];
      assert.is(f.groundTruthBoxes, e.groundTruthBoxes, `${f.finding} GT boxes`);
      if (e.ap === null) {
        assert.ok(Number.isNaN(f.ap), `${f.finding}: AP should be NaN`);
        assert.ok(r.excluded.includes(f.finding));
        continue;
      }
      assert.ok(Math.abs(f.ap - e.ap) <= 1e-6, `${f.finding}: ${f.ap} vs ${e.ap}`);
      for (let k = 0; k < 101; k++) assert.ok(Math.abs(f.precision[k] - e.precision![k]) <= 1e-9, `${f.finding} precision[${k}]`);
    }
    if (c.mAP === null) assert.ok(Number.isNaN(r.mAP));
    else assert.ok(Math.abs(r.mAP - c.mAP) <= 1e-6, `mAP ${r.mAP} vs ${c.mAP}`);
  });
}

test('IoU with continuous coordinates', () => {
  const a = { xmin: 0, ymin: 0, xmax: 2, ymax: 2 };
  assert.is(iou(a, { xmin: 1, ymin: 0, xmax: 3, ymax: 2 }), 1 / 3);
  assert.is(iou(a, a), 1);
  assert.is(iou(a, { xmin: 2, ymin: 0, xmax: 4, ymax: 2 }), 0);
  assert.is(iou(a, { xmin: 1, ymin: 1, xmax: 1, ymax: 1 }), 0);
});

test('hand example: one TP then one FP gives AP 1 up to recall 1/2', () => {
  const O = FINDINGS[0];
  const r = detectionAp([{
    groundTruth: [{ label: O, xmin: 0, ymin: 0, xmax: 10, ymax: 10 }, { label: O, xmin: 50, ymin: 50, xmax: 60, ymax: 60 }],
    detections: [{ label: O, score: 0.9, xmin: 0, ymin: 0, xmax: 10, ymax: 10 }, { label: O, score: 0.8, xmin: 20, ymin: 20, xmax: 30, ymax: 30 }],
  }]);
  const o = r.perFinding[0];
  // Precision 1 at recall 0 … 0.5 (51 points), 0 beyond: AP = 51/101.
  assert.ok(Math.abs(o.ap - 51 / 101) < 1e-15);
  assert.is(o.truePositives, 1);
  assert.is(r.excluded.length, 6);
  assert.is(r.mAP, o.ap);
  assert.is(RECALL_POINTS[100], 1);
});

test('a same-class box is needed; an unknown label is refused', () => {
  const box = { xmin: 0, ymin: 0, xmax: 10, ymax: 10 };
  const r = detectionAp([{ groundTruth: [{ label: FINDINGS[0], ...box }], detections: [{ label: FINDINGS[1], score: 1, ...box }] }]);
  assert.is(r.perFinding[0].ap, 0);
  assert.throws(() => detectionAp([{ groundTruth: [{ label: 'Fracture', ...box }], detections: [] }]), (e: unknown) => e instanceof MetricInputError && /Fracture/.test((e as Error).message));
});

test.run();
