// Per-finding image-level AUROC: how well the detector's best box of a finding tells the images
// that have that finding from those that do not.
import { FINDINGS } from '../common/model-config.ts';
import { auroc } from './auroc.ts';
import { delongCi } from './delong.ts';
import type { ImageBoxes } from './detection-ap.ts';

/** Image-level AUROC of one finding. */
export interface FindingAuroc {
  finding: string;
  /** NaN when no image, or every image, has the finding. */
  auroc: number;
  /** DeLong 95% interval (NaN when a class has fewer than 2 images). */
  lower: number;
  upper: number;
  /** Images with at least one ground-truth box of the finding. */
  positives: number;
  negatives: number;
}

/**
 * Image-level scores of one finding: the highest detection score of that finding in each image,
 * 0 when the image has none; labels: 1 when the image has a ground-truth box of that finding.
 * @example findingScores(images, 'Osteophytes') // { scores: Float64Array, labels: Uint8Array }
 */
export function findingScores(images: readonly ImageBoxes[], finding: string): { scores: Float64Array; labels: Uint8Array } {
  const scores = new Float64Array(images.length);
  const labels = new Uint8Array(images.length);
  for (let i = 0; i < images.length; i++) {
    let best = 0;
    for (const d of images[i].detections) if (d.label === finding && d.score > best) best = d.score;
    scores[i] = best;
    labels[i] = images[i].groundTruth.some((g) => g.label === finding) ? 1 : 0;
  }
  return { scores, labels };
}

/**
 * Per-finding image-level AUROC (score = highest box score of the finding in the image, 0 if none;
 * label = the image has a ground-truth box of the finding), with DeLong intervals.
 * @example findingAuroc(images).find((f) => f.finding === 'Surgical implant')?.auroc // 0.97
 */
export function findingAuroc(images: readonly ImageBoxes[], findings: readonly string[] = FINDINGS): FindingAuroc[] {
  return findings.map((finding) => {
    const { scores, labels } = findingScores(images, finding);
    let positives = 0;
    for (const l of labels) positives += l;
    const d = delongCi(scores, labels);
    return { finding, auroc: auroc(scores, labels), lower: d.lower, upper: d.upper, positives, negatives: images.length - positives };
  });
}
