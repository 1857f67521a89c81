// Decodes frame 1 of a DICOM radiograph into stored pixel values plus the tags windowing needs;
// identifying tags come back separately, as `protectedTags`, and never leave the preprocessing stage.
import codecs from 'dcmjs-codecs';
import { InvalidInput } from '../common/errors.ts';
import {
  type DicomElement, type ParsedDicom, TRANSFER_SYNTAX_NAMES, Tag, TransferSyntax,
  parseDicom, readNumbers, readString, readUint, readUints,
} from './dicom-parser.ts';

const { NativeCodecs, Context } = codecs;

/** Largest image accepted by default: 50 MP (a 7000 × 7000 detector), 100 MB of 16-bit pixels. */
export const DEFAULT_MAX_PIXELS = 50_000_000;
/** Largest width or height accepted (DICOM Rows/Columns are 16-bit; PNG/JPEG are held to the same). */
export const MAX_DIMENSION = 65_535;

/** Photometric interpretations, as written in (0028,0004). */
export const Photometric = {
  Monochrome1: 'MONOCHROME1',
  Monochrome2: 'MONOCHROME2',
  Rgb: 'RGB',
  YbrFull: 'YBR_FULL',
  YbrFull422: 'YBR_FULL_422',
  YbrIct: 'YBR_ICT',
  YbrRct: 'YBR_RCT',
} as const;
export type Photometric = (typeof Photometric)[keyof typeof Photometric];

/** Stored pixel values of one grey frame, row-major. Signed data come as Int8/Int16. */
export type StoredPixels = Uint8Array | Int8Array | Uint16Array | Int16Array;

/** A VOI LUT from the VOI LUT Sequence (0028,3010), item 1. */
export interface VoiLut {
  /** Number of entries (a descriptor value of 0 means 65536). */
  entries: number;
  /** Modality value mapped to the first entry. */
  firstMapped: number;
  /** Bits per entry; outputs lie in [0, 2^bits − 1]. */
  bitsPerEntry: number;
  data: Uint16Array;
}

/** A decoded DICOM frame and the non-identifying attributes that say how to display it. */
export interface DicomImage {
  width: number;
  height: number;
  bitsAllocated: number;
  bitsStored: number;
  /** 0 unsigned, 1 two's complement. */
  pixelRepresentation: number;
  /** As written in the file; a colour image has been reduced to grey luminance (see `pixels`). */
  photometric: string;
  transferSyntax: string;
  /** As written in the file (3 for colour); `pixels` always holds one grey sample per pixel. */
  samplesPerPixel: number;
  numberOfFrames: number;
  /** Frame 1, one grey sample per pixel, masked to `bitsStored` (sign-extended when signed). */
  pixels: StoredPixels;
  rescaleSlope: number;
  rescaleIntercept: number;
  /** First value of Window Center (0028,1050), when present. */
  windowCenter?: number;
  /** First value of Window Width (0028,1051), when present. */
  windowWidth?: number;
  voiLut?: VoiLut;
  /** LINEAR (default), LINEAR_EXACT or SIGMOID. */
  voiLutFunction: string;
  /** Row and column spacing in mm, when present (not identifying; used to map sizes). */
  pixelSpacing?: [number, number];
}

/**
 * Identifying DICOM attributes. They never leave the preprocessing stage: not on the bus, not in
 * events, not in logs. Callers may use them inside the stage (for example to derive a pseudonymous
 * id with a keyed hash) and must drop them before replying.
 */
export interface ProtectedTags {
  patientName?: string;
  patientId?: string;
  patientBirthDate?: string;
  patientSex?: string;
  patientAge?: string;
  accessionNumber?: string;
  institutionName?: string;
  referringPhysicianName?: string;
  studyDate?: string;
  studyId?: string;
  studyInstanceUid?: string;
  seriesInstanceUid?: string;
  sopInstanceUid?: string;
}

const PROTECTED: ReadonlyArray<[keyof ProtectedTags, number]> = [
  ['patientName', Tag.PatientName], ['patientId', Tag.PatientID], ['patientBirthDate', Tag.PatientBirthDate],
  ['patientSex', Tag.PatientSex], ['patientAge', Tag.PatientAge], ['accessionNumber', Tag.AccessionNumber],
  ['institutionName', Tag.InstitutionName], ['referringPhysicianName', Tag.ReferringPhysicianName],
  ['studyDate', Tag.StudyDate], ['studyId', Tag.StudyID], ['studyInstanceUid', Tag.StudyInstanceUID],
  ['seriesInstanceUid', Tag.SeriesInstanceUID], ['sopInstanceUid', Tag.SOPInstanceUID],
];

/** Options of `decodeDicom`. */
export interface DecodeLimits {
  /** Rows × Columns above this are refused before any pixel is decoded. Default DEFAULT_MAX_PIXELS. */
  maxPixels?: number;
}

// Which WASM codec decodes which encapsulated transfer syntax.
const CODEC_BY_SYNTAX: Readonly<Record<string, 'decodeJpeg' | 'decodeJpegLs' | 'decodeJpeg2000' | 'decodeHtJpeg2000' | 'decodeRle'>> = {
  [TransferSyntax.JpegBaseline]: 'decodeJpeg',
  [TransferSyntax.JpegExtended]: 'decodeJpeg',
  [TransferSyntax.JpegLossless]: 'decodeJpeg',
  [TransferSyntax.JpegLosslessSV1]: 'decodeJpeg',
  [TransferSyntax.JpegLsLossless]: 'decodeJpegLs',
  [TransferSyntax.JpegLsNearLossless]: 'decodeJpegLs',
  [TransferSyntax.Jpeg2000Lossless]: 'decodeJpeg2000',
  [TransferSyntax.Jpeg2000]: 'decodeJpeg2000',
  '1.2.840.10008.1.2.4.201': 'decodeHtJpeg2000',
  '1.2.840.10008.1.2.4.202': 'decodeHtJpeg2000',
  '1.2.840.10008.1.2.4.203': 'decodeHtJpeg2000',
  [TransferSyntax.Rle]: 'decodeRle',
};
const NATIVE_SYNTAXES: ReadonlySet<string> = new Set([
  TransferSyntax.ImplicitVRLittleEndian, TransferSyntax.ExplicitVRLittleEndian,
  TransferSyntax.DeflatedExplicitVRLittleEndian, TransferSyntax.ExplicitVRBigEndian,
]);

/** Transfer syntaxes `decodeDicom` accepts. */
export const SUPPORTED_TRANSFER_SYNTAXES: readonly string[] = [...NATIVE_SYNTAXES, ...Object.keys(CODEC_BY_SYNTAX)];

let codecsReady: Promise<void> | undefined;

/**
 * Loads the WASM codecs once per process (lazy; every caller shares one promise).
 *
 * @example
 * await initCodecs(); // optional: decodeDicom calls it when a compressed file arrives
 */
export function initCodecs(): Promise<void> {
  codecsReady ??= NativeCodecs.initializeAsync().catch((err: unknown) => {
    codecsReady = undefined;
    throw err;
  });
  return codecsReady;
}

/**
 * Decodes frame 1 of a DICOM file (Part 10, or a raw dataset) to stored grey values.
 * Refuses (InvalidInput) truncated files, files without pixels, unsupported transfer syntaxes and
 * images larger than `maxPixels`, the last before any decompression.
 *
 * @example
 * const { image, protectedTags } = await decodeDicom(bytes, { maxPixels: 30_000_000 });
 * console.log(image.width, image.height, image.pixels.length);
 */
export async function decodeDicom(bytes: Uint8Array, limits: DecodeLimits = {}): Promise<{ image: DicomImage; protectedTags: ProtectedTags }> {
  const maxPixels = limits.maxPixels ?? DEFAULT_MAX_PIXELS;
  const dicom = parseDicom(bytes);
  const el = dicom.elements;
  const protectedTags: ProtectedTags = {};
  for (const [key, tag] of PROTECTED) {
    const v = readString(el.get(tag));
    if (v) protectedTags[key] = v;
  }
  const ts = dicom.transferSyntax;
  const codec = CODEC_BY_SYNTAX[ts];
  if (!codec && !NATIVE_SYNTAXES.has(ts)) {
    const name = TRANSFER_SYNTAX_NAMES[ts];
    throw new InvalidInput(`unsupported DICOM transfer syntax ${ts}${name ? ` (${name})` : ''}`);
  }
  const width = readUint(el.get(Tag.Columns)) ?? 0;
  const height = readUint(el.get(Tag.Rows)) ?? 0;
  if (!dicom.pixelData) {
    throw new InvalidInput('DICOM file has no Pixel Data (7FE0,0010): not an image, or cut before the pixels');
  }
  if (!width || !height) throw new InvalidInput(`DICOM image has no size (Rows ${height}, Columns ${width})`);
  checkPixelCount(width, height, maxPixels);
  const samplesPerPixel = readUint(el.get(Tag.SamplesPerPixel), 1)!;
  const bitsAllocated = readUint(el.get(Tag.BitsAllocated), 16)!;
  const bitsStored = readUint(el.get(Tag.BitsStored), bitsAllocated)!;
  const highBit = readUint(el.get(Tag.HighBit), bitsStored - 1)!;
  const pixelRepresentation = readUint(el.get(Tag.PixelRepresentation), 0)!;
  const planar = readUint(el.get(Tag.PlanarConfiguration), 0)!;
  const photometric = readString(el.get(Tag.PhotometricInterpretation)) || (samplesPerPixel === 3 ? 'RGB' : 'MONOCHROME2');
  const numberOfFrames = Math.max(1, Math.trunc(readNumbers(el.get(Tag.NumberOfFrames))[0] ?? 1));
  if (bitsAllocated !== 8 && bitsAllocated !== 16) {
    throw new InvalidInput(`unsupported DICOM Bits Allocated ${bitsAllocated} (8 or 16 supported)`);
  }
  if (bitsStored < 1 || bitsStored > bitsAllocated || highBit >= bitsAllocated || highBit + 1 < bitsStored) {
    throw new InvalidInput(`inconsistent DICOM bit depth: Bits Allocated ${bitsAllocated}, Bits Stored ${bitsStored}, High Bit ${highBit}`);
  }
  if (samplesPerPixel !== 1 && samplesPerPixel !== 3) {
    throw new InvalidInput(`unsupported DICOM Samples per Pixel ${samplesPerPixel} (1 grey or 3 colour)`);
  }
  const colour = samplesPerPixel === 3;
  if (colour && !['RGB', 'YBR_FULL', 'YBR_FULL_422', 'YBR_ICT', 'YBR_RCT'].includes(photometric)) {
    throw new InvalidInput(`unsupported DICOM photometric interpretation ${photometric} (grey, RGB or YBR colour supported)`);
  }
  if (!colour && photometric !== 'MONOCHROME1' && photometric !== 'MONOCHROME2') {
    throw new InvalidInput(`unsupported DICOM photometric interpretation ${photometric} for a 1-sample image`);
  }

  const bytesPerSample = bitsAllocated / 8;
  let frame: Uint8Array; // decoded frame 1, native little-endian byte order
  let framePhotometric = photometric;
  let framePlanar = planar;
  if (codec) {
    if (!dicom.pixelData.fragments) throw new InvalidInput(`DICOM ${TRANSFER_SYNTAX_NAMES[ts] ?? ts} pixel data is not encapsulated`);
    await initCodecs();
    const encoded = firstFrame(dicom, numberOfFrames);
    const isJpeg = codec === 'decodeJpeg';
    const context = new Context({
      width, height, bitsAllocated, bitsStored, samplesPerPixel, pixelRepresentation,
      planarConfiguration: planar, photometricInterpretation: photometric, encodedBuffer: encoded,
    });
    try {
      const out = NativeCodecs[codec](context, isJpeg && colour ? { convertColorspaceToRgb: true } : {});
      frame = out.getDecodedBuffer() ?? new Uint8Array(0);
    } catch (err) {
      const detail = (err as Error).message?.split('\n')[0] ?? String(err);
      throw new InvalidInput(`corrupt or truncated ${TRANSFER_SYNTAX_NAMES[ts] ?? ts} pixel data: ${detail}`, { cause: err });
    }
    if (colour && (isJpeg || photometric === 'YBR_ICT' || photometric === 'YBR_RCT')) {
      framePhotometric = 'RGB'; // the codec applied the colour transform
      if (isJpeg) framePlanar = 0;
    }
  } else {
    const native = dicom.pixelData.native;
    if (!native) throw new InvalidInput('DICOM native pixel data is encapsulated (transfer syntax and pixel data disagree)');
    frame = native;
  }
  const frameBytes = width * height * samplesPerPixel * bytesPerSample;
  const need = framePhotometric === 'YBR_FULL_422' && !codec ? (frameBytes * 2) / 3 : frameBytes;
  if (frame.length < need) {
    throw new InvalidInput(`truncated DICOM pixel data: ${width} × ${height} × ${samplesPerPixel} samples need ${need} bytes, found ${frame.length}`);
  }
  const bigEndian = ts === TransferSyntax.ExplicitVRBigEndian;
  const pixels = toGrey(frame.subarray(0, need), {
    width, height, bitsAllocated, bitsStored, highBit, pixelRepresentation, samplesPerPixel,
    photometric: framePhotometric, planar: framePlanar,
    swap: bigEndian && (bitsAllocated === 16 || dicom.pixelData.vr === 'OW'),
    owned: !!codec,
  });

  const image: DicomImage = {
    width, height, bitsAllocated, bitsStored, pixelRepresentation, photometric, transferSyntax: ts,
    samplesPerPixel, numberOfFrames, pixels,
    rescaleSlope: readNumbers(el.get(Tag.RescaleSlope))[0] ?? 1,
    rescaleIntercept: readNumbers(el.get(Tag.RescaleIntercept))[0] ?? 0,
    voiLutFunction: readString(el.get(Tag.VOILUTFunction)).toUpperCase() || 'LINEAR',
  };
  if (image.rescaleSlope === 0) image.rescaleSlope = 1; // a zero slope is a writer's bug, never meant
  const wc = readNumbers(el.get(Tag.WindowCenter))[0];
  const ww = readNumbers(el.get(Tag.WindowWidth))[0];
  if (wc !== undefined && ww !== undefined && ww > 0) { image.windowCenter = wc; image.windowWidth = ww; }
  const spacing = readNumbers(el.get(Tag.PixelSpacing));
  if (spacing.length >= 2) image.pixelSpacing = [spacing[0], spacing[1]];
  const voiItem = dicom.sequences.get(Tag.VOILUTSequence)?.[0];
  if (voiItem) image.voiLut = readVoiLut(voiItem, pixelRepresentation);
  return { image, protectedTags };
}

/** Throws InvalidInput when width × height is over the limit (or a side over MAX_DIMENSION). */
export function checkPixelCount(width: number, height: number, maxPixels: number): void {
  if (width > MAX_DIMENSION || height > MAX_DIMENSION || width * height > maxPixels) {
    throw new InvalidInput(
      `image of ${width} × ${height} pixels exceeds the limit of ${maxPixels} pixels (and ${MAX_DIMENSION} per side)`,
    );
  }
}

// Frame 1's bytes of an encapsulated pixel data element.
function firstFrame(dicom: ParsedDicom, numberOfFrames: number): Uint8Array {
  let fragments = dicom.pixelData!.fragments!;
  if (numberOfFrames > 1 && fragments.length > 1) {
    if (fragments.length === numberOfFrames) fragments = fragments.slice(0, 1);
    else if (dicom.transferSyntax !== TransferSyntax.Rle) {
      // No offset table: JPEG, JPEG-LS and JPEG 2000 codestreams all end with FFD9.
      const end = fragments.findIndex((f) => endsWithEoi(f));
      if (end >= 0) fragments = fragments.slice(0, end + 1);
    } else fragments = fragments.slice(0, 1);
  }
  if (fragments.length === 1) return fragments[0];
  const total = fragments.reduce((n, f) => n + f.length, 0);
  const out = new Uint8Array(total);
  let o = 0;
  for (const f of fragments) { out.set(f, o); o += f.length; }
  return out;
}

function endsWithEoi(f: Uint8Array): boolean {
  // Fragments are padded to even length, so the marker may be followed by one zero byte.
  for (let i = f.length - 1; i >= Math.max(1, f.length - 3); i--) {
    if (f[i] === 0xd9 && f[i - 1] === 0xff) return true;
  }
  return false;
}

interface GreyLayout {
  width: number; height: number; bitsAllocated: number; bitsStored: number; highBit: number;
  pixelRepresentation: number; samplesPerPixel: number; photometric: string; planar: number; swap: boolean;
  /** Whether `frame` is ours to modify (a codec's output) rather than a view of the caller's bytes. */
  owned: boolean;
}

// Decoded frame bytes → one grey stored value per pixel, masked and sign-extended.
function toGrey(frame: Uint8Array, l: GreyLayout): StoredPixels {
  const n = l.width * l.height;
  const even = frame.length - (frame.length % 2);
  const len = l.bitsAllocated === 16 || l.swap ? even : frame.length;
  if (!l.owned || l.swap || frame.byteOffset % 2 !== 0) {
    // One memcpy: never modify the caller's bytes, and give 16-bit views an aligned buffer.
    const copy = new Uint8Array(len);
    copy.set(frame.subarray(0, len));
    frame = copy;
  }
  // 16-bit samples, and 8-bit samples written as OW in big endian, have their byte pairs swapped.
  if (l.swap) Buffer.from(frame.buffer, frame.byteOffset, even).swap16();
  const samples = l.bitsAllocated === 16 ? new Uint16Array(frame.buffer, frame.byteOffset, len / 2) : frame;
  let grey: Uint8Array | Uint16Array;
  if (l.samplesPerPixel === 1) {
    grey = samples.length === n ? samples : samples.subarray(0, n);
  } else {
    grey = l.bitsAllocated === 16 ? new Uint16Array(n) : new Uint8Array(n);
    colourToGrey(samples, grey, l);
  }
  const shift = l.highBit + 1 - l.bitsStored;
  if (l.pixelRepresentation === 1) {
    const signed = grey instanceof Uint16Array ? new Int16Array(grey.buffer, grey.byteOffset, n) : new Int8Array(grey.buffer, grey.byteOffset, n);
    if (l.bitsStored < l.bitsAllocated || shift) {
      const up = 32 - l.highBit - 1; // bring the high bit to bit 31, then arithmetic shift down
      const down = 32 - l.bitsStored;
      for (let i = 0; i < n; i++) signed[i] = ((grey[i] << up) >> down);
    }
    return signed;
  }
  if (l.bitsStored < l.bitsAllocated || shift) {
    const max = (1 << l.bitsStored) - 1;
    if (l.owned) {
      // Codec output: lossy codecs overshoot the range a little (ringing), so clamp, never mask.
      // A value with the container's top bit set is a negative undershoot written unsigned.
      const negative = 1 << (l.bitsAllocated - 1);
      for (let i = 0; i < n; i++) { const v = grey[i]; if (v > max) grey[i] = v >= negative ? 0 : max; }
    } else {
      // Native data: bits above the high bit may hold overlays or garbage; mask them off.
      for (let i = 0; i < n; i++) grey[i] = (grey[i] >>> shift) & max;
    }
  }
  return grey;
}

// RGB → Rec. 601 luma; YBR_* → its Y sample (already the luma).
function colourToGrey(s: Uint8Array | Uint16Array, out: Uint8Array | Uint16Array, l: GreyLayout): void {
  const n = out.length;
  if (l.photometric === 'YBR_FULL_422') { // Y1 Y2 Cb Cr per pixel pair
    for (let i = 0; i < n; i++) out[i] = s[(i >> 1) * 4 + (i & 1)];
    return;
  }
  const isYbr = l.photometric === 'YBR_FULL';
  if (l.planar === 1) {
    if (isYbr) { out.set(s.subarray(0, n)); return; }
    for (let i = 0; i < n; i++) out[i] = Math.round(0.299 * s[i] + 0.587 * s[n + i] + 0.114 * s[2 * n + i]);
    return;
  }
  if (isYbr) { for (let i = 0; i < n; i++) out[i] = s[3 * i]; return; }
  for (let i = 0, j = 0; i < n; i++, j += 3) out[i] = Math.round(0.299 * s[j] + 0.587 * s[j + 1] + 0.114 * s[j + 2]);
}

function readVoiLut(item: Map<number, DicomElement>, pixelRepresentation: number): VoiLut | undefined {
  const descriptor = readUints(item.get(Tag.LUTDescriptor));
  const dataEl = item.get(Tag.LUTData);
  if (descriptor.length < 3 || !dataEl) return undefined;
  const entries = descriptor[0] === 0 ? 65536 : descriptor[0];
  let firstMapped = descriptor[1];
  if (pixelRepresentation === 1 && firstMapped > 32767) firstMapped -= 65536;
  const bitsPerEntry = descriptor[2];
  let data: Uint16Array;
  if (bitsPerEntry <= 8 && dataEl.bytes.length === entries) {
    data = Uint16Array.from(dataEl.bytes); // 8-bit entries packed one per byte
  } else {
    const words = readUints({ ...dataEl, vr: 'US' });
    data = Uint16Array.from(words.slice(0, entries));
  }
  if (data.length === 0) return undefined;
  return { entries: data.length, firstMapped, bitsPerEntry, data };
}
