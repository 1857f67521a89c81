// Tensor layout: the [0, 1] grey image → a model's NCHW float32 input (stretch resize, mean/std,
// grey repeated on 3 channels), and the scale factors that map detector boxes back to the original.
import type { ModelConfig } from '../common/model-config.ts';

/** One model input, batch of one, and how to map its pixels back to the original image. */
export interface ModelTensor {
  data: Float32Array;
  /** [1, channels, height, width]. */
  shape: number[];
  /** original width / input width. */
  scaleX: number;
  /** original height / input height. */
  scaleY: number;
}

/** A box as [xmin, ymin, xmax, ymax] in pixel-edge coordinates. */
export type Box = [number, number, number, number];

/**
 * Stretch-resizes a float image (aspect ratio not kept) with Pillow's BILINEAR filter for mode
 * "F": a triangle kernel widened by the scale when shrinking (antialiased), horizontal pass then
 * vertical, double accumulation. Training resizes with exactly that (models/training/data.py),
 * so serving sees the same pixels the model was trained on. Weights are computed once per call,
 * and no per-pixel allocation happens.
 *
 * @example
 * const small = resizeStretch(display.data, 2500, 3000, 224, 224);
 */
export function resizeStretch(src: Float32Array, sw: number, sh: number, dw: number, dh: number): Float32Array {
  if (sw === dw && sh === dh) return src;
  let tmp = src;
  if (dw !== sw) {
    const h = coefficients(sw, dw);
    tmp = new Float32Array(dw * sh);
    const { start, count, weights, ksize } = h;
    for (let y = 0; y < sh; y++) {
      const row = y * sw;
      const outRow = y * dw;
      for (let x = 0; x < dw; x++) {
        const s = row + start[x];
        const k = x * ksize;
        const c = count[x];
        let acc = 0;
        for (let i = 0; i < c; i++) acc += src[s + i] * weights[k + i];
        tmp[outRow + x] = acc;
      }
    }
  }
  if (dh === sh) return tmp;
  const v = coefficients(sh, dh);
  const out = new Float32Array(dw * dh);
  const acc = new Float64Array(dw);
  for (let y = 0; y < dh; y++) {
    acc.fill(0);
    const k = y * v.ksize;
    for (let i = 0; i < v.count[y]; i++) {
      const w = v.weights[k + i];
      const row = (v.start[y] + i) * dw;
      for (let x = 0; x < dw; x++) acc[x] += tmp[row + x] * w;
    }
    out.set(acc, y * dw);
  }
  return out;
}

interface Coefficients { start: Int32Array; count: Int32Array; weights: Float64Array; ksize: number }

// Pillow's precompute_coeffs (Resample.c) with the bilinear filter (support 1).
function coefficients(inSize: number, outSize: number): Coefficients {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = filterScale;
  const ksize = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Float64Array(outSize * ksize);
  const ss = 1 / filterScale;
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const xmax = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin;
    let total = 0;
    for (let x = 0; x < xmax; x++) {
      const t = Math.abs((x + xmin - center + 0.5) * ss);
      const w = t < 1 ? 1 - t : 0;
      weights[xx * ksize + x] = w;
      total += w;
    }
    if (total !== 0) for (let x = 0; x < xmax; x++) weights[xx * ksize + x] /= total;
    start[xx] = xmin;
    count[xx] = xmax;
  }
  return { start, count, weights, ksize };
}

/**
 * Lays a resized [0, 1] plane out as the model's NCHW input: (x − mean[c]) / std[c] per channel,
 * the grey plane repeated when the model takes 3 channels. A single mean/std applies to all channels.
 *
 * @example
 * const t = layoutTensor(plane, config, 2500, 3000); // t.shape = [1, 3, 224, 224]
 */
export function layoutTensor(plane: Float32Array, config: ModelConfig, originalWidth: number, originalHeight: number): ModelTensor {
  const { channels, width, height } = config.input;
  const { mean, std } = config.preprocessing;
  const n = width * height;
  if (plane.length !== n) throw new RangeError(`plane has ${plane.length} values, model input ${width} × ${height} needs ${n}`);
  const data = new Float32Array(channels * n);
  for (let c = 0; c < channels; c++) {
    const m = mean[Math.min(c, mean.length - 1)];
    const inv = 1 / std[Math.min(c, std.length - 1)];
    const off = c * n;
    for (let i = 0; i < n; i++) data[off + i] = (plane[i] - m) * inv;
  }
  return { data, shape: [1, channels, height, width], scaleX: originalWidth / width, scaleY: originalHeight / height };
}

/**
 * Resizes and lays out one [0, 1] image for several models, resizing once per distinct input size.
 *
 * @example
 * const tensors = toModelInputs(display, [{ key: 'cls', config: cls }, { key: 'det', config: det }]);
 */
export function toModelInputs(
  image: { width: number; height: number; data: Float32Array },
  targets: readonly { key: string; config: ModelConfig }[],
  resized = new Map<string, Float32Array>(),
): Map<string, ModelTensor> {
  const out = new Map<string, ModelTensor>();
  for (const { key, config } of targets) {
    const { width, height } = config.input;
    const sizeKey = `${width}x${height}`;
    let plane = resized.get(sizeKey);
    if (!plane) {
      plane = resizeStretch(image.data, image.width, image.height, width, height);
      resized.set(sizeKey, plane);
    }
    out.set(key, layoutTensor(plane, config, image.width, image.height));
  }
  return out;
}

/**
 * Maps a box from model-input pixels back to original-image pixels (stretch resize: each axis
 * scales independently), optionally clamped to the original image.
 *
 * @example
 * mapBoxToOriginal([10, 20, 30, 40], 4.8828, 5.8594) // [48.8, 117.2, 146.5, 234.4]
 */
export function mapBoxToOriginal(box: ArrayLike<number>, scaleX: number, scaleY: number, clampTo?: { width: number; height: number }): Box {
  let [x0, y0, x1, y1] = [box[0] * scaleX, box[1] * scaleY, box[2] * scaleX, box[3] * scaleY];
  if (clampTo) {
    x0 = Math.min(Math.max(x0, 0), clampTo.width);
    x1 = Math.min(Math.max(x1, 0), clampTo.width);
    y0 = Math.min(Math.max(y0, 0), clampTo.height);
    y1 = Math.min(Math.max(y1, 0), clampTo.height);
  }
  return [x0, y0, x1, y1];
}
