// Benchmark of the quality metrics against the targets (one core, synthetic data of the
// VinDr-SpineXR test set's size). Run: node --import tsx services/quality/quality.bench.ts
import { auroc } from './auroc.ts';
import { bootstrapAurocCi, bootstrapClassificationCi } from './bootstrap.ts';
import { delongCi } from './delong.ts';
import { detectionAp } from './detection-ap.ts';
import { syntheticImages, syntheticScores, TEST_SET_IMAGES } from './synthetic-data.ts';

function time<T>(label: string, targetMs: number | null, fn: () => T, repeats = 3): T {
  fn(); // warm up the JIT
  let best = Infinity;
  let out!: T;
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    out = fn();
    best = Math.min(best, performance.now() - t0);
  }
  const verdict = targetMs === null ? '' : best < targetMs ? `  ok (target < ${targetMs} ms)` : `  SLOWER than the target ${targetMs} ms`;
  console.log(`${label.padEnd(62)} ${best.toFixed(1).padStart(8)} ms${verdict}`);
  return out;
}

console.log(`node ${process.version}, best of 3 after a warm-up run\n`);
const { scores, labels } = syntheticScores(TEST_SET_IMAGES, 1);
const ci = time(`bootstrap CI of AUROC, 10,000 resamples, ${TEST_SET_IMAGES} images`, 2000, () => bootstrapAurocCi(scores, labels, { samples: 10_000, seed: 1 }));
console.log(`  → AUROC ${ci.estimate.toFixed(4)} (${ci.lower.toFixed(4)}–${ci.upper.toFixed(4)})`);
const tied = syntheticScores(TEST_SET_IMAGES, 1, 1.6, 2);
time(`  same, with ties (scores rounded to 0.01)`, 2000, () => bootstrapAurocCi(tied.scores, tied.labels, { samples: 10_000, seed: 1 }));
time(`bootstrap CIs of AUROC + sens/spec/precision/F1 (one pass)`, null, () => bootstrapClassificationCi(scores, labels, 0.5, { samples: 10_000, seed: 1 }));
time(`DeLong CI, ${TEST_SET_IMAGES} images`, null, () => delongCi(scores, labels));

const big = syntheticScores(1_000_000, 2);
const a = time('AUROC of 1,000,000 scores', 1000, () => auroc(big.scores, big.labels));
console.log(`  → ${a.toFixed(6)}`);
const bigTies = syntheticScores(1_000_000, 2, 1.6, 3);
time('AUROC of 1,000,000 scores with ties (rounded to 0.001)', 1000, () => auroc(bigTies.scores, bigTies.labels));

const images = syntheticImages(TEST_SET_IMAGES, 100, 3);
const boxes = images.reduce((s, im) => s + im.detections.length, 0);
const r = time(`mAP@0.5, ${TEST_SET_IMAGES} images × 100 boxes (${boxes} detections)`, 1000, () => detectionAp(images));
console.log(`  → mAP ${r.mAP.toFixed(4)}`);
