// Decodes PNG and JPEG radiographs (8 or 16 bit, grey or colour) to grey values with sharp.
import sharp from 'sharp';
import { InvalidInput } from '../common/errors.ts';
import { DEFAULT_MAX_PIXELS, checkPixelCount } from './dicom-decoder.ts';
import type { ImageFormat } from './image-format.ts';

/** A decoded PNG / JPEG: one grey value per pixel, 8 or 16 bits. */
export interface RasterImage {
  width: number;
  height: number;
  bits: 8 | 16;
  /** Whether the file was colour (reduced to grey luminance by libvips). */
  colour: boolean;
  pixels: Uint8Array | Uint16Array;
}

/**
 * Decodes a PNG or JPEG to grey pixels. The size is read from the header and checked against
 * `maxPixels` before decoding (sharp's `limitInputPixels` as a second guard); corrupt or truncated
 * files are refused with InvalidInput.
 *
 * @example
 * const img = await decodeRaster(pngBytes, 'png'); // img.bits === 16 for a 16-bit PNG
 */
export async function decodeRaster(bytes: Uint8Array, format: Exclude<ImageFormat, 'dicom'>, limits: { maxPixels?: number } = {}): Promise<RasterImage> {
  const maxPixels = limits.maxPixels ?? DEFAULT_MAX_PIXELS;
  const label = format === 'png' ? 'PNG' : 'JPEG';
  const open = () => sharp(bytes, { limitInputPixels: maxPixels, failOn: 'error', sequentialRead: true });
  let meta: sharp.Metadata;
  try {
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (err) {
    throw new InvalidInput(`corrupt ${label} image: ${message(err)}`, { cause: err });
  }
  const width = meta.width ?? 0;
  const height = meta.height ?? 0;
  if (!width || !height) throw new InvalidInput(`corrupt ${label} image: no size in its header`);
  checkPixelCount(width, height, maxPixels);
  const bits: 8 | 16 = meta.depth === 'ushort' ? 16 : 8;
  const colour = (meta.channels ?? 1) - (meta.hasAlpha ? 1 : 0) > 1;
  let data: Buffer;
  let info: sharp.OutputInfo;
  try {
    let img = open().removeAlpha();
    img = bits === 16 ? img.toColourspace('grey16') : img.toColourspace('b-w');
    ({ data, info } = await img.raw(bits === 16 ? { depth: 'ushort' } : {}).toBuffer({ resolveWithObject: true }));
  } catch (err) {
    throw new InvalidInput(`corrupt or truncated ${label} image: ${message(err)}`, { cause: err });
  }
  if (info.channels !== 1 || info.width !== width || info.height !== height) {
    throw new InvalidInput(`corrupt ${label} image: decoded ${info.width} × ${info.height} × ${info.channels}, header said ${width} × ${height}`);
  }
  // Buffer from sharp is its own allocation; aligned for 16-bit views unless pooled.
  const pixels = bits === 16
    ? (data.byteOffset % 2 === 0 ? new Uint16Array(data.buffer, data.byteOffset, width * height) : new Uint16Array(Uint8Array.from(data).buffer))
    : new Uint8Array(data.buffer, data.byteOffset, width * height);
  return { width, height, bits, colour, pixels };
}

function message(err: unknown): string {
  return ((err as Error)?.message ?? String(err)).split('\n')[0].trim();
}
