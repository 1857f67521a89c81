// Images for load: files and folders given on the command line, or phantoms generated on the fly
// (DICOM explicit VR little endian, or 16-bit grey PNG) at a chosen size.
import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';

export const InputFormat = { Dicom: 'dicom', Png: 'png' } as const;
export type InputFormat = (typeof InputFormat)[keyof typeof InputFormat];

/** File name endings read from a folder; anything else in it is skipped. */
export const IMAGE_EXTENSIONS = ['.dcm', '.dicom', '.png', '.jpg', '.jpeg', ''];

/** Reads the given files, and every image file directly inside the given folders. */
export async function readImages(paths: readonly string[]): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for (const p of paths) {
    if ((await stat(p)).isDirectory()) {
      for (const f of (await readdir(p)).sort()) {
        const full = join(p, f);
        if (IMAGE_EXTENSIONS.includes(extname(f).toLowerCase()) && (await stat(full)).isFile()) out.push(await readFile(full));
      }
    } else out.push(await readFile(p));
  }
  if (!out.length) throw new Error(`no image files in ${paths.join(', ')}`);
  return out;
}

/** Parses `WxH`, e.g. `600x800`. */
export function parseSize(text: string): { width: number; height: number } {
  const m = /^(\d+)[x×](\d+)$/i.exec(text.trim());
  if (!m) throw new Error(`size "${text}" is not WxH (e.g. 600x800)`);
  return { width: Number(m[1]), height: Number(m[2]) };
}

/**
 * Phantom radiographs of one size, encoded as DICOM (explicit VR LE, 16-bit) or 16-bit PNG.
 * @example const images = await phantomImages({ count: 4, width: 600, height: 800, format: 'png' });
 */
export async function phantomImages(opts: { count: number; width: number; height: number; format: InputFormat; seed?: number }): Promise<Uint8Array[]> {
  const { generateImage, toDicom, toDisplayPng } = await import('../../models/phantoms/index.ts');
  const out: Uint8Array[] = [];
  for (let i = 0; i < opts.count; i++) {
    const img = generateImage({ seed: (opts.seed ?? 1) + i, width: opts.width, height: opts.height });
    out.push(opts.format === InputFormat.Png ? new Uint8Array(await toDisplayPng(img)) : toDicom(img, { anonymous: true }));
  }
  return out;
}
