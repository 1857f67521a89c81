// Seeded synthetic evaluation data (scores, ground-truth and detected boxes) of the test set's
// size, for the benchmark, tests and demos; shaped like VinDr-SpineXR, not drawn from it.
import { FINDINGS } from '../common/model-config.ts';
import { mulberry32 } from './bootstrap.ts';
import type { ImageBoxes, LabeledBox, ScoredBox } from './detection-ap.ts';

/** Images in the VinDr-SpineXR test set. */
export const TEST_SET_IMAGES = 2078;

/** A uniform [0, 1) generator from a seed. */
function uniform(seed: number): () => number {
  const next = mulberry32(seed);
  return () => next() / 4294967296;
}

/**
 * Binary labels (about half positive) and scores where positives score higher on average
 * (binormal, separation `d`); scores rounded to `decimals` to create ties when given.
 * @example const { scores, labels } = syntheticScores(2078, 1)
 */
export function syntheticScores(n: number, seed: number, d = 1.6, decimals?: number): { scores: Float64Array; labels: Uint8Array } {
  const u = uniform(seed);
  const gauss = (): number => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
  const scores = new Float64Array(n);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = u() < 0.486 ? 1 : 0;
    const z = gauss() + (labels[i] ? d : 0);
    let s = 1 / (1 + Math.exp(-(z - d / 2) * 1.3));
    if (decimals !== undefined) s = Number(s.toFixed(decimals));
    scores[i] = s;
  }
  return { scores, labels };
}

/**
 * Images with ground-truth boxes (abnormal ones, 1–6 boxes) and `detectionsPerImage` detections
 * each: jittered copies of the ground truth (high scores) plus random boxes (low scores).
 * @example detectionAp(syntheticImages(2078, 100, 7))
 */
export function syntheticImages(n: number, detectionsPerImage: number, seed: number, abnormal?: ArrayLike<number>): ImageBoxes[] {
  const u = uniform(seed);
  const pick = (): string => FINDINGS[Math.min(FINDINGS.length - 1, Math.floor(u() ** 1.8 * FINDINGS.length))];
  const box = (cx: number, cy: number, w: number, h: number) => ({ xmin: cx - w / 2, ymin: cy - h / 2, xmax: cx + w / 2, ymax: cy + h / 2 });
  const images: ImageBoxes[] = [];
  for (let i = 0; i < n; i++) {
    const groundTruth: LabeledBox[] = [];
    const isAbnormal = abnormal ? abnormal[i] === 1 : u() < 0.5;
    if (isAbnormal) {
      const k = 1 + Math.floor(u() * 6);
      for (let j = 0; j < k; j++) groundTruth.push({ label: pick(), ...box(200 + u() * 1200, 200 + u() * 2000, 60 + u() * 200, 60 + u() * 200) });
    }
    const detections: ScoredBox[] = [];
    for (const g of groundTruth) {
      if (detections.length >= detectionsPerImage || u() < 0.25) continue;
      const w = g.xmax - g.xmin;
      const h = g.ymax - g.ymin;
      const jitter = (): number => (u() - 0.5) * 0.35;
      detections.push({
        label: u() < 0.85 ? g.label : pick(),
        score: 0.3 + 0.7 * u(),
        ...box((g.xmin + g.xmax) / 2 + jitter() * w, (g.ymin + g.ymax) / 2 + jitter() * h, w * (1 + jitter()), h * (1 + jitter())),
      });
    }
    while (detections.length < detectionsPerImage) {
      detections.push({ label: pick(), score: 0.6 * u() ** 2, ...box(200 + u() * 1200, 200 + u() * 2000, 60 + u() * 200, 60 + u() * 200) });
    }
    images.push({ groundTruth, detections });
  }
  return images;
}
