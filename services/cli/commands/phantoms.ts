// `spinexr phantoms`: writes a synthetic spine radiograph dataset (DICOM, optional PNG, VinDr-style CSVs).
import type { Command } from 'commander';

/** Registers `spinexr phantoms --count N --seed S --out DIR [--profile NAME] [--png] [--no-dicom] [--preview DIR]`. */
export function register(program: Command): void {
  program
    .command('phantoms')
    .description('generate synthetic lumbar spine radiographs with known lesions (DICOM, PNG, annotations.csv)')
    .option('-n, --count <n>', 'number of images', (v) => parsePositiveInt(v, '--count'), 100)
    .option('-s, --seed <seed>', 'seed (same seed, same bytes)', (v) => parsePositiveInt(v, '--seed', true), 1)
    .option('-o, --out <dir>', 'output folder', 'out/phantoms')
    .option('-p, --profile <name>', 'scanner profile: default, siemens-like-noisy, portable-lowdose', 'default')
    .option('--png', 'also write display-ready 16-bit PNGs under png/')
    .option('--no-dicom', 'skip the DICOM files')
    .option('--preview <dir>', 'write 8-bit previews with the boxes drawn (first 24 images)')
    .action(async (opts: { count: number; seed: number; out: string; profile: string; png?: boolean; dicom: boolean; preview?: string }) => {
      const { writeDataset } = await import('../../../models/phantoms/dataset-writer.ts');
      const { writePreview } = await import('../../../models/phantoms/preview.ts');
      const { mkdir } = await import('node:fs/promises');
      const { join } = await import('node:path');
      if (opts.preview) await mkdir(opts.preview, { recursive: true });
      const s = await writeDataset({
        outDir: opts.out,
        count: opts.count,
        seed: opts.seed,
        profile: opts.profile,
        png: Boolean(opts.png),
        dicom: opts.dicom,
        onImage: opts.preview
          ? (img, i) => (i < 24 ? writePreview(img, join(opts.preview!, `${String(i).padStart(3, '0')}-${img.view}-${img.ids.imageId.slice(0, 8)}.png`)) : undefined)
          : undefined,
      });
      const boxes = Object.entries(s.boxesPerFinding).map(([f, n]) => `${f}=${n}`).join(' ');
      console.log(
        `phantoms: ${s.images} images in ${s.studies} studies, abnormal ${((100 * s.abnormal) / Math.max(1, s.images)).toFixed(0)}%, boxes: ${boxes}, ${s.seconds.toFixed(1)} s -> ${opts.out}`,
      );
    });
}

function parsePositiveInt(v: string, name: string, allowZero = false): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < (allowZero ? 0 : 1)) throw new Error(`${name} must be a ${allowZero ? 'non-negative' : 'positive'} integer, got "${v}"`);
  return n;
}
