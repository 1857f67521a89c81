// The display mapping shared by phantoms, training and serving: rescale, DICOM linear window, MONOCHROME1 inversion.

/** What the display mapping needs from an image (a `PhantomImage` fits, so does a parsed DICOM). */
export interface DisplayInput {
  pixels: ArrayLike<number>;
  photometric: 'MONOCHROME1' | 'MONOCHROME2';
  windowCenter: number;
  windowWidth: number;
  rescaleSlope: number;
  rescaleIntercept: number;
}

/**
 * DICOM linear window function (PS3.3 C.11.2.1.2) mapped to [0, 1]:
 * y = ((x - (c - 0.5)) / (w - 1) + 0.5), clamped. `x` is a modality value (after rescale).
 * @example windowLinear(2047, 2048, 4096) // ≈ 0.5
 */
export function windowLinear(x: number, center: number, width: number): number {
  const y = (x - (center - 0.5)) / (width - 1) + 0.5;
  return y <= 0 ? 0 : y >= 1 ? 1 : y;
}

/**
 * The display-ready image in [0, 1], bone bright: modality = stored × slope + intercept; linear window;
 * inverted (1 - y) when MONOCHROME1. Serving preprocessing and training must match this.
 * @example const y = toDisplay(generateImage({ seed: 1 })); // Float32Array, length width × height
 */
export function toDisplay(image: DisplayInput): Float32Array {
  const { pixels, windowCenter: c, windowWidth: w, rescaleSlope: m, rescaleIntercept: b } = image;
  const invert = image.photometric === 'MONOCHROME1';
  const out = new Float32Array(pixels.length);
  const k = 1 / (w - 1);
  const off = -(c - 0.5) * k + 0.5;
  for (let i = 0; i < pixels.length; i++) {
    let y = (pixels[i] * m + b) * k + off;
    y = y <= 0 ? 0 : y >= 1 ? 1 : y;
    out[i] = invert ? 1 - y : y;
  }
  return out;
}

/**
 * `toDisplay` quantised to 16 bits: round(y × 65535). This is exactly what the phantom PNGs hold, and what
 * training reads back as v / 65535.
 */
export function toDisplayUint16(image: DisplayInput): Uint16Array {
  const y = toDisplay(image);
  const out = new Uint16Array(y.length);
  for (let i = 0; i < y.length; i++) out[i] = Math.round(y[i] * 65535);
  return out;
}
