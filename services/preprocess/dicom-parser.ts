// A small, allocation-free DICOM Part 10 / raw dataset reader: the tags preprocessing needs, and
// frame 1 of the pixel data as views into the input bytes (no copy, nothing decompressed here).
import { inflateRawSync } from 'node:zlib';
import { InvalidInput } from '../common/errors.ts';

/** Transfer syntax UIDs the reader knows by name (the decoder decides which it can decode). */
export const TransferSyntax = {
  ImplicitVRLittleEndian: '1.2.840.10008.1.2',
  ExplicitVRLittleEndian: '1.2.840.10008.1.2.1',
  DeflatedExplicitVRLittleEndian: '1.2.840.10008.1.2.1.99',
  ExplicitVRBigEndian: '1.2.840.10008.1.2.2',
  JpegBaseline: '1.2.840.10008.1.2.4.50',
  JpegExtended: '1.2.840.10008.1.2.4.51',
  JpegLossless: '1.2.840.10008.1.2.4.57',
  JpegLosslessSV1: '1.2.840.10008.1.2.4.70',
  JpegLsLossless: '1.2.840.10008.1.2.4.80',
  JpegLsNearLossless: '1.2.840.10008.1.2.4.81',
  Jpeg2000Lossless: '1.2.840.10008.1.2.4.90',
  Jpeg2000: '1.2.840.10008.1.2.4.91',
  Rle: '1.2.840.10008.1.2.5',
} as const;
export type TransferSyntax = (typeof TransferSyntax)[keyof typeof TransferSyntax];

/** Human names of transfer syntaxes seen in the wild, for error messages. */
export const TRANSFER_SYNTAX_NAMES: Readonly<Record<string, string>> = {
  '1.2.840.10008.1.2': 'Implicit VR Little Endian',
  '1.2.840.10008.1.2.1': 'Explicit VR Little Endian',
  '1.2.840.10008.1.2.1.99': 'Deflated Explicit VR Little Endian',
  '1.2.840.10008.1.2.2': 'Explicit VR Big Endian',
  '1.2.840.10008.1.2.4.50': 'JPEG Baseline',
  '1.2.840.10008.1.2.4.51': 'JPEG Extended 12-bit',
  '1.2.840.10008.1.2.4.57': 'JPEG Lossless',
  '1.2.840.10008.1.2.4.70': 'JPEG Lossless SV1',
  '1.2.840.10008.1.2.4.80': 'JPEG-LS Lossless',
  '1.2.840.10008.1.2.4.81': 'JPEG-LS Near-Lossless',
  '1.2.840.10008.1.2.4.90': 'JPEG 2000 Lossless',
  '1.2.840.10008.1.2.4.91': 'JPEG 2000',
  '1.2.840.10008.1.2.4.92': 'JPEG 2000 Part 2 Lossless',
  '1.2.840.10008.1.2.4.93': 'JPEG 2000 Part 2',
  '1.2.840.10008.1.2.4.100': 'MPEG2',
  '1.2.840.10008.1.2.4.101': 'MPEG2 High Level',
  '1.2.840.10008.1.2.4.102': 'MPEG-4 AVC/H.264',
  '1.2.840.10008.1.2.4.103': 'MPEG-4 AVC/H.264 BD',
  '1.2.840.10008.1.2.4.110': 'JPEG XL Lossless',
  '1.2.840.10008.1.2.4.112': 'JPEG XL',
  '1.2.840.10008.1.2.4.201': 'HTJ2K Lossless',
  '1.2.840.10008.1.2.4.203': 'HTJ2K',
  '1.2.840.10008.1.2.5': 'RLE Lossless',
};

/** A DICOM tag as the 32-bit number (group << 16 | element). */
export const Tag = {
  TransferSyntaxUID: 0x00020010,
  SOPClassUID: 0x00080016,
  SOPInstanceUID: 0x00080018,
  StudyDate: 0x00080020,
  AccessionNumber: 0x00080050,
  Modality: 0x00080060,
  InstitutionName: 0x00080080,
  ReferringPhysicianName: 0x00080090,
  PatientName: 0x00100010,
  PatientID: 0x00100020,
  PatientBirthDate: 0x00100030,
  PatientSex: 0x00100040,
  PatientAge: 0x00101010,
  BodyPartExamined: 0x00180015,
  ViewPosition: 0x00185101,
  StudyInstanceUID: 0x0020000d,
  SeriesInstanceUID: 0x0020000e,
  StudyID: 0x00200010,
  SamplesPerPixel: 0x00280002,
  PhotometricInterpretation: 0x00280004,
  PlanarConfiguration: 0x00280006,
  NumberOfFrames: 0x00280008,
  Rows: 0x00280010,
  Columns: 0x00280011,
  PixelSpacing: 0x00280030,
  BitsAllocated: 0x00280100,
  BitsStored: 0x00280101,
  HighBit: 0x00280102,
  PixelRepresentation: 0x00280103,
  WindowCenter: 0x00281050,
  WindowWidth: 0x00281051,
  RescaleIntercept: 0x00281052,
  RescaleSlope: 0x00281053,
  VOILUTFunction: 0x00281056,
  LUTDescriptor: 0x00283002,
  LUTData: 0x00283006,
  VOILUTSequence: 0x00283010,
  ExtendedOffsetTable: 0x7fe00001,
  PixelData: 0x7fe00010,
  Item: 0xfffee000,
  ItemDelimitation: 0xfffee00d,
  SequenceDelimitation: 0xfffee0dd,
} as const;

// VRs of the tags we read, for Implicit VR datasets (everything else is skipped unread).
const IMPLICIT_VR: ReadonlyMap<number, string> = new Map([
  [Tag.TransferSyntaxUID, 'UI'], [Tag.SOPClassUID, 'UI'], [Tag.SOPInstanceUID, 'UI'], [Tag.StudyDate, 'DA'],
  [Tag.AccessionNumber, 'SH'], [Tag.Modality, 'CS'], [Tag.InstitutionName, 'LO'], [Tag.ReferringPhysicianName, 'PN'],
  [Tag.PatientName, 'PN'], [Tag.PatientID, 'LO'], [Tag.PatientBirthDate, 'DA'], [Tag.PatientSex, 'CS'],
  [Tag.PatientAge, 'AS'], [Tag.BodyPartExamined, 'CS'], [Tag.ViewPosition, 'CS'], [Tag.StudyInstanceUID, 'UI'],
  [Tag.SeriesInstanceUID, 'UI'], [Tag.StudyID, 'SH'], [Tag.SamplesPerPixel, 'US'], [Tag.PhotometricInterpretation, 'CS'],
  [Tag.PlanarConfiguration, 'US'], [Tag.NumberOfFrames, 'IS'], [Tag.Rows, 'US'], [Tag.Columns, 'US'],
  [Tag.PixelSpacing, 'DS'], [Tag.BitsAllocated, 'US'], [Tag.BitsStored, 'US'], [Tag.HighBit, 'US'],
  [Tag.PixelRepresentation, 'US'], [Tag.WindowCenter, 'DS'], [Tag.WindowWidth, 'DS'], [Tag.RescaleIntercept, 'DS'],
  [Tag.RescaleSlope, 'DS'], [Tag.VOILUTFunction, 'CS'], [Tag.LUTDescriptor, 'US'], [Tag.LUTData, 'OW'],
  [Tag.VOILUTSequence, 'SQ'], [Tag.ExtendedOffsetTable, 'OV'], [Tag.PixelData, 'OW'],
]);

const WANTED = new Set<number>(IMPLICIT_VR.keys());
// VRs with a 2-byte reserved field and a 4-byte length in explicit VR.
const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);
const UNDEFINED_LENGTH = 0xffffffff;

/** One element kept by the reader: its VR and a view of its value bytes. */
export interface DicomElement {
  vr: string;
  bytes: Uint8Array;
  littleEndian: boolean;
}

/** Pixel data of the first frame, not decoded. */
export interface RawPixelData {
  /** Native pixel data (the whole value, all frames) when not encapsulated. */
  native?: Uint8Array;
  /** VR of native pixel data (OB or OW; matters for byte order of big endian files). */
  vr: string;
  /** Encapsulated: fragments of frame 1, in order. */
  fragments?: Uint8Array[];
}

/** What `parseDicom` returns: the kept elements by tag, their sequences' items, and pixel data. */
export interface ParsedDicom {
  transferSyntax: string;
  /** Whether the file had the Part 10 preamble and meta header (else a raw dataset was guessed). */
  part10: boolean;
  elements: Map<number, DicomElement>;
  /** Items of kept sequences (only the VOI LUT Sequence today). */
  sequences: Map<number, Map<number, DicomElement>[]>;
  pixelData?: RawPixelData;
}

class Truncated extends Error {}

/** Returns whether a (preamble-less) buffer looks like a raw DICOM dataset, and its encoding. */
export function sniffRawDataset(b: Uint8Array): { explicit: boolean } | undefined {
  if (b.length < 12) return undefined;
  const group = b[0] | (b[1] << 8);
  // A dataset (or a bare meta header) starts with a low group: 0002 (meta) or 0008 (identifying).
  if (group !== 0x0002 && group !== 0x0008) return undefined;
  const element = b[2] | (b[3] << 8);
  if (element > 0x0100) return undefined;
  const vr = String.fromCharCode(b[4], b[5]);
  if (/^[A-Z]{2}$/.test(vr) && IS_VR.has(vr)) return { explicit: true };
  if (group === 0x0002) return undefined; // the meta header is always explicit
  const len = (b[4] | (b[5] << 8) | (b[6] << 16)) + b[7] * 0x1000000;
  return len < 1024 ? { explicit: false } : undefined;
}
const IS_VR = new Set(['AE', 'AS', 'AT', 'CS', 'DA', 'DS', 'DT', 'FL', 'FD', 'IS', 'LO', 'LT', 'OB', 'OD', 'OF', 'OL', 'OV',
  'OW', 'PN', 'SH', 'SL', 'SQ', 'SS', 'ST', 'SV', 'TM', 'UC', 'UI', 'UL', 'UN', 'UR', 'US', 'UT', 'UV']);

/**
 * Reads the elements preprocessing needs and locates frame 1 of the pixel data, without copying it.
 * Throws `InvalidInput` for a truncated or malformed file.
 *
 * @example
 * const dicom = parseDicom(bytes);
 * const rows = readUint(dicom.elements.get(Tag.Rows));
 */
export function parseDicom(input: Uint8Array): ParsedDicom {
  try {
    return parseUnchecked(input);
  } catch (err) {
    if (err instanceof Truncated) throw new InvalidInput(`truncated DICOM file: ${err.message}`, { cause: err });
    throw err;
  }
}

function parseUnchecked(input: Uint8Array): ParsedDicom {
  let part10 = false;
  let offset = 0;
  let transferSyntax: string = TransferSyntax.ImplicitVRLittleEndian;
  const out: ParsedDicom = { transferSyntax, part10, elements: new Map(), sequences: new Map() };
  const hasPreamble = input.length >= 132 && input[128] === 0x44 && input[129] === 0x49 && input[130] === 0x43 && input[131] === 0x4d;
  if (hasPreamble) { part10 = true; offset = 132; }
  // Meta header (group 0002): always Explicit VR Little Endian.
  if (offset + 4 <= input.length && (input[offset] | (input[offset + 1] << 8)) === 0x0002) {
    const meta = new Reader(input, offset, true, true);
    while (meta.pos + 2 <= input.length && meta.peekGroup() === 0x0002) meta.readElement(out.elements, out.sequences);
    offset = meta.pos;
    const ts = out.elements.get(Tag.TransferSyntaxUID);
    if (ts) transferSyntax = readString(ts);
  } else if (!hasPreamble) {
    const sniff = sniffRawDataset(input);
    if (!sniff) throw new InvalidInput('not a DICOM dataset (no DICM preamble and no recognisable first element)');
    transferSyntax = sniff.explicit ? TransferSyntax.ExplicitVRLittleEndian : TransferSyntax.ImplicitVRLittleEndian;
  }
  out.transferSyntax = transferSyntax;
  out.part10 = part10;
  let data = input;
  if (transferSyntax === TransferSyntax.DeflatedExplicitVRLittleEndian) {
    try {
      data = inflateRawSync(input.subarray(offset));
    } catch (err) {
      throw new InvalidInput(`corrupt deflated DICOM dataset: ${(err as Error).message}`, { cause: err });
    }
    offset = 0;
  }
  const explicit = transferSyntax !== TransferSyntax.ImplicitVRLittleEndian;
  const little = transferSyntax !== TransferSyntax.ExplicitVRBigEndian;
  const reader = new Reader(data, offset, explicit, little);
  while (reader.pos < data.length) {
    if (data.length - reader.pos < 8) break; // trailing padding bytes
    const tag = reader.readElement(out.elements, out.sequences, out);
    if (tag === Tag.PixelData) break; // nothing after the pixels matters
  }
  return out;
}

class Reader {
  readonly view: DataView;
  pos: number;
  constructor(readonly b: Uint8Array, pos: number, readonly explicit: boolean, readonly little: boolean) {
    this.view = new DataView(b.buffer, b.byteOffset, b.byteLength);
    this.pos = pos;
  }
  need(n: number, what: string): void {
    if (this.pos + n > this.b.length) {
      throw new Truncated(`${what} needs ${n} bytes at offset ${this.pos} but the data ends at ${this.b.length}`);
    }
  }
  peekGroup(): number {
    return this.view.getUint16(this.pos, this.little);
  }
  readTag(): number {
    this.need(4, 'a tag');
    const g = this.view.getUint16(this.pos, this.little);
    const e = this.view.getUint16(this.pos + 2, this.little);
    this.pos += 4;
    return ((g << 16) | e) >>> 0;
  }
  readHeader(tag: number): { vr: string; length: number } {
    const isItemTag = tag >>> 16 === 0xfffe;
    if (!this.explicit || isItemTag) {
      this.need(4, `the length of ${fmtTag(tag)}`);
      const length = this.view.getUint32(this.pos, this.little);
      this.pos += 4;
      return { vr: isItemTag ? '' : IMPLICIT_VR.get(tag) ?? (length === UNDEFINED_LENGTH ? 'SQ' : 'UN'), length };
    }
    this.need(4, `the header of ${fmtTag(tag)}`);
    const vr = String.fromCharCode(this.b[this.pos], this.b[this.pos + 1]);
    if (LONG_VRS.has(vr) || !IS_VR.has(vr)) {
      this.need(8, `the header of ${fmtTag(tag)}`);
      const length = this.view.getUint32(this.pos + 4, this.little);
      this.pos += 8;
      return { vr, length };
    }
    const length = this.view.getUint16(this.pos + 2, this.little);
    this.pos += 4;
    return { vr, length };
  }

  /** Reads one element; keeps it when wanted. Returns its tag. */
  readElement(into: Map<number, DicomElement>, seqs: ParsedDicom['sequences'], top?: ParsedDicom): number {
    const tag = this.readTag();
    const { vr, length } = this.readHeader(tag);
    if (tag === Tag.PixelData && top) {
      top.pixelData = this.readPixelData(vr, length);
      return tag;
    }
    if (vr === 'SQ' || (length === UNDEFINED_LENGTH && vr === 'UN')) {
      const items = this.readSequence(length, tag);
      if (tag === Tag.VOILUTSequence) seqs.set(tag, items);
      return tag;
    }
    if (length === UNDEFINED_LENGTH) throw new InvalidInput(`malformed DICOM: element ${fmtTag(tag)} (${vr}) has an undefined length`);
    this.need(length, `element ${fmtTag(tag)}`);
    if (WANTED.has(tag)) into.set(tag, { vr, bytes: this.b.subarray(this.pos, this.pos + length), littleEndian: this.little });
    this.pos += length;
    return tag;
  }

  readSequence(length: number, seqTag: number): Map<number, DicomElement>[] {
    const items: Map<number, DicomElement>[] = [];
    const end = length === UNDEFINED_LENGTH ? Infinity : this.pos + length;
    if (end !== Infinity && end > this.b.length) this.need(length, `sequence ${fmtTag(seqTag)}`);
    while (this.pos < end) {
      const tag = this.readTag();
      const { length: itemLength } = this.readHeader(tag);
      if (tag === Tag.SequenceDelimitation) break;
      if (tag !== Tag.Item) throw new InvalidInput(`malformed DICOM: expected an item in sequence ${fmtTag(seqTag)}, found ${fmtTag(tag)}`);
      const item = new Map<number, DicomElement>();
      const itemEnd = itemLength === UNDEFINED_LENGTH ? Infinity : this.pos + itemLength;
      if (itemEnd !== Infinity) this.need(itemLength, `an item of ${fmtTag(seqTag)}`);
      while (this.pos < itemEnd) {
        if (itemEnd === Infinity) {
          this.need(4, `an item of ${fmtTag(seqTag)}`);
          const g = this.view.getUint16(this.pos, this.little);
          const e = this.view.getUint16(this.pos + 2, this.little);
          if (g === 0xfffe && e === 0xe00d) { this.pos += 8; break; }
        }
        this.readElement(item, new Map());
      }
      items.push(item);
    }
    return items;
  }

  readPixelData(vr: string, length: number): RawPixelData {
    if (length !== UNDEFINED_LENGTH) {
      // Native pixels: a short value is caught by the decoder, which knows the frame size.
      const end = Math.min(this.pos + length, this.b.length);
      const native = this.b.subarray(this.pos, end);
      this.pos = end;
      return { native, vr };
    }
    // Encapsulated: Basic Offset Table item, then fragments, then a sequence delimiter.
    const fragments: Uint8Array[] = [];
    const offsets: number[] = [];
    let first = true;
    for (;;) {
      const tag = this.readTag();
      this.need(4, 'a pixel data item length');
      const len = this.view.getUint32(this.pos, true);
      this.pos += 4;
      if (tag === Tag.SequenceDelimitation) break;
      if (tag !== Tag.Item) throw new InvalidInput(`malformed DICOM: expected a pixel data item, found ${fmtTag(tag)}`);
      this.need(len, 'a pixel data fragment');
      const value = this.b.subarray(this.pos, this.pos + len);
      this.pos += len;
      if (first) {
        const dv = new DataView(value.buffer, value.byteOffset, value.byteLength);
        for (let i = 0; i + 4 <= len; i += 4) offsets.push(dv.getUint32(i, true));
        first = false;
        continue;
      }
      fragments.push(value);
      // Stop at the end of frame 1 when the offset table says where frame 2 starts.
      if (offsets.length > 1) {
        const consumed = fragments.reduce((n, f) => n + f.length + 8, 0);
        if (consumed >= offsets[1]) break;
      }
    }
    if (fragments.length === 0) throw new InvalidInput('DICOM pixel data has no fragments');
    return { fragments, vr };
  }
}

export function fmtTag(tag: number): string {
  const h = (n: number) => n.toString(16).toUpperCase().padStart(4, '0');
  return `(${h(tag >>> 16)},${h(tag & 0xffff)})`;
}

const latin1 = new TextDecoder('latin1');

/** The value as a string (trailing NUL/space padding removed); '' when absent. */
export function readString(el: DicomElement | undefined): string {
  if (!el) return '';
  return latin1.decode(el.bytes).replace(/[\0 ]+$/, '').trim();
}

/** A multi-valued string as its values; numbers parsed for DS/IS. */
export function readNumbers(el: DicomElement | undefined): number[] {
  if (!el) return [];
  if (el.vr === 'DS' || el.vr === 'IS' || el.vr === 'UN') {
    return readString(el).split('\\').map((s) => Number(s.trim())).filter((n) => Number.isFinite(n));
  }
  return readUints(el);
}

/** Binary unsigned (US/UL/SS) values; `vr` decides the width. */
export function readUints(el: DicomElement | undefined): number[] {
  if (!el) return [];
  const dv = new DataView(el.bytes.buffer, el.bytes.byteOffset, el.bytes.byteLength);
  const out: number[] = [];
  if (el.vr === 'UL') for (let i = 0; i + 4 <= el.bytes.length; i += 4) out.push(dv.getUint32(i, el.littleEndian));
  else if (el.vr === 'SS') for (let i = 0; i + 2 <= el.bytes.length; i += 2) out.push(dv.getInt16(i, el.littleEndian));
  else for (let i = 0; i + 2 <= el.bytes.length; i += 2) out.push(dv.getUint16(i, el.littleEndian));
  return out;
}

/** First binary unsigned value, or `fallback`. */
export function readUint(el: DicomElement | undefined, fallback?: number): number | undefined {
  const v = readUints(el);
  return v.length ? v[0] : fallback;
}
