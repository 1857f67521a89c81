// Renders an evaluation report as the paper's tables: plain text for the terminal, and markdown.
import { FINDINGS } from '../common/model-config.ts';
import type { ApTable, Estimate, EvaluationReport } from './evaluate.ts';

/** The paper's detection table columns: abbreviation and finding, in the paper's order. */
export const PAPER_FINDING_COLUMNS = [
  ['DSN', 'Disc space narrowing'],
  ['FS', 'Foraminal stenosis'],
  ['Ost', 'Osteophytes'],
  ['Spo', 'Spondylolysthesis'],
  ['SI', 'Surgical implant'],
  ['VC', 'Vertebral collapse'],
  ['OL', 'Other lesions'],
] as const;

const pct = (v: number, digits = 2): string => (Number.isFinite(v) ? (100 * v).toFixed(digits) : '—');
const range = (lo: number, hi: number): string => `${pct(lo)}–${pct(hi)}`;
const est = (e: Estimate): [string, string] => [pct(e.value), range(e.lower, e.upper)];

interface Table {
  title: string;
  header: string[];
  rows: string[][];
  /** Columns aligned right (numbers). */
  right: boolean[];
  note?: string;
}

function tables(r: EvaluationReport): Table[] {
  const c = r.classification;
  const s = r.settings;
  const level = `${Math.round(s.confidence * 100)}%`;
  const source = s.operatingPointSource === 'youden' ? 'Youden-J on these predictions' : `given; Youden-J here is ${c.youden.threshold.toFixed(4)}`;
  const classification: Table = {
    title: `Classification, abnormal vs normal (operating point ${s.operatingPoint.toFixed(4)}, ${source})`,
    header: ['metric', '%', `${level} CI bootstrap`, `${level} CI DeLong`],
    right: [false, true, true, true],
    rows: [
      ['AUROC', pct(c.auroc.value), range(c.auroc.bootstrap.lower, c.auroc.bootstrap.upper), range(c.auroc.delong.lower, c.auroc.delong.upper)],
      ['F1', ...est(c.f1), ''],
      ['Sensitivity', ...est(c.sensitivity), ''],
      ['Specificity', ...est(c.specificity), ''],
      ['Precision', ...est(c.precision), ''],
    ],
    note: `bootstrap: ${s.bootstrapSamples} resamples, seed ${s.seed}, percentile method; TP ${c.confusion.tp}, FP ${c.confusion.fp}, TN ${c.confusion.tn}, FN ${c.confusion.fn}`,
  };
  const apRow = (name: string, t: ApTable): string[] => [name, ...PAPER_FINDING_COLUMNS.map(([, f]) => pct(t.perFinding[f]?.ap ?? NaN)), pct(t.mAP)];
  const excluded = r.detection.detectorAlone.excluded;
  const detection: Table = {
    title: `Detection AP@${s.iouThreshold} (%), COCO 101-point, at most ${s.maxDetectionsPerImage} boxes per image`,
    header: ['', ...PAPER_FINDING_COLUMNS.map(([a]) => a), 'mAP'],
    right: [false, ...PAPER_FINDING_COLUMNS.map(() => true), true],
    rows: [apRow('detector alone', r.detection.detectorAlone), apRow('with the decision rule', r.detection.withDecisionRule)],
    note: PAPER_FINDING_COLUMNS.map(([a, f]) => `${a} ${f}`).join(', ') +
      (excluded.length ? `; no ground truth (left out of mAP): ${excluded.join(', ')}` : ''),
  };
  const findings: Table = {
    title: 'Per-finding image-level AUROC (%) (score: highest box of the finding; 0 if none)',
    header: ['finding', 'AUROC', `${level} CI DeLong`, 'images with', 'GT boxes'],
    right: [false, true, true, true, true],
    rows: FINDINGS.map((f) => {
      const a = r.findingAuroc[f];
      return [f, pct(a.auroc), range(a.lower, a.upper), String(a.positives), String(r.detection.detectorAlone.perFinding[f]?.groundTruthBoxes ?? 0)];
    }),
  };
  return [classification, detection, findings];
}

function header(r: EvaluationReport): string {
  const i = r.images;
  return `SpineXR evaluation: ${i.total} images (${i.abnormal} abnormal, ${i.normal} normal)`;
}

/**
 * The report as aligned plain-text tables for a terminal.
 * @example console.log(formatTerminal(report))
 */
export function formatTerminal(r: EvaluationReport): string {
  const out: string[] = [header(r), ''];
  for (const t of tables(r)) {
    const all = [t.header, ...t.rows];
    const widths = t.header.map((_, j) => Math.max(...all.map((row) => row[j].length)));
    const line = (row: string[]): string => '  ' + row.map((v, j) => (t.right[j] ? v.padStart(widths[j]) : v.padEnd(widths[j]))).join('  ').trimEnd();
    out.push(t.title, line(t.header), '  ' + widths.map((w) => '─'.repeat(w)).join('  '), ...t.rows.map(line));
    if (t.note) out.push(`  (${t.note})`);
    out.push('');
  }
  return out.join('\n');
}

/**
 * The report as markdown (a heading, then one table per part of the paper's evaluation).
 * @example await writeFile('eval.md', formatMarkdown(report))
 */
export function formatMarkdown(r: EvaluationReport): string {
  const out: string[] = [`# ${header(r)}`, ''];
  for (const t of tables(r)) {
    out.push(`## ${t.title}`, '', `| ${t.header.join(' | ')} |`, `|${t.right.map((x) => (x ? '---:' : ':---')).join('|')}|`);
    for (const row of t.rows) out.push(`| ${row.join(' | ')} |`);
    if (t.note) out.push('', `_${t.note}_`);
    out.push('');
  }
  return out.join('\n');
}
