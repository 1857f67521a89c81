// Per-class non-maximum suppression over boxes in any one coordinate frame.
import { iou } from '../quality/detection-ap.ts';

export interface ScoredBox {
  label: number;
  score: number;
  xmin: number;
  ymin: number;
  xmax: number;
  ymax: number;
}

/** Intersection over union, the same function the quality metrics use (continuous coordinates, no +1). */
export { iou };

/**
 * Keeps, per label, the highest-scoring boxes that overlap no kept box of that label by more
 * than `iouThreshold`; returns at most `maxDetections`, sorted by descending score.
 * @example perClassNms(boxes, 0.5, 100)
 */
export function perClassNms<T extends ScoredBox>(boxes: T[], iouThreshold: number, maxDetections: number): T[] {
  const sorted = [...boxes].sort((a, b) => b.score - a.score);
  const kept: T[] = [];
  for (const box of sorted) {
    if (kept.length >= maxDetections) break;
    let suppressed = false;
    for (const k of kept) {
      if (k.label === box.label && iou(k, box) > iouThreshold) {
        suppressed = true;
        break;
      }
    }
    if (!suppressed) kept.push(box);
  }
  return kept;
}
