// Windowing: stored pixel values → display values in [0, 1] (rescale, VOI LUT or window, MONOCHROME1
// inversion), the one place where the DICOM display pipeline (PS3.3 C.11.2) is implemented.
import type { DicomImage, StoredPixels } from './dicom-decoder.ts';

/** How the [0, 1] image was obtained. */
export const Windowing = {
  /** The VOI LUT Sequence of the file. */
  VoiLut: 'voi_lut',
  /** Window Center / Width with the file's VOI LUT Function. */
  Window: 'window',
  /** Min–max of the modality values (no VOI in the file, or the model asked for it). */
  MinMax: 'minmax',
  /** PNG / JPEG: values divided by the format's maximum, nothing else. */
  None: 'none',
} as const;
export type Windowing = (typeof Windowing)[keyof typeof Windowing];

/** Which VOI a model asks for (`ModelConfig.preprocessing.window`). */
export type WindowMode = 'voi' | 'minmax';

/** The VOI attributes windowing reads; a `DicomImage` satisfies it. */
export type WindowInput = Pick<DicomImage,
  'pixels' | 'photometric' | 'rescaleSlope' | 'rescaleIntercept' | 'windowCenter' | 'windowWidth' | 'voiLut' | 'voiLutFunction' | 'bitsStored' | 'pixelRepresentation'>;

/** A grey image with values in [0, 1], row-major. */
export interface DisplayImage {
  width: number;
  height: number;
  data: Float32Array;
  windowing: Windowing;
}

/**
 * The DICOM linear window (PS3.3 C.11.2.1.2.1), output in [0, 1]:
 * y = ((x − (c − 0.5)) / (w − 1) + 0.5), clamped. A width of 1 is a threshold at c − 0.5.
 *
 * @example
 * windowLinear(1024, 1024, 2048) // ≈ 0.50024
 */
export function windowLinear(x: number, center: number, width: number): number {
  if (width <= 1) return x > center - 0.5 ? 1 : 0;
  const y = (x - (center - 0.5)) / (width - 1) + 0.5;
  return y <= 0 ? 0 : y >= 1 ? 1 : y;
}

/**
 * LINEAR_EXACT (PS3.3 C.11.2.1.3.2): y = (x − c) / w + 0.5, clamped to [0, 1].
 * @example windowLinearExact(100, 100, 50) // 0.5
 */
export function windowLinearExact(x: number, center: number, width: number): number {
  const y = (x - center) / width + 0.5;
  return y <= 0 ? 0 : y >= 1 ? 1 : y;
}

/**
 * SIGMOID (PS3.3 C.11.2.1.3.1): y = 1 / (1 + exp(−4 (x − c) / w)).
 * @example windowSigmoid(100, 100, 50) // 0.5
 */
export function windowSigmoid(x: number, center: number, width: number): number {
  return 1 / (1 + Math.exp((-4 * (x - center)) / width));
}

/**
 * Maps stored values to [0, 1] the way a DICOM viewer shows them: modality rescale, then the VOI
 * LUT Sequence if present, else Window Center / Width, else min–max; MONOCHROME1 is inverted so
 * that bright always means dense. `mode: 'minmax'` skips the file's VOI.
 * 8- and 16-bit values go through a lookup table built once per call (one pass over the pixels).
 *
 * @example
 * const display = applyWindow(image, image.width, image.height); // display.windowing === 'window'
 */
export function applyWindow(img: WindowInput, width: number, height: number, mode: WindowMode = 'voi'): DisplayImage {
  const px = img.pixels;
  const n = width * height;
  const slope = img.rescaleSlope ?? 1;
  const intercept = img.rescaleIntercept ?? 0;
  const invert = img.photometric === 'MONOCHROME1';
  const signed = px instanceof Int16Array || px instanceof Int8Array;
  const bits = px instanceof Uint8Array || px instanceof Int8Array ? 8 : 16;
  // Range of stored values we need a table for; signed values are offset by `base`.
  const base = signed ? -(1 << (bits - 1)) : 0;
  const size = 1 << bits;
  let windowing: Windowing;
  let f: (modality: number) => number;
  if (mode === 'voi' && img.voiLut) {
    const lut = img.voiLut;
    const max = Math.pow(2, lut.bitsPerEntry) - 1;
    const last = lut.data.length - 1;
    windowing = Windowing.VoiLut;
    f = (m) => {
      const i = Math.floor(m) - lut.firstMapped;
      return lut.data[i <= 0 ? 0 : i >= last ? last : i] / max;
    };
  } else if (mode === 'voi' && img.windowCenter !== undefined && img.windowWidth !== undefined) {
    const c = img.windowCenter;
    const w = img.windowWidth;
    windowing = Windowing.Window;
    const fn = img.voiLutFunction === 'SIGMOID' ? windowSigmoid : img.voiLutFunction === 'LINEAR_EXACT' ? windowLinearExact : windowLinear;
    f = (m) => fn(m, c, w);
  } else {
    const [lo, hi] = minMax(px, n);
    const mLo = Math.min(lo * slope + intercept, hi * slope + intercept);
    const mHi = Math.max(lo * slope + intercept, hi * slope + intercept);
    const range = mHi - mLo;
    windowing = Windowing.MinMax;
    f = range > 0 ? (m) => (m - mLo) / range : () => 0;
  }
  const table = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    const y = f((i + base) * slope + intercept);
    table[i] = invert ? 1 - y : y;
  }
  const data = new Float32Array(n);
  if (signed) {
    const off = -base;
    for (let i = 0; i < n; i++) data[i] = table[px[i] + off];
  } else {
    for (let i = 0; i < n; i++) data[i] = table[px[i]];
  }
  return { width, height, data, windowing };
}

/**
 * PNG / JPEG values to [0, 1]: v / (2^bits − 1), no window (a PNG is taken as display-ready).
 * `mode: 'minmax'` stretches the image's own range instead.
 *
 * @example
 * normalizeRaster(new Uint16Array([0, 65535]), 2, 1, 16).data // [0, 1]
 */
export function normalizeRaster(px: Uint8Array | Uint16Array, width: number, height: number, bits: 8 | 16, mode: WindowMode = 'voi'): DisplayImage {
  const n = width * height;
  const size = 1 << bits;
  const table = new Float32Array(size);
  let windowing: Windowing = Windowing.None;
  if (mode === 'minmax') {
    const [lo, hi] = minMax(px, n);
    windowing = Windowing.MinMax;
    for (let i = 0; i < size; i++) table[i] = hi > lo ? Math.min(1, Math.max(0, (i - lo) / (hi - lo))) : 0;
  } else {
    for (let i = 0; i < size; i++) table[i] = i / (size - 1);
  }
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = table[px[i]];
  return { width, height, data, windowing };
}

function minMax(px: StoredPixels, n: number): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = px[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return n ? [lo, hi] : [0, 0];
}
