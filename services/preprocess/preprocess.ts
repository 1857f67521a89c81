// The one-call preprocessing API: radiograph bytes → image facts and one input tensor per model.
// Identifying DICOM tags come back as `protectedTags` and must stay inside the preprocessing stage.
import type { ModelConfig } from '../common/model-config.ts';
import { type ProtectedTags, DEFAULT_MAX_PIXELS, decodeDicom } from './dicom-decoder.ts';
import { ImageFormat, detectImageFormat } from './image-format.ts';
import { decodeRaster } from './raster-decoder.ts';
import { type ModelTensor, toModelInputs } from './tensor-layout.ts';
import { type DisplayImage, type WindowMode, applyWindow, normalizeRaster } from './windowing.ts';

/** Limits applied before any pixel is decoded. */
export interface PreprocessLimits {
  /** Largest width × height accepted; default DEFAULT_MAX_PIXELS. */
  maxPixels?: number;
}

/** Non-identifying facts about the image, safe to put on the bus. */
export interface ImageInfo {
  width: number;
  height: number;
  format: ImageFormat;
  /** DICOM transfer syntax UID; '' for PNG / JPEG. */
  transferSyntax: string;
  /** DICOM photometric interpretation; MONOCHROME2 for grey PNG / JPEG, RGB for colour ones. */
  photometric: string;
  bitsStored: number;
  /** How the [0, 1] image was obtained (of the first target when targets differ). */
  windowing: string;
}

/** What `preprocessImage` returns. */
export interface PreprocessResult {
  info: ImageInfo;
  /** One tensor per target key. */
  tensors: Map<string, ModelTensor>;
  /** Patient and study identifiers from a DICOM file ({} otherwise). Never send, log or store them. */
  protectedTags: ProtectedTags;
  /** Milliseconds per stage. */
  timings: { decode: number; window: number; resize: number; total: number };
}

/**
 * Decodes a DICOM, PNG or JPEG radiograph and lays it out as each target model's input.
 * Throws InvalidInput for anything that is not a decodable image within `limits`.
 *
 * @example
 * const r = await preprocessImage(bytes, [{ key: 'spine-classifier:2', config }]);
 * const { data, shape } = r.tensors.get('spine-classifier:2')!; // shape [1, 3, 224, 224]
 */
export async function preprocessImage(
  bytes: Uint8Array,
  targets: readonly { key: string; config: ModelConfig }[],
  limits: PreprocessLimits = {},
): Promise<PreprocessResult> {
  const maxPixels = limits.maxPixels ?? DEFAULT_MAX_PIXELS;
  const t0 = performance.now();
  const format = detectImageFormat(bytes);
  let protectedTags: ProtectedTags = {};
  let info: ImageInfo;
  let display: (mode: WindowMode) => DisplayImage;
  if (format === ImageFormat.Dicom) {
    const decoded = await decodeDicom(bytes, { maxPixels });
    const { image } = decoded;
    protectedTags = decoded.protectedTags;
    info = { width: image.width, height: image.height, format, transferSyntax: image.transferSyntax, photometric: image.photometric, bitsStored: image.bitsStored, windowing: '' };
    display = (mode) => applyWindow(image, image.width, image.height, mode);
  } else {
    const image = await decodeRaster(bytes, format, { maxPixels });
    info = { width: image.width, height: image.height, format, transferSyntax: '', photometric: image.colour ? 'RGB' : 'MONOCHROME2', bitsStored: image.bits, windowing: '' };
    display = (mode) => normalizeRaster(image.pixels, image.width, image.height, image.bits, mode);
  }
  const t1 = performance.now();

  // Window once per distinct mode, resize once per distinct (mode, size).
  const modes = new Map<WindowMode, typeof targets[number][]>();
  for (const t of targets) {
    const mode = t.config.preprocessing.window ?? 'voi';
    modes.set(mode, [...(modes.get(mode) ?? []), t]);
  }
  if (modes.size === 0) modes.set('voi', []);
  let windowMs = 0;
  let resizeMs = 0;
  const tensors = new Map<string, ModelTensor>();
  for (const [mode, group] of modes) {
    const w0 = performance.now();
    const img = display(mode);
    const w1 = performance.now();
    windowMs += w1 - w0;
    if (!info.windowing) info.windowing = img.windowing;
    for (const [key, tensor] of toModelInputs(img, group)) tensors.set(key, tensor);
    resizeMs += performance.now() - w1;
  }
  // Keep the caller's target order.
  const ordered = new Map(targets.map((t) => [t.key, tensors.get(t.key)!]));
  return {
    info,
    tensors: ordered,
    protectedTags,
    timings: { decode: t1 - t0, window: windowMs, resize: resizeMs, total: performance.now() - t0 },
  };
}
