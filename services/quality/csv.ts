// Reading and writing the evaluation CSVs: VinDr-SpineXR annotations and SpineXR predictions.
// Every problem is refused with a CsvFormatError naming the file, the line and what is wrong.
import { readFile } from 'node:fs/promises';
import { parse } from 'csv-parse/sync';
import { InvalidInput } from '../common/errors.ts';
import { FINDINGS, NO_FINDING, type Finding } from '../common/model-config.ts';
import type { LabeledBox, ScoredBox } from './detection-ap.ts';

/** Columns of the VinDr-SpineXR annotation CSV (others are ignored). */
export const ANNOTATION_COLUMNS = ['study_id', 'series_id', 'image_id', 'rad_id', 'lesion_type', 'xmin', 'ymin', 'xmax', 'ymax'] as const;
/** Columns of the predictions CSV, in the order the writer uses. */
export const PREDICTION_COLUMNS = ['image_id', 'abnormal_score', 'lesion_type', 'score', 'xmin', 'ymin', 'xmax', 'ymax'] as const;
/** The finding the paper folds the six rare lesion types into. */
export const OTHER_LESIONS: Finding = 'Other lesions';
/** The six rare VinDr-SpineXR lesion types, counted as "Other lesions" as in the paper. */
export const RARE_LESIONS = ['Ankylosis', 'Enthesophytes', 'Fracture', 'Sclerotic lesion', 'Subchondral sclerosis', 'Foreign body'] as const;

/** A CSV the evaluation cannot use. `file`, `line` (1-based, as an editor shows it) and `problem` are kept apart. */
export class CsvFormatError extends InvalidInput {
  readonly file: string;
  readonly line: number;
  readonly problem: string;
  constructor(file: string, line: number, problem: string, options?: { cause?: unknown }) {
    super(`${file}:${line}: ${problem}`, options);
    this.file = file;
    this.line = line;
    this.problem = problem;
  }
}

/** One annotated image. `boxes` is empty for a normal image ("No finding"). */
export interface AnnotatedImage {
  imageId: string;
  studyId: string;
  seriesId: string;
  radId: string;
  /** Line of the image's first row. */
  line: number;
  /** Boxes with the lesion type mapped to one of the 7 findings. */
  boxes: LabeledBox[];
  /** The image has at least one lesion (of the 13 types). */
  abnormal: boolean;
}

/** One image's predictions. */
export interface PredictedImage {
  imageId: string;
  /** P(abnormal) from the classifier. */
  abnormalScore: number;
  detections: ScoredBox[];
  /** Line of the image's first row (0 when not read from a file). */
  line?: number;
}

/** A parsed annotation CSV, images in file order. */
export interface Annotations {
  file: string;
  images: Map<string, AnnotatedImage>;
}
/** A parsed predictions CSV, images in file order. */
export interface Predictions {
  file: string;
  images: Map<string, PredictedImage>;
}

// Exact names, then case-insensitive; the correct spelling "Spondylolisthesis" is accepted too.
const LESION_LOOKUP = new Map<string, Finding>();
for (const f of FINDINGS) LESION_LOOKUP.set(f.toLowerCase(), f);
for (const r of RARE_LESIONS) LESION_LOOKUP.set(r.toLowerCase(), OTHER_LESIONS);
LESION_LOOKUP.set('spondylolisthesis', 'Spondylolysthesis');
const PREDICTION_LOOKUP = new Map<string, Finding>(FINDINGS.map((f) => [f.toLowerCase(), f]));
PREDICTION_LOOKUP.set('spondylolisthesis', 'Spondylolysthesis');

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

interface Row {
  line: number;
  get(column: string): string;
}

function readRows(text: string, file: string, required: readonly string[]): Row[] {
  let parsed: { record: string[]; info: { lines: number } }[];
  try {
    parsed = parse(text, { info: true, bom: true, skip_empty_lines: true, relax_column_count: true, trim: true }) as unknown as typeof parsed;
  } catch (err) {
    const line = (err as { lines?: number }).lines ?? 1;
    throw new CsvFormatError(file, line, `not valid CSV: ${(err as Error).message}`, { cause: err });
  }
  if (parsed.length === 0) throw new CsvFormatError(file, 1, `empty file; expected the header ${required.join(',')}`);
  const header = parsed[0].record.map((h) => h.toLowerCase());
  const missing = required.filter((c) => !header.includes(c));
  if (missing.length) {
    throw new CsvFormatError(file, parsed[0].info.lines, `missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (header must have ${required.join(',')})`);
  }
  const index = new Map(header.map((h, i) => [h, i]));
  return parsed.slice(1).map(({ record, info }) => {
    if (record.length !== header.length) {
      throw new CsvFormatError(file, info.lines, `${record.length} fields, the header has ${header.length}`);
    }
    return { line: info.lines, get: (c: string) => record[index.get(c)!] ?? '' };
  });
}

function number(file: string, row: Row, column: string, range?: [number, number]): number {
  const raw = row.get(column);
  if (raw === '') throw new CsvFormatError(file, row.line, `${column} is empty`);
  if (!DECIMAL.test(raw)) throw new CsvFormatError(file, row.line, `${column} "${raw}" is not a number`);
  const v = Number(raw);
  if (!Number.isFinite(v)) throw new CsvFormatError(file, row.line, `${column} "${raw}" is not a finite number`);
  if (range && (v < range[0] || v > range[1])) throw new CsvFormatError(file, row.line, `${column} ${raw} is outside [${range[0]}, ${range[1]}]`);
  return v;
}

const BOX_COLUMNS = ['xmin', 'ymin', 'xmax', 'ymax'] as const;

function boxOf(file: string, row: Row): { xmin: number; ymin: number; xmax: number; ymax: number } {
  const [xmin, ymin, xmax, ymax] = BOX_COLUMNS.map((c) => number(file, row, c));
  if (xmax < xmin) throw new CsvFormatError(file, row.line, `xmax ${xmax} is less than xmin ${xmin}`);
  if (ymax < ymin) throw new CsvFormatError(file, row.line, `ymax ${ymax} is less than ymin ${ymin}`);
  return { xmin, ymin, xmax, ymax };
}

const boxIsEmpty = (row: Row): boolean => BOX_COLUMNS.every((c) => row.get(c) === '');

function requireId(file: string, row: Row, column: string): string {
  const v = row.get(column);
  if (v === '') throw new CsvFormatError(file, row.line, `${column} is empty`);
  return v;
}

/**
 * Parses a VinDr-SpineXR annotation CSV (`study_id,series_id,image_id,rad_id,lesion_type,xmin,ymin,xmax,ymax`).
 * A normal image is one `No finding` row with empty box columns; every other row is one box.
 * The six rare lesion types become "Other lesions" (the paper's grouping). Refused: missing
 * columns, unknown lesion types, non-numeric or empty coordinates, xmax < xmin or ymax < ymin,
 * a `No finding` row with a box, a second `No finding` row for an image, `No finding` mixed with
 * lesions, and one image_id under two study_ids or series_ids.
 * @example parseAnnotations(await readFile('test.csv', 'utf8'), 'test.csv').images.get('a1b2')?.boxes
 */
export function parseAnnotations(text: string, file: string): Annotations {
  const images = new Map<string, AnnotatedImage>();
  const normalLine = new Map<string, number>();
  for (const row of readRows(text, file, ANNOTATION_COLUMNS)) {
    const imageId = requireId(file, row, 'image_id');
    const studyId = row.get('study_id');
    const seriesId = row.get('series_id');
    const lesion = row.get('lesion_type');
    let image = images.get(imageId);
    if (!image) {
      image = { imageId, studyId, seriesId, radId: row.get('rad_id'), line: row.line, boxes: [], abnormal: false };
      images.set(imageId, image);
    } else if (image.studyId !== studyId || image.seriesId !== seriesId) {
      throw new CsvFormatError(file, row.line, `image_id ${imageId} appears with study_id/series_id ${studyId}/${seriesId} here but ${image.studyId}/${image.seriesId} on line ${image.line}`);
    }
    if (lesion.toLowerCase() === NO_FINDING.toLowerCase()) {
      if (!boxIsEmpty(row)) throw new CsvFormatError(file, row.line, `"${NO_FINDING}" row of image ${imageId} has box coordinates; they must be empty`);
      const earlier = normalLine.get(imageId);
      if (earlier !== undefined) throw new CsvFormatError(file, row.line, `duplicate "${NO_FINDING}" row for image ${imageId} (first on line ${earlier})`);
      if (image.abnormal) throw new CsvFormatError(file, row.line, `image ${imageId} has both "${NO_FINDING}" and lesion rows`);
      normalLine.set(imageId, row.line);
      continue;
    }
    if (lesion === '') throw new CsvFormatError(file, row.line, 'lesion_type is empty');
    const finding = LESION_LOOKUP.get(lesion.toLowerCase());
    if (!finding) {
      throw new CsvFormatError(file, row.line, `unknown lesion_type "${lesion}" (expected one of: ${[NO_FINDING, ...FINDINGS, ...RARE_LESIONS].join(', ')})`);
    }
    const earlier = normalLine.get(imageId);
    if (earlier !== undefined) throw new CsvFormatError(file, row.line, `image ${imageId} has both lesion rows and a "${NO_FINDING}" row (line ${earlier})`);
    image.boxes.push({ label: finding, ...boxOf(file, row) });
    image.abnormal = true;
  }
  return { file, images };
}

/**
 * Parses a predictions CSV (`image_id,abnormal_score,lesion_type,score,xmin,ymin,xmax,ymax`),
 * one row per box; an image without boxes has one row whose lesion_type, score and box columns
 * are empty (lesion_type may also be `No finding`). Refused: missing columns, unknown lesion
 * types (only the 7 findings), scores that are not numbers in [0, 1], xmax < xmin or ymax < ymin,
 * an image whose rows disagree on abnormal_score, and an empty row next to other rows of the image.
 * @example parsePredictions(text, 'predictions.csv').images.get('a1b2')?.abnormalScore // 0.91
 */
export function parsePredictions(text: string, file: string): Predictions {
  const images = new Map<string, PredictedImage>();
  const emptyRowLine = new Map<string, number>();
  for (const row of readRows(text, file, PREDICTION_COLUMNS)) {
    const imageId = requireId(file, row, 'image_id');
    const abnormalScore = number(file, row, 'abnormal_score', [0, 1]);
    let image = images.get(imageId);
    if (!image) {
      image = { imageId, abnormalScore, detections: [], line: row.line };
      images.set(imageId, image);
    } else if (image.abnormalScore !== abnormalScore) {
      throw new CsvFormatError(file, row.line, `abnormal_score ${row.get('abnormal_score')} of image ${imageId} differs from ${image.abnormalScore} on line ${image.line}`);
    }
    const lesion = row.get('lesion_type');
    const noBox = (lesion === '' || lesion.toLowerCase() === NO_FINDING.toLowerCase()) && row.get('score') === '' && boxIsEmpty(row);
    const earlier = emptyRowLine.get(imageId);
    if (noBox) {
      if (earlier !== undefined) throw new CsvFormatError(file, row.line, `duplicate box-less row for image ${imageId} (first on line ${earlier})`);
      if (image.detections.length) throw new CsvFormatError(file, row.line, `box-less row for image ${imageId}, which has boxes (line ${image.line})`);
      emptyRowLine.set(imageId, row.line);
      continue;
    }
    if (earlier !== undefined) throw new CsvFormatError(file, row.line, `image ${imageId} has a box here but a box-less row on line ${earlier}`);
    if (lesion === '') throw new CsvFormatError(file, row.line, 'lesion_type is empty but the row has a score or box');
    const finding = PREDICTION_LOOKUP.get(lesion.toLowerCase());
    if (!finding) throw new CsvFormatError(file, row.line, `unknown lesion_type "${lesion}" (expected one of: ${FINDINGS.join(', ')})`);
    const score = number(file, row, 'score', [0, 1]);
    image.detections.push({ label: finding, score, ...boxOf(file, row) });
  }
  return { file, images };
}

/** Reads and parses an annotation CSV file. @example await readAnnotations('test_annotations.csv') */
export async function readAnnotations(path: string): Promise<Annotations> {
  return parseAnnotations(await readFile(path, 'utf8'), path);
}

/** Reads and parses a predictions CSV file. @example await readPredictions('predictions.csv') */
export async function readPredictions(path: string): Promise<Predictions> {
  return parsePredictions(await readFile(path, 'utf8'), path);
}

/** An image with its ground truth and its predictions. */
export interface PairedImage {
  annotation: AnnotatedImage;
  prediction: PredictedImage;
}

/**
 * Pairs every annotated image with its predictions, in annotation order. Refused: an image in the
 * predictions but not in the annotations (named at its predictions line) and vice versa.
 * @example const pairs = pairImages(await readAnnotations(a), await readPredictions(p))
 */
export function pairImages(annotations: Annotations, predictions: Predictions): PairedImage[] {
  for (const p of predictions.images.values()) {
    if (!annotations.images.has(p.imageId)) {
      throw new CsvFormatError(predictions.file, p.line ?? 0, `image ${p.imageId} is not in the annotations ${annotations.file}`);
    }
  }
  const out: PairedImage[] = [];
  for (const a of annotations.images.values()) {
    const prediction = predictions.images.get(a.imageId);
    if (!prediction) throw new CsvFormatError(annotations.file, a.line, `image ${a.imageId} has no predictions in ${predictions.file}`);
    out.push({ annotation: a, prediction });
  }
  return out;
}

function field(v: string): string {
  return /[",\r\n]|^\s|\s$/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/**
 * Writes a predictions CSV (header, one row per box, one box-less row for an image without boxes).
 * Numbers use the shortest text that reads back to the same value.
 * @example await writeFile('predictions.csv', formatPredictions([{ imageId: 'a', abnormalScore: 0.2, detections: [] }]))
 */
export function formatPredictions(images: Iterable<PredictedImage>): string {
  const lines: string[] = [PREDICTION_COLUMNS.join(',')];
  for (const im of images) {
    const id = field(im.imageId);
    const p = String(im.abnormalScore);
    if (im.detections.length === 0) {
      lines.push(`${id},${p},,,,,,`);
      continue;
    }
    for (const d of im.detections) {
      lines.push([id, p, field(d.label), d.score, d.xmin, d.ymin, d.xmax, d.ymax].join(','));
    }
  }
  return lines.join('\n') + '\n';
}
