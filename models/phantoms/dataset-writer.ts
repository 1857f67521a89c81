// Writes a phantom dataset: DICOM files, optional display-ready 16-bit PNGs, annotations.csv and images.csv.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { FINDINGS, NO_FINDING, type Finding } from '../../services/common/model-config.ts';
import { toDicom } from './dicom-writer.ts';
import { toDisplayUint16 } from './display.ts';
import { generateStudy, type PhantomImage } from './phantom-generator.ts';
import { deriveSeed, Rng } from './prng.ts';
import { resolveScannerProfile, type ScannerProfile, type ScannerProfileName } from './scanner-profile.ts';

/** Header of `annotations.csv` (the VinDr-SpineXR schema; a contract with training). */
export const ANNOTATIONS_HEADER = ['study_id', 'series_id', 'image_id', 'rad_id', 'lesion_type', 'xmin', 'ymin', 'xmax', 'ymax'] as const;
/** Header of `images.csv`. */
export const IMAGES_HEADER = ['study_id', 'series_id', 'image_id', 'view', 'width', 'height', 'photometric', 'profile'] as const;
/** Writes in flight at once (PNG encoding runs on libuv threads while the next image is generated). */
export const DEFAULT_MAX_PENDING_WRITES = 2;

/** Options of `writeDataset`. */
export interface WriteDatasetOptions {
  outDir: string;
  /** Number of images (studies of 1–3 images are generated until this many). */
  count: number;
  seed: number;
  profile?: ScannerProfileName | string | ScannerProfile;
  /** Write `dicom/<image_id>.dcm` (default true). */
  dicom?: boolean;
  /** Write `png/<image_id>.png`, the display-ready image as 16-bit grey (default false). */
  png?: boolean;
  /** Called after each image is generated (progress, previews). */
  onImage?: (image: PhantomImage, index: number) => void | Promise<void>;
}

/** What `writeDataset` produced. */
export interface DatasetSummary {
  images: number;
  studies: number;
  abnormal: number;
  boxesPerFinding: Record<Finding, number>;
  seconds: number;
}

/** The `annotations.csv` rows of one image: one per box, or one `No finding` row with empty box columns. */
export function annotationRows(image: PhantomImage): string[][] {
  const { studyId, seriesId, imageId } = image.ids;
  if (image.boxes.length === 0) return [[studyId, seriesId, imageId, image.radId, NO_FINDING, '', '', '', '']];
  return image.boxes.map((b) => [studyId, seriesId, imageId, image.radId, b.lesionType, String(b.xmin), String(b.ymin), String(b.xmax), String(b.ymax)]);
}

/** The `images.csv` row of one image. */
export function imageRow(image: PhantomImage): string[] {
  const { studyId, seriesId, imageId } = image.ids;
  return [studyId, seriesId, imageId, image.view, String(image.width), String(image.height), image.photometric, image.profile];
}

function csvLine(cells: readonly string[]): string {
  return cells.map((c) => (/[",\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c)).join(',');
}

/**
 * Encodes the display-ready image (see `toDisplay`) as a 16-bit grey PNG.
 * @example await writeFile('a.png', await toDisplayPng(img));
 */
export async function toDisplayPng(image: PhantomImage): Promise<Buffer> {
  const y16 = toDisplayUint16(image);
  return sharp(y16, { raw: { width: image.width, height: image.height, channels: 1 } })
    .toColourspace('grey16')
    .png({ compressionLevel: 2, adaptiveFiltering: false })
    .toBuffer();
}

/**
 * Generates `count` images (in studies) and writes them under `outDir`.
 * @example await writeDataset({ outDir: 'out/phantoms', count: 100, seed: 1, png: true });
 */
export async function writeDataset(opts: WriteDatasetOptions): Promise<DatasetSummary> {
  const started = performance.now();
  const profile = resolveScannerProfile(opts.profile);
  const dicom = opts.dicom ?? true;
  const png = opts.png ?? false;
  await mkdir(opts.outDir, { recursive: true });
  if (dicom) await mkdir(join(opts.outDir, 'dicom'), { recursive: true });
  if (png) await mkdir(join(opts.outDir, 'png'), { recursive: true });
  const annotations = [csvLine(ANNOTATIONS_HEADER)];
  const images = [csvLine(IMAGES_HEADER)];
  const boxesPerFinding = Object.fromEntries(FINDINGS.map((f) => [f, 0])) as Record<Finding, number>;
  const pending = new Set<Promise<void>>();
  const track = (p: Promise<void>) => {
    const q = p.finally(() => pending.delete(q));
    pending.add(q);
  };
  const sizes = new Rng(deriveSeed(opts.seed, 'study-sizes'));
  let written = 0;
  let studies = 0;
  let abnormal = 0;
  while (written < opts.count) {
    const imageCount = Math.min(sizes.pick([1, 2, 2, 2, 3]), opts.count - written);
    const study = generateStudy({ seed: deriveSeed(opts.seed, `study:${studies}`), profile, imageCount });
    studies++;
    for (const image of study.images) {
      for (const row of annotationRows(image)) annotations.push(csvLine(row));
      images.push(csvLine(imageRow(image)));
      for (const b of image.boxes) boxesPerFinding[b.lesionType]++;
      if (image.boxes.length) abnormal++;
      while (pending.size >= DEFAULT_MAX_PENDING_WRITES) await Promise.race(pending);
      const id = image.ids.imageId;
      if (dicom) track(writeFile(join(opts.outDir, 'dicom', `${id}.dcm`), toDicom(image)));
      if (png) track(toDisplayPng(image).then((buf) => writeFile(join(opts.outDir, 'png', `${id}.png`), buf)));
      await opts.onImage?.(image, written);
      written++;
    }
  }
  await Promise.all(pending);
  await writeFile(join(opts.outDir, 'annotations.csv'), `${annotations.join('\n')}\n`);
  await writeFile(join(opts.outDir, 'images.csv'), `${images.join('\n')}\n`);
  return { images: written, studies, abnormal, boxesPerFinding, seconds: (performance.now() - started) / 1000 };
}
