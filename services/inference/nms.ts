// Per-class non-maximum suppression over boxes in any one coordinate frame.

export interface ScoredBox {
  label: number;
  score: number;
  xmin: number;
  ymin: number;
  xmax: number;
  ymax: number;
}

/** Intersection over union of two boxes (continuous coordinates, no +1). */
export function iou(a: ScoredBox, b: ScoredBox): number {
  const iw = Math.min(a.xmax, b.xmax) - Math.max(a.xmin, b.xmin);
  const ih = Math.min(a.ymax, b.ymax) - Math.max(a.ymin, b.ymin);
  if (iw <= 0 || ih <= 0) return 0;
  const inter = iw * ih;
  const union = (a.xmax - a.xmin) * (a.ymax - a.ymin) + (b.xmax - b.xmin) * (b.ymax - b.ymin) - inter;
  return union > 0 ? inter / union : 0;
}

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
