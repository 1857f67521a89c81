// Generates phantom spine radiographs and studies: seeded, deterministic, with exact ground-truth boxes.
import { FINDINGS, type Finding } from '../../services/common/model-config.ts';
import { paintSkeleton, paintSoftTissue } from './anatomy-painter.ts';
import { autoWindow, expose, MAX_STORED } from './detector.ts';
import { paintLesions, type LesionBox } from './lesion-painter.ts';
import { samplePatient, View, VISIBLE_IN, type PatientSpec } from './patient.ts';
import { deriveSeed, Rng } from './prng.ts';
import { Layer, gaussianBlur } from './raster.ts';
import { resolveScannerProfile, type ScannerProfile, type ScannerProfileName } from './scanner-profile.ts';
import { makePatientTags, makeUid, type PatientTags } from './identity.ts';
import { layoutView } from './view-geometry.ts';

export type Photometric = 'MONOCHROME1' | 'MONOCHROME2';

/** The identifiers of one image: VinDr-style hex ids (CSV) and DICOM UIDs. */
export interface PhantomIds {
  studyId: string;
  seriesId: string;
  imageId: string;
  studyInstanceUid: string;
  seriesInstanceUid: string;
  sopInstanceUid: string;
}

/** One generated radiograph: stored pixels plus everything needed to display, label and write it. */
export interface PhantomImage {
  /** Stored values, row-major, 0..4095 (12 bits in 16). MONOCHROME1 stores bone dark. */
  pixels: Uint16Array;
  width: number;
  height: number;
  photometric: Photometric;
  bitsStored: 12;
  /** Window in modality units (after rescale), as written to the DICOM file. */
  windowCenter: number;
  windowWidth: number;
  rescaleSlope: number;
  rescaleIntercept: number;
  /** Row spacing, column spacing in mm (DICOM Pixel Spacing order). */
  pixelSpacing: [number, number];
  view: View;
  profile: string;
  /** Ground-truth boxes, absolute pixel coordinates; empty for a normal image. */
  boxes: LesionBox[];
  ids: PhantomIds;
  patient: PatientTags;
  /** Radiologist id for the annotation rows (`rad1`..`rad3`). */
  radId: string;
  seed: number;
}

/** A request that cannot be met (e.g. a lateral-only finding forced on an AP view). */
export class InvalidPhantomRequest extends Error {
  override name = 'InvalidPhantomRequest';
}

/** Options of `generateImage`. */
export interface GenerateImageOptions {
  seed: number;
  /** Built-in profile name or a profile object; default `default`. */
  profile?: ScannerProfileName | string | ScannerProfile;
  /** `ap` or `lateral`; default: drawn from the seed (lateral when a forced finding needs it). */
  view?: View;
  /** Exactly these findings, each drawn at least once (and nothing else). */
  forceFindings?: readonly Finding[];
  /** No findings. */
  normal?: boolean;
  /** Image size in px; default drawn from the profile. Small sizes keep the same anatomy in mm (coarser spacing). */
  width?: number;
  height?: number;
}

/** Study-level state shared by the images of one study. */
interface StudyContext {
  studyId: string;
  studyInstanceUid: string;
  patient: PatientSpec;
  tags: PatientTags;
  photometric: Photometric;
  rescale: [number, number];
  radId: string;
  profile: ScannerProfile;
}

function studyContext(seed: number, profile: ScannerProfile, opts: Pick<GenerateImageOptions, 'forceFindings' | 'normal'>): StudyContext {
  const root = new Rng(deriveSeed(seed, 'study'));
  const ids = root.fork('ids');
  const acq = root.fork('acquisition');
  const patient = samplePatient(root.fork('anatomy'), root.fork('lesions'), profile, opts);
  return {
    studyId: ids.hex(32),
    studyInstanceUid: makeUid(ids.hex(32)),
    patient,
    tags: makePatientTags(root.fork('patient'), patient, profile),
    photometric: acq.chance(profile.monochrome1Share) ? 'MONOCHROME1' : 'MONOCHROME2',
    rescale: acq.chance(profile.rescaledShare) ? [2, -1024] : [1, 0],
    radId: `rad${acq.int(1, 3)}`,
    profile,
  };
}

/**
 * Generates one phantom radiograph (a one-image study).
 * @example
 * const img = generateImage({ seed: 7, view: 'lateral', forceFindings: ['Surgical implant'] });
 * img.boxes; // [{ lesionType: 'Surgical implant', xmin, ymin, xmax, ymax }]
 */
export function generateImage(opts: GenerateImageOptions): PhantomImage {
  const profile = resolveScannerProfile(opts.profile);
  for (const f of opts.forceFindings ?? []) {
    if (!FINDINGS.includes(f)) throw new InvalidPhantomRequest(`unknown finding "${f}"`);
  }
  const lateralOnly = (opts.forceFindings ?? []).filter((f) => !VISIBLE_IN[f].includes(View.AP));
  if (opts.view === View.AP && lateralOnly.length) {
    throw new InvalidPhantomRequest(`${lateralOnly.join(', ')} can only be shown on a lateral view`);
  }
  const ctx = studyContext(opts.seed, profile, opts);
  const view = opts.view ?? (lateralOnly.length ? View.Lateral : new Rng(deriveSeed(opts.seed, 'view')).chance(0.5) ? View.AP : View.Lateral);
  return renderImage(ctx, deriveSeed(opts.seed, 'image:0'), view, opts.width, opts.height);
}

/** A study: 1–3 images of one patient (AP, lateral, and sometimes a second lateral). */
export interface PhantomStudy {
  studyId: string;
  images: PhantomImage[];
}

/** Options of `generateStudy`. */
export interface GenerateStudyOptions {
  seed: number;
  profile?: ScannerProfileName | string | ScannerProfile;
  /** Number of images (1–3); default drawn from the seed. */
  imageCount?: number;
  forceFindings?: readonly Finding[];
  normal?: boolean;
}

/**
 * Generates a study of 1–3 images of the same patient: the lesions are planned once and drawn on every view
 * where they are visible (slips and foraminal stenosis only on laterals).
 * @example const { images } = generateStudy({ seed: 3, profile: 'portable-lowdose' });
 */
export function generateStudy(opts: GenerateStudyOptions): PhantomStudy {
  const profile = resolveScannerProfile(opts.profile);
  const ctx = studyContext(opts.seed, profile, opts);
  const pick = new Rng(deriveSeed(opts.seed, 'views'));
  const count = Math.max(1, Math.min(3, opts.imageCount ?? pick.pick([1, 2, 2, 2, 3])));
  const views: View[] = count === 1 ? [pick.chance(0.5) ? View.AP : View.Lateral] : count === 2 ? [View.AP, View.Lateral] : [View.AP, View.Lateral, View.Lateral];
  const images = views.map((v, i) => renderImage(ctx, deriveSeed(opts.seed, `image:${i}`), v));
  return { studyId: ctx.studyId, images };
}

function renderImage(ctx: StudyContext, seed: number, view: View, width?: number, height?: number): PhantomImage {
  const { profile, patient } = ctx;
  const root = new Rng(seed);
  const acq = root.fork('acquisition');
  const ids = root.fork('ids');
  const fov = acq.uniform(profile.fieldOfViewMm[0], profile.fieldOfViewMm[1]);
  const rows = height ?? acq.int(profile.rows[0], profile.rows[1]);
  const cols = width ?? acq.int(profile.columns[0], profile.columns[1]);
  let spacing = fov / rows;
  if (height === undefined) spacing = Math.min(0.2, Math.max(0.1, spacing));
  // Lateral fields are a little narrower than tall; keep the column spacing square.
  const geometry = layoutView(patient, view, cols, rows, spacing, root.fork('layout'));
  const scale = rows >= 1200 ? 2 : 1;
  const lw = Math.ceil(cols / scale);
  const lh = Math.ceil(rows / scale);
  const soft = new Layer(lw, lh, scale);
  const bone = new Layer(lw, lh, scale);
  const paint = root.fork('paint');
  paintSoftTissue(soft, geometry, paint, profile.bowelGas);
  paintSkeleton(bone, geometry, patient.levels, paint);
  addTrabecularTexture(bone, deriveSeed(seed, 'texture'), 0.2);
  const boxes = paintLesions(bone, geometry, patient.lesions);
  soft.addScaled(bone, profile.boneContrast);
  let pixels = expose(soft.data, lw, lh, cols, rows, profile, spacing, deriveSeed(seed, 'noise'));
  const win = autoWindow(pixels);
  let center = win.center;
  if (ctx.photometric === 'MONOCHROME1') {
    for (let i = 0; i < pixels.length; i++) pixels[i] = MAX_STORED - pixels[i];
    center = MAX_STORED - center;
  }
  const [slope, intercept] = ctx.rescale;
  pixels = pixels as Uint16Array;
  const seriesId = ids.hex(32);
  return {
    pixels,
    width: cols,
    height: rows,
    photometric: ctx.photometric,
    bitsStored: 12,
    windowCenter: center * slope + intercept,
    windowWidth: win.width * slope,
    rescaleSlope: slope,
    rescaleIntercept: intercept,
    pixelSpacing: [round6(spacing), round6(spacing)],
    view,
    profile: profile.name,
    boxes,
    ids: {
      studyId: ctx.studyId,
      seriesId,
      imageId: ids.hex(32),
      studyInstanceUid: ctx.studyInstanceUid,
      seriesInstanceUid: makeUid(ids.hex(32)),
      sopInstanceUid: makeUid(ids.hex(32)),
    },
    patient: ctx.tags,
    radId: ctx.radId,
    seed,
  };
}

function round6(v: number): number {
  return Math.round(v * 1e6) / 1e6;
}

const TEXTURE_SIZE = 512;
let trabecular: Float32Array | undefined;

/** A tileable-enough noise texture, blurred once per process and reused with a random offset per image. */
function trabecularTexture(): Float32Array {
  if (trabecular) return trabecular;
  const n = TEXTURE_SIZE * TEXTURE_SIZE;
  const tex = new Float32Array(n);
  const rng = new Rng(0x7ab3c);
  for (let i = 0; i < n; i++) tex[i] = rng.normal();
  const sigma = 1.1;
  gaussianBlur(tex, TEXTURE_SIZE, TEXTURE_SIZE, sigma);
  // Blurring white noise shrinks its sd by about 1 / (2 sqrt(pi) sigma); undo that so the amplitude is 1.
  const k = 2 * Math.sqrt(Math.PI) * sigma;
  for (let i = 0; i < n; i++) tex[i] *= k;
  return (trabecular = tex);
}

/** Multiplies bone by a fine random texture so cancellous bone looks trabecular rather than flat. */
function addTrabecularTexture(bone: Layer, seed: number, amplitude: number): void {
  const tex = trabecularTexture();
  const rng = new Rng(seed);
  const ox = rng.int(0, TEXTURE_SIZE - 1);
  const oy = rng.int(0, TEXTURE_SIZE - 1);
  const d = bone.data;
  const w = bone.width;
  const mask = TEXTURE_SIZE - 1;
  for (let y = 0; y < bone.height; y++) {
    const trow = ((y + oy) & mask) * TEXTURE_SIZE;
    const off = y * w;
    for (let x = 0; x < w; x++) {
      const v = d[off + x];
      if (v !== 0) d[off + x] = v * (1 + amplitude * tex[trow + ((x + ox) & mask)]);
    }
  }
}
