// `spinexr eval`: scores predictions (a CSV, or a folder of images sent through a running cluster)
// against VinDr-SpineXR annotations with the paper's protocol; prints and writes the report.
import { InvalidArgumentError, type Command } from 'commander';

/** Requests in flight in folder mode. */
export const DEFAULT_EVAL_CONCURRENCY = 4;
/** Deadline of one Analyze call in folder mode. */
export const DEFAULT_EVAL_DEADLINE_MS = 120_000;

function positiveInteger(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
}
function integer(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n)) throw new InvalidArgumentError('expected an integer');
  return n;
}
function probability(v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !(n >= 0 && n <= 1)) throw new InvalidArgumentError('expected a number in [0, 1]');
  return n;
}

interface EvalOptions {
  annotations: string;
  predictions?: string;
  images?: string;
  address: string;
  concurrency: number;
  deadlineMs: number;
  savePredictions?: string;
  operatingPoint?: number;
  bootstrap: number;
  seed: number;
  markdown?: string;
  json?: string;
  plots?: string;
  quiet?: boolean;
}

/**
 * Registers `spinexr eval`.
 * @example spinexr eval --annotations test.csv --predictions predictions.csv --json eval.json --plots plots/
 */
export function register(program: Command): void {
  program
    .command('eval')
    .description('evaluate model quality with the VinDr-SpineXR protocol (AUROC with CIs, Youden-J metrics, AP@0.5, mAP)')
    .requiredOption('--annotations <csv>', 'ground truth, VinDr-SpineXR schema (study_id,series_id,image_id,rad_id,lesion_type,xmin,ymin,xmax,ymax)')
    .option('--predictions <csv>', 'predictions: image_id,abnormal_score,lesion_type,score,xmin,ymin,xmax,ymax')
    .option('--images <dir>', 'instead of --predictions: send every DICOM/PNG/JPEG in DIR through a running cluster')
    .option('--address <host:port>', 'gateway address for --images', '127.0.0.1:50051')
    .option('--concurrency <n>', 'requests in flight for --images', positiveInteger, DEFAULT_EVAL_CONCURRENCY)
    .option('--deadline-ms <ms>', 'deadline of one request for --images', positiveInteger, DEFAULT_EVAL_DEADLINE_MS)
    .option('--save-predictions <csv>', 'with --images: write the predictions CSV, to re-score later')
    .option('--operating-point <p>', 'c* for sensitivity/specificity/F1 and the decision rule (default: Youden-J on these predictions)', probability)
    .option('--bootstrap <n>', 'bootstrap resamples', positiveInteger, 10_000)
    .option('--seed <n>', 'bootstrap seed', integer, 2106)
    .option('--markdown <file>', 'write the report as markdown')
    .option('--json <file>', 'write the report as JSON (keys in services/quality/README.md)')
    .option('--plots <dir>', 'write ROC and precision–recall curves (SVG and PNG)')
    .option('--quiet', 'do not print the tables')
    .action(async (opts: EvalOptions) => {
      if (Boolean(opts.predictions) === Boolean(opts.images)) {
        program.error('spinexr eval: give exactly one of --predictions CSV or --images DIR', { exitCode: 2 });
      }
      await runEval(opts);
    });
}

async function runEval(opts: EvalOptions): Promise<void> {
  const { mkdir, writeFile } = await import('node:fs/promises');
  const { join } = await import('node:path');
  const csv = await import('../../quality/csv.ts');
  const { evaluate, reportToJson } = await import('../../quality/evaluate.ts');
  const { formatTerminal, formatMarkdown } = await import('../../quality/report.ts');

  try {
    const annotations = await csv.readAnnotations(opts.annotations);
    let predictions: Awaited<ReturnType<typeof csv.readPredictions>>;
    if (opts.predictions) {
      predictions = await csv.readPredictions(opts.predictions);
    } else {
      predictions = { file: `${opts.images} (via ${opts.address})`, images: await predictImages(opts, annotations) };
    }
    const pairs = csv.pairImages(annotations, predictions);
    const report = evaluate(pairs, { bootstrapSamples: opts.bootstrap, seed: opts.seed, operatingPoint: opts.operatingPoint });
    if (!opts.quiet) process.stdout.write(formatTerminal(report) + '\n');
    if (opts.markdown) await writeFile(opts.markdown, formatMarkdown(report));
    if (opts.json) await writeFile(opts.json, reportToJson(report));
    if (opts.plots) {
      const { reportFigures } = await import('../../quality/plots.ts');
      const { default: sharp } = await import('sharp');
      await mkdir(opts.plots, { recursive: true });
      for (const fig of reportFigures(report)) {
        await writeFile(join(opts.plots, fig.name), fig.svg);
        await sharp(Buffer.from(fig.svg), { density: 144 }).png().toFile(join(opts.plots, fig.name.replace(/\.svg$/, '.png')));
      }
    }
  } catch (err) {
    // Input problems are the user's to fix: one clear line, exit code 1; anything else is a bug.
    const { InvalidInput } = await import('../../common/errors.ts');
    const { ImageFolderError } = await import('../../quality/folder-predictions.ts');
    if (err instanceof InvalidInput || err instanceof ImageFolderError) {
      process.stderr.write(`spinexr eval: ${err.message}\n`);
      process.exitCode = 1;
      return;
    }
    throw err;
  }
}

async function predictImages(
  opts: EvalOptions,
  annotations: Awaited<ReturnType<typeof import('../../quality/csv.ts').readAnnotations>>,
): Promise<Map<string, import('../../quality/csv.ts').PredictedImage>> {
  const { writeFile } = await import('node:fs/promises');
  const { listImageFiles, predictFolder, ImageFolderError } = await import('../../quality/folder-predictions.ts');
  const { createAnalysisClient } = await import('../../client/analysis-client.ts');
  const { formatPredictions } = await import('../../quality/csv.ts');
  const cliProgress = await import('cli-progress');

  const dir = opts.images!;
  const files = await listImageFiles(dir);
  // Check the pairing before sending anything: a missing image found after an hour is no help.
  const inFolder = new Set(files.map((f) => f.imageId));
  const notAnnotated = files.filter((f) => !annotations.images.has(f.imageId));
  if (notAnnotated.length) {
    throw new ImageFolderError(`${notAnnotated.length} image(s) in ${dir} are not in ${annotations.file}, e.g. ${notAnnotated[0].path}`);
  }
  const missing = [...annotations.images.values()].filter((a) => !inFolder.has(a.imageId));
  if (missing.length) {
    throw new ImageFolderError(`${missing.length} annotated image(s) have no file in ${dir}, e.g. ${missing[0].imageId} (${annotations.file}:${missing[0].line})`);
  }

  const bar = new cliProgress.SingleBar(
    { format: 'analyzing {bar} {percentage}% | {value}/{total} images | {failed} failed | ETA {eta_formatted}', hideCursor: true, stream: process.stderr },
    cliProgress.Presets.shades_classic,
  );
  bar.start(files.length, 0, { failed: 0 });
  const client = createAnalysisClient(opts.address);
  let result;
  try {
    result = await predictFolder(files, {
      client,
      concurrency: opts.concurrency,
      deadlineMs: opts.deadlineMs,
      studyIdOf: (id) => annotations.images.get(id)?.studyId ?? '',
      onProgress: (done, failed) => bar.update(done, { failed }),
    });
  } finally {
    bar.stop();
    client.close();
  }
  if (opts.savePredictions) await writeFile(opts.savePredictions, formatPredictions(result.predictions));
  if (result.failures.length) {
    const shown = result.failures.slice(0, 10).map((f) => `  ${f.path}: ${f.error.message}`).join('\n');
    throw new ImageFolderError(`${result.failures.length} of ${files.length} image(s) failed${opts.savePredictions ? ` (the others are in ${opts.savePredictions})` : ''}:\n${shown}`);
  }
  return new Map(result.predictions.map((p) => [p.imageId, p]));
}
