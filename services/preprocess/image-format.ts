// Image format detection from magic bytes: DICOM (Part 10 or a raw dataset), PNG or JPEG.
import { InvalidInput } from '../common/errors.ts';
import { sniffRawDataset } from './dicom-parser.ts';

/** The image formats preprocessing accepts. */
export const ImageFormat = { Dicom: 'dicom', Png: 'png', Jpeg: 'jpeg' } as const;
export type ImageFormat = (typeof ImageFormat)[keyof typeof ImageFormat];

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/**
 * Tells the format from the first bytes. A DICOM file is recognised by "DICM" at offset 128, or,
 * without the preamble, by a first element of group 0002 or 0008 with a plausible VR or length.
 * Throws InvalidInput for zero bytes and for anything else.
 *
 * @example
 * detectImageFormat(await readFile('spine.dcm')) // 'dicom'
 */
export function detectImageFormat(bytes: Uint8Array): ImageFormat {
  if (bytes.length === 0) throw new InvalidInput('empty image: zero bytes received');
  if (bytes.length >= 132 && bytes[128] === 0x44 && bytes[129] === 0x49 && bytes[130] === 0x43 && bytes[131] === 0x4d) {
    return ImageFormat.Dicom;
  }
  if (bytes.length >= 8 && PNG_SIGNATURE.every((b, i) => bytes[i] === b)) return ImageFormat.Png;
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return ImageFormat.Jpeg;
  if (sniffRawDataset(bytes)) return ImageFormat.Dicom;
  const head = Array.from(bytes.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join(' ');
  throw new InvalidInput(`not a DICOM, PNG or JPEG image (first bytes: ${head})`);
}
