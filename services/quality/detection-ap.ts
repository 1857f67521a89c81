// Detection AP@IoU 0.5 per finding with COCO's 101-point interpolation, and mAP over the findings,
// evaluated per image as pycocotools does (greedy matching by descending score).
import { FINDINGS } from '../common/model-config.ts';
import { MetricInputError } from './auroc.ts';

/** IoU threshold of the paper's protocol. */
export const DEFAULT_IOU_THRESHOLD = 0.5;
/** At most this many detections per image, across findings, as in the paper's protocol. */
export const DEFAULT_MAX_DETECTIONS_PER_IMAGE = 100;
/** COCO's recall points 0, 0.01, …, 1 (as numpy's `linspace(0, 1, 101)`: i · 0.01, last exactly 1). */
export const RECALL_POINTS: Float64Array = (() => {
  const r = new Float64Array(101);
  for (let i = 0; i < 101; i++) r[i] = i * 0.01;
  r[100] = 1;
  return r;
})();
// pycocotools divides by tp + fp + np.spacing(1).
const EPS = 2.220446049250313e-16;

/** An axis-aligned box in image pixels, continuous coordinates (area = (xmax−xmin)·(ymax−ymin)). */
export interface Box {
  xmin: number;
  ymin: number;
  xmax: number;
  ymax: number;
}
/** A ground-truth box of a finding. */
export interface LabeledBox extends Box {
  label: string;
}
/** A detected box with its confidence. */
export interface ScoredBox extends LabeledBox {
  score: number;
}
/** Ground truth and detections of one image. */
export interface ImageBoxes {
  groundTruth: readonly LabeledBox[];
  detections: readonly ScoredBox[];
}

/** Options of {@link detectionAp}. */
export interface DetectionApOptions {
  /** Class names; a label outside this list is an error. Default: the 7 findings. */
  findings?: readonly string[];
  /** Default {@link DEFAULT_IOU_THRESHOLD}. */
  iouThreshold?: number;
  /** Default {@link DEFAULT_MAX_DETECTIONS_PER_IMAGE}. */
  maxDetectionsPerImage?: number;
}

/** AP of one finding. */
export interface FindingAp {
  finding: string;
  /** Mean interpolated precision at the 101 recall points; NaN when the finding has no ground-truth box. */
  ap: number;
  groundTruthBoxes: number;
  /** Detections of this finding counted (after the per-image cap). */
  detections: number;
  truePositives: number;
  /** Interpolated precision at each of {@link RECALL_POINTS} (0 beyond the highest recall reached). */
  precision: Float64Array;
}

/** AP per finding and their mean. */
export interface DetectionApResult {
  perFinding: FindingAp[];
  /** Mean AP over the findings with at least one ground-truth box (NaN if none has). */
  mAP: number;
  /** Findings left out of mAP because they have no ground-truth box. */
  excluded: string[];
  iouThreshold: number;
  maxDetectionsPerImage: number;
}

/**
 * Intersection over union with continuous coordinates (no +1 pixel convention); 0 for empty boxes.
 * @example iou({ xmin: 0, ymin: 0, xmax: 2, ymax: 2 }, { xmin: 1, ymin: 0, xmax: 3, ymax: 2 }) // 1/3
 */
export function iou(a: Box, b: Box): number {
  const w = Math.min(a.xmax, b.xmax) - Math.max(a.xmin, b.xmin);
  if (w <= 0) return 0;
  const h = Math.min(a.ymax, b.ymax) - Math.max(a.ymin, b.ymin);
  if (h <= 0) return 0;
  const inter = w * h;
  const union = (a.xmax - a.xmin) * (a.ymax - a.ymin) + (b.xmax - b.xmin) * (b.ymax - b.ymin) - inter;
  return union > 0 ? inter / union : 0;
}

/**
 * AP@IoU per finding with COCO 101-point interpolation, and mAP.
 *
 * Per image: the detections are cut to the top `maxDetectionsPerImage` by score across findings
 * (stable: ties keep input order); per finding, detections in descending score order each take
 * the unmatched same-finding ground-truth box of highest IoU ≥ the threshold (pycocotools' loop:
 * on equal IoU the later box wins) and are true positives, else false positives. Per finding,
 * all images' detections are then ranked by score (ties: image order, then rank within image),
 * precision is made monotone (envelope) and read at recall 0, 0.01, …, 1 (first point reaching
 * that recall; 0 if never reached). A finding without ground truth has AP NaN and is left out of
 * mAP (pycocotools' −1); one with ground truth but no detection has AP 0.
 * @example detectionAp([{ groundTruth: [{ label: 'Osteophytes', xmin: 0, ymin: 0, xmax: 10, ymax: 10 }],
 *   detections: [{ label: 'Osteophytes', score: 0.9, xmin: 1, ymin: 0, xmax: 10, ymax: 10 }] }]).perFinding[0].ap // 1
 */
export function detectionAp(images: readonly ImageBoxes[], options: DetectionApOptions = {}): DetectionApResult {
  const findings = options.findings ?? FINDINGS;
  const iouThreshold = options.iouThreshold ?? DEFAULT_IOU_THRESHOLD;
  const maxDet = options.maxDetectionsPerImage ?? DEFAULT_MAX_DETECTIONS_PER_IMAGE;
  const K = findings.length;
  const classOf = new Map<string, number>(findings.map((f, i) => [f, i]));
  const cls = (label: string, where: string): number => {
    const c = classOf.get(label);
    if (c === undefined) throw new MetricInputError(`unknown finding "${label}" in ${where}`);
    return c;
  };
  const scores: number[][] = Array.from({ length: K }, () => []);
  const hits: number[][] = Array.from({ length: K }, () => []);
  const npig = new Array<number>(K).fill(0);
  const gtByClass: LabeledBox[][] = Array.from({ length: K }, () => []);
  const detByClass: ScoredBox[][] = Array.from({ length: K }, () => []);
  let matched = new Uint8Array(16);
  const startIou = Math.min(iouThreshold, 1 - 1e-10);

  for (let im = 0; im < images.length; im++) {
    const { groundTruth, detections } = images[im];
    for (let c = 0; c < K; c++) { gtByClass[c].length = 0; detByClass[c].length = 0; }
    for (const g of groundTruth) gtByClass[cls(g.label, `ground truth of image ${im}`)].push(g);
    let dets = detections;
    if (dets.length > 1) {
      // Stable descending order (Array#sort is stable), then the per-image cap.
      dets = dets.slice().sort((a, b) => b.score - a.score);
      if (dets.length > maxDet) dets = dets.slice(0, maxDet);
    }
    for (const d of dets) detByClass[cls(d.label, `detections of image ${im}`)].push(d);
    for (let c = 0; c < K; c++) {
      const gts = gtByClass[c];
      const ds = detByClass[c];
      npig[c] += gts.length;
      if (ds.length === 0) continue;
      if (matched.length < gts.length) matched = new Uint8Array(gts.length * 2);
      matched.fill(0, 0, gts.length);
      const sc = scores[c];
      const ht = hits[c];
      for (const d of ds) {
        let best = startIou;
        let m = -1;
        for (let g = 0; g < gts.length; g++) {
          if (matched[g]) continue;
          const o = iou(d, gts[g]);
          if (o < best) continue;
          best = o;
          m = g;
        }
        if (m >= 0) matched[m] = 1;
        sc.push(d.score);
        ht.push(m >= 0 ? 1 : 0);
      }
    }
  }

  const perFinding: FindingAp[] = [];
  for (let c = 0; c < K; c++) {
    perFinding.push(accumulate(findings[c], scores[c], hits[c], npig[c]));
  }
  const defined = perFinding.filter((f) => !Number.isNaN(f.ap));
  return {
    perFinding,
    mAP: defined.length ? defined.reduce((s, f) => s + f.ap, 0) / defined.length : NaN,
    excluded: perFinding.filter((f) => Number.isNaN(f.ap)).map((f) => f.finding),
    iouThreshold,
    maxDetectionsPerImage: maxDet,
  };
}

function accumulate(finding: string, scores: number[], hits: number[], npig: number): FindingAp {
  const nd = scores.length;
  const precisionAt = new Float64Array(RECALL_POINTS.length);
  let truePositives = 0;
  for (let i = 0; i < nd; i++) truePositives += hits[i];
  if (npig === 0) {
    return { finding, ap: NaN, groundTruthBoxes: 0, detections: nd, truePositives, precision: precisionAt.fill(NaN) };
  }
  const order = new Uint32Array(nd);
  for (let i = 0; i < nd; i++) order[i] = i;
  order.sort((a, b) => scores[b] - scores[a] || a - b);
  const rc = new Float64Array(nd);
  const pr = new Float64Array(nd);
  let tp = 0;
  let fp = 0;
  for (let k = 0; k < nd; k++) {
    if (hits[order[k]]) tp++;
    else fp++;
    rc[k] = tp / npig;
    pr[k] = tp / (tp + fp + EPS);
  }
  for (let k = nd - 1; k > 0; k--) if (pr[k - 1] < pr[k]) pr[k - 1] = pr[k];
  // searchsorted(rc, r, side='left'): first k with rc[k] >= r; rc is non-decreasing.
  let k = 0;
  let sum = 0;
  for (let r = 0; r < RECALL_POINTS.length; r++) {
    while (k < nd && rc[k] < RECALL_POINTS[r]) k++;
    if (k >= nd) break;
    precisionAt[r] = pr[k];
    sum += pr[k];
  }
  return { finding, ap: sum / RECALL_POINTS.length, groundTruthBoxes: npig, detections: nd, truePositives, precision: precisionAt };
}
