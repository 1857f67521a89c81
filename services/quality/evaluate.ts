// The paper's evaluation of one set of predictions: classification (AUROC with bootstrap and
// DeLong intervals, metrics at the operating point), detection AP@0.5 with and without the
// decision rule, per-finding AUROC. Returns a plain object whose keys are the JSON report's keys.
import { FINDINGS } from '../common/model-config.ts';
import { rocCurve } from './auroc.ts';
import { bootstrapClassificationCi, DEFAULT_BOOTSTRAP_SAMPLES, DEFAULT_BOOTSTRAP_SEED, DEFAULT_CONFIDENCE, type ConfidenceInterval } from './bootstrap.ts';
import type { PairedImage } from './csv.ts';
import { applyDecisionRule, DEFAULT_MIN_SCORE_BELOW } from './decision-rule.ts';
import { delongCi } from './delong.ts';
import { DEFAULT_IOU_THRESHOLD, DEFAULT_MAX_DETECTIONS_PER_IMAGE, detectionAp, RECALL_POINTS, type DetectionApResult, type ImageBoxes } from './detection-ap.ts';
import { findingAuroc } from './finding-auroc.ts';
import { metricsAt, youdenThreshold } from './operating-point.ts';

/** Version of the JSON report's shape; bumped only when a key changes meaning or disappears. */
export const REPORT_SCHEMA = 'spinexr.eval/v1';

/** Where the operating point came from. */
export const OperatingPointSource = { Youden: 'youden', Given: 'given' } as const;
export type OperatingPointSource = (typeof OperatingPointSource)[keyof typeof OperatingPointSource];

/** Options of {@link evaluate}. */
export interface EvaluationOptions {
  /** Bootstrap resamples (default 10,000). */
  bootstrapSamples?: number;
  seed?: number;
  confidence?: number;
  /** c* for the metrics at a threshold and for the decision rule; default: Youden-J on these predictions. */
  operatingPoint?: number;
  minScoreBelow?: number;
  iouThreshold?: number;
  maxDetectionsPerImage?: number;
}

/** A value with an interval. */
export interface Estimate {
  value: number;
  lower: number;
  upper: number;
}

/** AP table of one detector setting. */
export interface ApTable {
  mAP: number;
  /** Findings without ground-truth boxes: AP null, left out of mAP. */
  excluded: string[];
  perFinding: Record<string, { ap: number; groundTruthBoxes: number; detections: number; truePositives: number; precision: number[] }>;
}

/** The evaluation report; JSON key names are stable (see services/quality/README.md). */
export interface EvaluationReport {
  schema: typeof REPORT_SCHEMA;
  images: { total: number; abnormal: number; normal: number };
  settings: {
    bootstrapSamples: number;
    seed: number;
    confidence: number;
    operatingPoint: number;
    operatingPointSource: OperatingPointSource;
    minScoreBelow: number;
    iouThreshold: number;
    maxDetectionsPerImage: number;
  };
  classification: {
    auroc: { value: number; bootstrap: { lower: number; upper: number }; delong: { lower: number; upper: number; standardError: number } };
    /** The Youden-J point found on these predictions (whatever the operating point used). */
    youden: { threshold: number; j: number };
    threshold: number;
    sensitivity: Estimate;
    specificity: Estimate;
    precision: Estimate;
    f1: Estimate;
    accuracy: number;
    confusion: { tp: number; fp: number; tn: number; fn: number };
    /** thresholds[0] is +Infinity (null in JSON). */
    roc: { fpr: number[]; tpr: number[]; thresholds: number[] };
  };
  detection: {
    recallPoints: number[];
    detectorAlone: ApTable;
    withDecisionRule: ApTable;
  };
  findingAuroc: Record<string, { auroc: number; lower: number; upper: number; positives: number; negatives: number }>;
}

const estimate = (ci: ConfidenceInterval): Estimate => ({ value: ci.estimate, lower: ci.lower, upper: ci.upper });

function apTable(r: DetectionApResult): ApTable {
  const perFinding: ApTable['perFinding'] = {};
  for (const f of r.perFinding) {
    perFinding[f.finding] = { ap: f.ap, groundTruthBoxes: f.groundTruthBoxes, detections: f.detections, truePositives: f.truePositives, precision: Array.from(f.precision) };
  }
  return { mAP: r.mAP, excluded: r.excluded, perFinding };
}

/**
 * Evaluates paired images (ground truth + predictions) with the paper's protocol.
 * @example const report = evaluate(pairImages(annotations, predictions), { bootstrapSamples: 10_000, seed: 1 })
 */
export function evaluate(pairs: readonly PairedImage[], options: EvaluationOptions = {}): EvaluationReport {
  const n = pairs.length;
  const scores = new Float64Array(n);
  const labels = new Uint8Array(n);
  pairs.forEach((p, i) => {
    scores[i] = p.prediction.abnormalScore;
    labels[i] = p.annotation.abnormal ? 1 : 0;
  });
  const samples = options.bootstrapSamples ?? DEFAULT_BOOTSTRAP_SAMPLES;
  const seed = options.seed ?? DEFAULT_BOOTSTRAP_SEED;
  const confidence = options.confidence ?? DEFAULT_CONFIDENCE;
  const youden = youdenThreshold(scores, labels);
  const threshold = options.operatingPoint ?? youden.threshold;
  const minScoreBelow = options.minScoreBelow ?? DEFAULT_MIN_SCORE_BELOW;
  const ci = bootstrapClassificationCi(scores, labels, threshold, { samples, seed, confidence });
  const delong = delongCi(scores, labels, confidence);
  const at = metricsAt(scores, labels, threshold);
  const roc = rocCurve(scores, labels);

  const apOptions = { iouThreshold: options.iouThreshold ?? DEFAULT_IOU_THRESHOLD, maxDetectionsPerImage: options.maxDetectionsPerImage ?? DEFAULT_MAX_DETECTIONS_PER_IMAGE };
  const alone: ImageBoxes[] = pairs.map((p) => ({ groundTruth: p.annotation.boxes, detections: p.prediction.detections }));
  const fused: ImageBoxes[] = pairs.map((p) => ({
    groundTruth: p.annotation.boxes,
    detections: applyDecisionRule(p.prediction.abnormalScore, p.prediction.detections, { operatingPoint: threshold, minScoreBelow }),
  }));
  const findingTable: EvaluationReport['findingAuroc'] = {};
  for (const f of findingAuroc(alone, FINDINGS)) {
    findingTable[f.finding] = { auroc: f.auroc, lower: f.lower, upper: f.upper, positives: f.positives, negatives: f.negatives };
  }
  const abnormal = labels.reduce((s, v) => s + v, 0);
  return {
    schema: REPORT_SCHEMA,
    images: { total: n, abnormal, normal: n - abnormal },
    settings: {
      bootstrapSamples: samples,
      seed,
      confidence,
      operatingPoint: threshold,
      operatingPointSource: options.operatingPoint === undefined ? OperatingPointSource.Youden : OperatingPointSource.Given,
      minScoreBelow,
      ...apOptions,
    },
    classification: {
      auroc: {
        value: ci.auroc.estimate,
        bootstrap: { lower: ci.auroc.lower, upper: ci.auroc.upper },
        delong: { lower: delong.lower, upper: delong.upper, standardError: delong.standardError },
      },
      youden: { threshold: youden.threshold, j: youden.j },
      threshold,
      sensitivity: estimate(ci.sensitivity),
      specificity: estimate(ci.specificity),
      precision: estimate(ci.precision),
      f1: estimate(ci.f1),
      accuracy: at.accuracy,
      confusion: { tp: at.tp, fp: at.fp, tn: at.tn, fn: at.fn },
      roc: { fpr: Array.from(roc.fpr), tpr: Array.from(roc.tpr), thresholds: Array.from(roc.thresholds) },
    },
    detection: {
      recallPoints: Array.from(RECALL_POINTS),
      detectorAlone: apTable(detectionAp(alone, apOptions)),
      withDecisionRule: apTable(detectionAp(fused, apOptions)),
    },
    findingAuroc: findingTable,
  };
}

/**
 * The report as JSON text: NaN and ±Infinity become null (JSON has no such numbers).
 * @example await writeFile('eval.json', reportToJson(report))
 */
export function reportToJson(report: EvaluationReport): string {
  return JSON.stringify(report, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n';
}
