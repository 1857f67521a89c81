// The whole evaluation on synthetic data: report keys (the JSON contract), tables, figures.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import sharp from 'sharp';
import type { PairedImage } from './csv.ts';
import { applyDecisionRule } from './decision-rule.ts';
import { detectionAp } from './detection-ap.ts';
import { evaluate, reportToJson } from './evaluate.ts';
import { reportFigures } from './plots.ts';
import { formatMarkdown, formatTerminal } from './report.ts';
import { syntheticImages, syntheticScores } from './synthetic-data.ts';

const n = 300;
const { scores, labels } = syntheticScores(n, 5);
const boxes = syntheticImages(n, 20, 6, labels);
const pairs: PairedImage[] = boxes.map((b, i) => ({
  annotation: { imageId: `i${i}`, studyId: `s${i}`, seriesId: '', radId: '', line: i + 2, boxes: [...b.groundTruth], abnormal: b.groundTruth.length > 0 },
  prediction: { imageId: `i${i}`, abnormalScore: scores[i], detections: [...b.detections] },
}));
const report = evaluate(pairs, { bootstrapSamples: 500, seed: 9 });

test('report keys are the documented JSON contract', () => {
  const json = JSON.parse(reportToJson(report));
  assert.equal(Object.keys(json), ['schema', 'images', 'settings', 'classification', 'detection', 'findingAuroc']);
  assert.is(json.schema, 'spinexr.eval/v1');
  assert.equal(Object.keys(json.settings), ['bootstrapSamples', 'seed', 'confidence', 'operatingPoint', 'operatingPointSource', 'minScoreBelow', 'iouThreshold', 'maxDetectionsPerImage']);
  assert.equal(Object.keys(json.classification), ['auroc', 'youden', 'threshold', 'sensitivity', 'specificity', 'precision', 'f1', 'accuracy', 'confusion', 'roc']);
  assert.equal(Object.keys(json.classification.auroc), ['value', 'bootstrap', 'delong']);
  assert.equal(Object.keys(json.classification.f1), ['value', 'lower', 'upper']);
  assert.equal(Object.keys(json.detection), ['recallPoints', 'detectorAlone', 'withDecisionRule']);
  assert.equal(Object.keys(json.detection.detectorAlone), ['mAP', 'excluded', 'perFinding']);
  assert.equal(Object.keys(json.detection.detectorAlone.perFinding.Osteophytes), ['ap', 'groundTruthBoxes', 'detections', 'truePositives', 'precision']);
  assert.equal(Object.keys(json.findingAuroc['Other lesions']), ['auroc', 'lower', 'upper', 'positives', 'negatives']);
  assert.is(json.classification.roc.thresholds[0], null); // +Infinity
  assert.is(json.detection.recallPoints.length, 101);
});

test('operating point: Youden-J by default, given value used for metrics and the decision rule', () => {
  assert.is(report.settings.operatingPointSource, 'youden');
  assert.is(report.classification.threshold, report.classification.youden.threshold);
  const given = evaluate(pairs, { bootstrapSamples: 50, operatingPoint: 0.2808 });
  assert.is(given.settings.operatingPointSource, 'given');
  assert.is(given.classification.threshold, 0.2808);
  const fused = detectionAp(pairs.map((p) => ({ groundTruth: p.annotation.boxes, detections: applyDecisionRule(p.prediction.abnormalScore, p.prediction.detections, { operatingPoint: 0.2808 }) })));
  assert.is(given.detection.withDecisionRule.mAP, fused.mAP);
  assert.ok(report.classification.auroc.bootstrap.lower < report.classification.auroc.value);
});

test('terminal and markdown tables in the paper\'s form', () => {
  const t = formatTerminal(report);
  for (const s of ['AUROC', 'Sensitivity', 'Specificity', 'F1', 'detector alone', 'with the decision rule', 'DSN', 'mAP', 'Other lesions']) assert.ok(t.includes(s), s);
  const md = formatMarkdown(report);
  assert.match(md, /^# SpineXR evaluation: 300 images/);
  assert.match(md, /\| AUROC \| \d+\.\d\d \| \d+\.\d\d–\d+\.\d\d \| \d+\.\d\d–\d+\.\d\d \|/);
});

test('figures are SVG documents that render', async () => {
  const figs = reportFigures(report);
  assert.equal(figs.map((f) => f.name).slice(0, 3), ['roc.svg', 'pr-findings.svg', 'pr-osteophytes.svg']);
  assert.is(figs.length, 9);
  for (const f of figs) {
    assert.match(f.svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    assert.ok(!f.svg.includes('NaN'), f.name);
  }
  const png = await sharp(Buffer.from(figs[0].svg)).png().toBuffer();
  const meta = await sharp(png).metadata();
  assert.is(meta.width, 680);
});

test.run();
