// Contact-sheet previews of phantoms: 8-bit PNGs, downscaled, with the ground-truth boxes drawn in colour.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { FINDINGS, type Finding } from '../../services/common/model-config.ts';
import { toDisplay } from './display.ts';
import type { PhantomImage } from './phantom-generator.ts';

/** One colour per finding, in FINDINGS order. */
export const FINDING_COLOURS: Record<Finding, [number, number, number]> = {
  Osteophytes: [255, 60, 60],
  'Surgical implant': [60, 200, 255],
  Spondylolysthesis: [255, 200, 0],
  'Foraminal stenosis': [200, 80, 255],
  'Disc space narrowing': [60, 255, 90],
  'Vertebral collapse': [255, 130, 0],
  'Other lesions': [255, 80, 200],
};

/** Default preview height in px. */
export const DEFAULT_PREVIEW_HEIGHT = 800;

/**
 * Renders a display-orientation, area-downscaled RGB preview with the boxes drawn, and writes it as PNG.
 * @example await writePreview(img, '/tmp/phantom-look/a.png')
 */
export async function writePreview(image: PhantomImage, file: string, height = DEFAULT_PREVIEW_HEIGHT): Promise<void> {
  const y = toDisplay(image);
  const f = Math.max(1, Math.ceil(image.height / height));
  const w = Math.floor(image.width / f);
  const h = Math.floor(image.height / f);
  const rgb = new Uint8Array(w * h * 3);
  for (let py = 0; py < h; py++) {
    for (let px = 0; px < w; px++) {
      let acc = 0;
      for (let dy = 0; dy < f; dy++) {
        const row = (py * f + dy) * image.width + px * f;
        for (let dx = 0; dx < f; dx++) acc += y[row + dx];
      }
      const v = Math.round((acc / (f * f)) * 255);
      const o = (py * w + px) * 3;
      rgb[o] = rgb[o + 1] = rgb[o + 2] = v;
    }
  }
  for (const b of image.boxes) {
    const [r, g, bl] = FINDING_COLOURS[b.lesionType];
    const x0 = Math.floor(b.xmin / f);
    const x1 = Math.min(w - 1, Math.ceil(b.xmax / f));
    const y0 = Math.floor(b.ymin / f);
    const y1 = Math.min(h - 1, Math.ceil(b.ymax / f));
    const set = (x: number, yy: number) => {
      const o = (yy * w + x) * 3;
      rgb[o] = r;
      rgb[o + 1] = g;
      rgb[o + 2] = bl;
    };
    for (let x = x0; x <= x1; x++) { set(x, y0); set(x, y1); }
    for (let yy = y0; yy <= y1; yy++) { set(x0, yy); set(x1, yy); }
  }
  // A legend strip: one coloured square per finding present.
  const present = FINDINGS.filter((fd) => image.boxes.some((b) => b.lesionType === fd));
  present.forEach((fd, i) => {
    const [r, g, bl] = FINDING_COLOURS[fd];
    for (let yy = 4; yy < 14; yy++) for (let x = 4 + i * 14; x < 14 + i * 14; x++) {
      const o = (yy * w + x) * 3;
      rgb[o] = r; rgb[o + 1] = g; rgb[o + 2] = bl;
    }
  });
  await sharp(rgb, { raw: { width: w, height: h, channels: 3 } }).png().toFile(file);
}

/** Writes previews of several images into `dir` as `<index>-<view>-<imageId8>.png`. */
export async function writePreviews(images: PhantomImage[], dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files: string[] = [];
  for (const [i, img] of images.entries()) {
    const file = join(dir, `${String(i).padStart(3, '0')}-${img.view}-${img.ids.imageId.slice(0, 8)}.png`);
    await writePreview(img, file);
    files.push(file);
  }
  return files;
}
