import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { iou, perClassNms, type ScoredBox } from './nms.ts';

const box = (label: number, score: number, x: number, y: number, w = 10, h = 10): ScoredBox => ({ label, score, xmin: x, ymin: y, xmax: x + w, ymax: y + h });

test('iou of identical, disjoint and half-overlapping boxes', () => {
  assert.is(iou(box(0, 1, 0, 0), box(0, 1, 0, 0)), 1);
  assert.is(iou(box(0, 1, 0, 0), box(0, 1, 20, 20)), 0);
  assert.ok(Math.abs(iou(box(0, 1, 0, 0), box(0, 1, 5, 0)) - 50 / 150) < 1e-12);
});

test('suppresses lower-scoring overlaps of the same class only', () => {
  const kept = perClassNms([box(0, 0.6, 1, 0), box(0, 0.9, 0, 0), box(1, 0.8, 0, 0), box(0, 0.7, 40, 40)], 0.5, 100);
  assert.equal(kept.map((b) => [b.label, b.score]), [[0, 0.9], [1, 0.8], [0, 0.7]]);
});

test('keeps overlaps at or below the IoU threshold', () => {
  const kept = perClassNms([box(0, 0.9, 0, 0), box(0, 0.8, 5, 0)], 1 / 3, 100); // IoU exactly 1/3
  assert.is(kept.length, 2);
});

test('caps at maxDetections, best first', () => {
  const many = Array.from({ length: 50 }, (_, i) => box(i % 7, i / 50, i * 20, 0));
  const kept = perClassNms(many, 0.5, 10);
  assert.is(kept.length, 10);
  assert.is(kept[0].score, 49 / 50);
  for (let i = 1; i < kept.length; i++) assert.ok(kept[i - 1].score >= kept[i].score);
});

test.run();
