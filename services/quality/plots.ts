// The evaluation's figures as SVG documents: the classifier's ROC curve, the 7 findings'
// precision–recall curves together, and one PR figure per finding (detector alone vs decision rule).
import { FINDINGS } from '../common/model-config.ts';
import type { EvaluationReport } from './evaluate.ts';
import { LegendCorner, PALETTE, unitSquarePlot } from './svg-plot.ts';

/** One figure: a file name (without directory) and its SVG text. */
export interface Figure {
  name: string;
  svg: string;
}

const pct = (v: number): string => (Number.isFinite(v) ? `${(100 * v).toFixed(2)}%` : 'n/a');

/** File-name form of a finding: "Disc space narrowing" → "disc-space-narrowing". */
export function slug(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}

// The 101-point precision, cut after the last recall point reached (beyond it precision is 0 by definition).
function prSeries(recall: number[], precision: number[]): { x: number[]; y: number[] } {
  let last = precision.length - 1;
  while (last >= 0 && !(precision[last] > 0)) last--;
  return { x: recall.slice(0, last + 1), y: precision.slice(0, last + 1) };
}

/**
 * Builds the figures of a report: `roc.svg`, `pr-findings.svg`, and `pr-<finding>.svg` for each finding.
 * @example for (const f of reportFigures(report)) await writeFile(join(dir, f.name), f.svg)
 */
export function reportFigures(r: EvaluationReport): Figure[] {
  const c = r.classification;
  const figures: Figure[] = [];
  const level = `${Math.round(r.settings.confidence * 100)}% CI`;
  figures.push({
    name: 'roc.svg',
    svg: unitSquarePlot({
      title: 'Abnormal vs normal: ROC curve',
      subtitle: `${r.images.total} images (${r.images.abnormal} abnormal, ${r.images.normal} normal)`,
      xLabel: 'False positive rate (1 − specificity)',
      yLabel: 'True positive rate (sensitivity)',
      diagonal: true,
      series: [{
        name: `Classifier: AUROC ${pct(c.auroc.value)} (${level} ${pct(c.auroc.bootstrap.lower)}–${pct(c.auroc.bootstrap.upper)})`,
        x: c.roc.fpr,
        y: c.roc.tpr,
        fill: true,
      }],
      markers: Number.isFinite(c.threshold)
        ? [{ x: 1 - c.specificity.value, y: c.sensitivity.value, label: `operating point ${c.threshold.toFixed(4)}: sens ${pct(c.sensitivity.value)}, spec ${pct(c.specificity.value)}` }]
        : [],
    }),
  });
  const recall = r.detection.recallPoints;
  const alone = r.detection.detectorAlone;
  const fused = r.detection.withDecisionRule;
  figures.push({
    name: 'pr-findings.svg',
    svg: unitSquarePlot({
      title: `Precision–recall per finding at IoU ${r.settings.iouThreshold}, detector alone`,
      subtitle: `COCO 101-point interpolation; mAP ${pct(alone.mAP)}, with the decision rule ${pct(fused.mAP)}`,
      xLabel: 'Recall',
      yLabel: 'Interpolated precision',
      legend: LegendCorner.BottomLeft,
      series: FINDINGS.map((f, i) => ({ name: `${f}: AP ${pct(alone.perFinding[f]?.ap ?? NaN)}`, color: PALETTE[i], ...prSeries(recall, alone.perFinding[f]?.precision ?? []) })),
    }),
  });
  FINDINGS.forEach((f, i) => {
    const a = alone.perFinding[f];
    const d = fused.perFinding[f];
    if (!a || !d) return;
    figures.push({
      name: `pr-${slug(f)}.svg`,
      svg: unitSquarePlot({
        title: `${f}: precision–recall at IoU ${r.settings.iouThreshold}`,
        subtitle: `${a.groundTruthBoxes} ground-truth boxes; COCO 101-point interpolation`,
        xLabel: 'Recall',
        yLabel: 'Interpolated precision',
        legend: LegendCorner.TopRight,
        series: [
          { name: `detector alone: AP ${pct(a.ap)}`, color: PALETTE[i], ...prSeries(recall, a.precision), fill: true },
          { name: `with the decision rule: AP ${pct(d.ap)}`, color: '#333333', dashed: true, ...prSeries(recall, d.precision) },
        ],
      }),
    });
  });
  return figures;
}
