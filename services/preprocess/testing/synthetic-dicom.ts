// Test support: synthetic radiograph pixels and a minimal DICOM Part 10 writer (Explicit VR Little
// Endian), the base file that the tests transcode into every other transfer syntax with dcmtk/gdcm.

/** Element values the writer understands: strings, US numbers, or raw bytes. */
export interface SyntheticDicomOptions {
  width: number;
  height: number;
  bitsAllocated: 8 | 16;
  bitsStored: number;
  pixelRepresentation?: 0 | 1;
  photometric?: string;
  samplesPerPixel?: 1 | 3;
  /** Stored values, one per sample (interleaved for colour). */
  pixels: Uint8Array | Uint16Array | Int16Array;
  windowCenter?: number;
  windowWidth?: number;
  rescaleSlope?: number;
  rescaleIntercept?: number;
  voiLutFunction?: string;
  /** VOI LUT Sequence item: descriptor [entries, firstMapped, bits] and data. */
  voiLut?: { descriptor: [number, number, number]; data: Uint16Array };
  /** Overrides of Rows / Columns written to the header (for absurd-size tests). */
  rows?: number;
  columns?: number;
  transferSyntax?: string;
  numberOfFrames?: number;
}

/** The patient tags every synthetic file carries, to check they come back as protectedTags only. */
export const SYNTHETIC_PATIENT = {
  patientName: 'DOE^JANE',
  patientId: 'PID-12345',
  patientBirthDate: '19700101',
  patientSex: 'F',
  accessionNumber: 'ACC-777',
  institutionName: 'Synthetic General Hospital',
  studyInstanceUid: '1.2.826.0.1.3680043.8.498.1',
} as const;

/**
 * A 16-bit test radiograph: a diagonal gradient with a bright disc and a dark bar, values in
 * [0, 2^bits − 1].
 *
 * @example
 * const px = syntheticPixels(300, 200, 12);
 */
export function syntheticPixels(width: number, height: number, bits: number): Uint16Array {
  const max = (1 << bits) - 1;
  const out = new Uint16Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let v = ((x / (width - 1)) * 0.6 + (y / (height - 1)) * 0.3) * max;
      const dx = x - width * 0.6;
      const dy = y - height * 0.4;
      if (dx * dx + dy * dy < (Math.min(width, height) * 0.2) ** 2) v = max * 0.95;
      if (x > width * 0.15 && x < width * 0.3 && y > height * 0.2 && y < height * 0.8) v = max * 0.05;
      v += ((x * 7 + y * 13) % 17) * (max / 4096); // texture, so codecs have something to do
      out[y * width + x] = Math.min(max, Math.max(0, Math.round(v)));
    }
  }
  return out;
}

const enc = new TextEncoder();

/**
 * Writes a DICOM Part 10 file (Explicit VR Little Endian by default) with the given pixels.
 *
 * @example
 * const bytes = writeSyntheticDicom({ width: 300, height: 200, bitsAllocated: 16, bitsStored: 12, pixels });
 */
export function writeSyntheticDicom(o: SyntheticDicomOptions): Uint8Array {
  const ts = o.transferSyntax ?? '1.2.840.10008.1.2.1';
  const spp = o.samplesPerPixel ?? 1;
  const sopInstance = '1.2.826.0.1.3680043.8.498.2';
  const ds: Uint8Array[] = [];
  const str = (g: number, e: number, vr: string, v: string) => ds.push(element(g, e, vr, padString(v, vr)));
  const us = (g: number, e: number, ...v: number[]) => ds.push(element(g, e, 'US', u16(v)));
  str(0x0008, 0x0016, 'UI', '1.2.840.10008.5.1.4.1.1.1.1');
  str(0x0008, 0x0018, 'UI', sopInstance);
  str(0x0008, 0x0050, 'SH', SYNTHETIC_PATIENT.accessionNumber);
  str(0x0008, 0x0060, 'CS', 'DX');
  str(0x0008, 0x0080, 'LO', SYNTHETIC_PATIENT.institutionName);
  str(0x0010, 0x0010, 'PN', SYNTHETIC_PATIENT.patientName);
  str(0x0010, 0x0020, 'LO', SYNTHETIC_PATIENT.patientId);
  str(0x0010, 0x0030, 'DA', SYNTHETIC_PATIENT.patientBirthDate);
  str(0x0010, 0x0040, 'CS', SYNTHETIC_PATIENT.patientSex);
  str(0x0020, 0x000d, 'UI', SYNTHETIC_PATIENT.studyInstanceUid);
  str(0x0020, 0x000e, 'UI', '1.2.826.0.1.3680043.8.498.3');
  us(0x0028, 0x0002, spp);
  str(0x0028, 0x0004, 'CS', o.photometric ?? (spp === 3 ? 'RGB' : 'MONOCHROME2'));
  if (spp === 3) us(0x0028, 0x0006, 0);
  if (o.numberOfFrames) str(0x0028, 0x0008, 'IS', String(o.numberOfFrames));
  us(0x0028, 0x0010, o.rows ?? o.height);
  us(0x0028, 0x0011, o.columns ?? o.width);
  us(0x0028, 0x0100, o.bitsAllocated);
  us(0x0028, 0x0101, o.bitsStored);
  us(0x0028, 0x0102, o.bitsStored - 1);
  us(0x0028, 0x0103, o.pixelRepresentation ?? 0);
  if (o.windowCenter !== undefined) str(0x0028, 0x1050, 'DS', `${o.windowCenter}\\${o.windowCenter + 1}`);
  if (o.windowWidth !== undefined) str(0x0028, 0x1051, 'DS', `${o.windowWidth}\\${o.windowWidth + 1}`);
  if (o.rescaleIntercept !== undefined) str(0x0028, 0x1052, 'DS', String(o.rescaleIntercept));
  if (o.rescaleSlope !== undefined) str(0x0028, 0x1053, 'DS', String(o.rescaleSlope));
  if (o.rescaleSlope !== undefined || o.rescaleIntercept !== undefined) str(0x0028, 0x1054, 'LO', 'US');
  if (o.voiLutFunction) str(0x0028, 0x1056, 'CS', o.voiLutFunction);
  if (o.voiLut) {
    const item = concat([
      element(0x0028, 0x3002, 'US', u16(o.voiLut.descriptor)),
      element(0x0028, 0x3006, 'US', new Uint8Array(o.voiLut.data.buffer, o.voiLut.data.byteOffset, o.voiLut.data.byteLength)),
    ]);
    const itemBytes = concat([tagBytes(0xfffe, 0xe000), u32([item.length]), item]);
    ds.push(element(0x0028, 0x3010, 'SQ', itemBytes));
  }
  const px = new Uint8Array(o.pixels.buffer, o.pixels.byteOffset, o.pixels.byteLength);
  ds.push(element(0x7fe0, 0x0010, o.bitsAllocated === 8 ? 'OB' : 'OW', px));

  const metaElems = [
    element(0x0002, 0x0001, 'OB', new Uint8Array([0, 1])),
    element(0x0002, 0x0002, 'UI', padString('1.2.840.10008.5.1.4.1.1.1.1', 'UI')),
    element(0x0002, 0x0003, 'UI', padString(sopInstance, 'UI')),
    element(0x0002, 0x0010, 'UI', padString(ts, 'UI')),
    element(0x0002, 0x0012, 'UI', padString('1.2.826.0.1.3680043.8.498.9', 'UI')),
  ];
  const metaBody = concat(metaElems);
  const meta = concat([element(0x0002, 0x0000, 'UL', u32([metaBody.length])), metaBody]);
  const preamble = new Uint8Array(132);
  preamble.set(enc.encode('DICM'), 128);
  return concat([preamble, meta, ...ds]);
}

function padString(v: string, vr: string): Uint8Array {
  const b = enc.encode(v);
  if (b.length % 2 === 0) return b;
  const out = new Uint8Array(b.length + 1);
  out.set(b);
  out[b.length] = vr === 'UI' ? 0 : 0x20;
  return out;
}

function tagBytes(g: number, e: number): Uint8Array {
  return new Uint8Array([g & 0xff, g >> 8, e & 0xff, e >> 8]);
}

function u16(v: readonly number[]): Uint8Array {
  const b = new Uint8Array(v.length * 2);
  const dv = new DataView(b.buffer);
  v.forEach((x, i) => dv.setUint16(i * 2, x & 0xffff, true));
  return b;
}

function u32(v: readonly number[]): Uint8Array {
  const b = new Uint8Array(v.length * 4);
  const dv = new DataView(b.buffer);
  v.forEach((x, i) => dv.setUint32(i * 4, x >>> 0, true));
  return b;
}

const LONG = new Set(['OB', 'OW', 'SQ', 'UN', 'UT', 'OF']);

function element(g: number, e: number, vr: string, value: Uint8Array): Uint8Array {
  const padded = value.length % 2 ? concat([value, new Uint8Array(1)]) : value;
  const head = LONG.has(vr)
    ? concat([tagBytes(g, e), enc.encode(vr), new Uint8Array(2), u32([padded.length])])
    : concat([tagBytes(g, e), enc.encode(vr), u16([padded.length])]);
  return concat([head, padded]);
}

/** Concatenates byte arrays. */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}
