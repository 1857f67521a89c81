// Produces predictions for a folder of images by sending each through a running cluster
// (spinexr.v1.Analysis/Analyze) with bounded concurrency; the result feeds the evaluation.
import { readdir, readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import type { AnalysisClient, AnalyzeResponse } from '../client/analysis-client.ts';
import type { PredictedImage } from './csv.ts';

/** File extensions sent to the cluster (case-insensitive). */
export const IMAGE_EXTENSIONS = ['.dcm', '.dicom', '.png', '.jpg', '.jpeg'] as const;
/** Requests in flight at once. */
export const DEFAULT_CONCURRENCY = 4;

/** A folder cannot be used (unreadable, or two files give the same image id). */
export class ImageFolderError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** One image file; its image id is the file name without extension. */
export interface ImageFile {
  imageId: string;
  path: string;
}

/**
 * Lists the DICOM/PNG/JPEG files of a folder (not recursive), sorted by name.
 * @example await listImageFiles('test_images/') // [{ imageId: '0a1b', path: 'test_images/0a1b.dicom' }, …]
 */
export async function listImageFiles(dir: string): Promise<ImageFile[]> {
  let names: string[];
  try {
    names = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isFile()).map((e) => e.name);
  } catch (err) {
    throw new ImageFolderError(`cannot read image folder ${dir}: ${(err as Error).message}`, { cause: err });
  }
  const byId = new Map<string, string>();
  for (const name of names.sort()) {
    const ext = extname(name);
    if (!(IMAGE_EXTENSIONS as readonly string[]).includes(ext.toLowerCase())) continue;
    const imageId = name.slice(0, -ext.length);
    const other = byId.get(imageId);
    if (other) throw new ImageFolderError(`${join(dir, other)} and ${join(dir, name)} both give image id ${imageId}`);
    byId.set(imageId, name);
  }
  return [...byId].map(([imageId, name]) => ({ imageId, path: join(dir, name) }));
}

/**
 * The predictions of one response: P(abnormal) and every finding with its box.
 * @example predictionFromResponse('0a1b', await client.analyze({ image, imageId: '0a1b', fusion: false }))
 */
export function predictionFromResponse(imageId: string, res: AnalyzeResponse): PredictedImage {
  return {
    imageId,
    abnormalScore: res.abnormalProbability,
    detections: res.findings
      .filter((f) => f.box)
      .map((f) => ({ label: f.label, score: f.score, xmin: f.box!.xmin, ymin: f.box!.ymin, xmax: f.box!.xmax, ymax: f.box!.ymax })),
  };
}

/** Options of {@link predictFolder}. */
export interface PredictFolderOptions {
  client: AnalysisClient;
  /** Requests in flight (default {@link DEFAULT_CONCURRENCY}). */
  concurrency?: number;
  deadlineMs?: number;
  /** Study id sent with an image (sticky A/B assignment); default ''. */
  studyIdOf?: (imageId: string) => string;
  /** Called after each image, done or failed. */
  onProgress?: (done: number, failed: number) => void;
}

/** Predictions in input order, and the images that failed. */
export interface FolderPredictions {
  predictions: PredictedImage[];
  failures: { imageId: string; path: string; error: Error }[];
}

/**
 * Sends every file through the cluster, `concurrency` at a time, asking for the detector's boxes
 * without fusion (`fusion: false`) so that the evaluation can score the detector alone and apply
 * the decision rule itself. A failed image is reported, not retried.
 * @example const { predictions, failures } = await predictFolder(await listImageFiles(dir), { client, concurrency: 8 })
 */
export async function predictFolder(files: readonly ImageFile[], options: PredictFolderOptions): Promise<FolderPredictions> {
  const concurrency = Math.max(1, options.concurrency ?? DEFAULT_CONCURRENCY);
  const results: (PredictedImage | undefined)[] = new Array(files.length);
  const failures: FolderPredictions['failures'] = [];
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < files.length) {
      const i = next++;
      const { imageId, path } = files[i];
      try {
        const image = await readFile(path);
        const res = await options.client.analyze(
          { image, imageId, studyId: options.studyIdOf?.(imageId) ?? '', fusion: false },
          { deadlineMs: options.deadlineMs },
        );
        results[i] = predictionFromResponse(imageId, res);
      } catch (err) {
        failures.push({ imageId, path, error: err instanceof Error ? err : new Error(String(err)) });
      }
      done++;
      options.onProgress?.(done, failures.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, files.length) }, worker));
  return { predictions: results.filter((r): r is PredictedImage => r !== undefined), failures };
}
