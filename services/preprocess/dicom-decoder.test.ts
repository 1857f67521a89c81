// DICOM decoding in every supported transfer syntax (files made at run time with dcmtk, gdcm and
// dcmjs-codecs from a synthetic 12-bit image), and the refusals: truncated, unsupported, too large.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import codecs from 'dcmjs-codecs';
import { InvalidInput } from '../common/errors.ts';
import { decodeDicom, type StoredPixels } from './dicom-decoder.ts';
import { applyWindow } from './windowing.ts';
import { SYNTHETIC_PATIENT, syntheticPixels, writeSyntheticDicom } from './testing/synthetic-dicom.ts';
import { haveTool, runDicomTool } from './testing/dicom-tools.ts';

const W = 300;
const H = 200;
const px12 = syntheticPixels(W, H, 12);
const px8 = Uint8Array.from(syntheticPixels(W, H, 8));
const base16 = writeSyntheticDicom({ width: W, height: H, bitsAllocated: 16, bitsStored: 12, pixels: px12, windowCenter: 2048, windowWidth: 4096 });
const base8 = writeSyntheticDicom({ width: W, height: H, bitsAllocated: 8, bitsStored: 8, pixels: px8 });

const missing = ['dcmconv', 'dcmcjpeg', 'dcmdjpeg', 'dcmcjpls', 'dcmdjpls', 'dcmcrle', 'gdcmconv'].filter((t) => !haveTool(t));
if (missing.length) {
  console.log(`NOTE: DICOM tools not on PATH: ${missing.join(', ')} (apt-get install dcmtk libgdcm-tools); their transfer syntaxes are skipped`);
}

function maxDiff(a: StoredPixels, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < b.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function meanDiff(a: StoredPixels, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < b.length; i++) s += Math.abs(a[i] - b[i]);
  return s / b.length;
}

interface Case {
  name: string;
  syntax: string;
  tool: string;
  args: string[];
  bits: 8 | 16;
  /** Lossy: checked against the tool's own decompression, and loosely against the original. */
  lossy?: { decompress: [string, string[]]; meanTolerance: number };
}

const CASES: Case[] = [
  { name: 'Implicit VR Little Endian', syntax: '1.2.840.10008.1.2', tool: 'dcmconv', args: ['+ti'], bits: 16 },
  { name: 'Explicit VR Big Endian', syntax: '1.2.840.10008.1.2.2', tool: 'dcmconv', args: ['+tb'], bits: 16 },
  { name: 'Deflated Explicit VR Little Endian', syntax: '1.2.840.10008.1.2.1.99', tool: 'dcmconv', args: ['+td'], bits: 16 },
  { name: 'JPEG Baseline (8-bit)', syntax: '1.2.840.10008.1.2.4.50', tool: 'dcmcjpeg', args: ['+eb'], bits: 8, lossy: { decompress: ['dcmdjpeg', []], meanTolerance: 3 } },
  { name: 'JPEG Extended (12-bit)', syntax: '1.2.840.10008.1.2.4.51', tool: 'dcmcjpeg', args: ['+ee'], bits: 16, lossy: { decompress: ['dcmdjpeg', []], meanTolerance: 40 } },
  { name: 'JPEG Lossless (process 14)', syntax: '1.2.840.10008.1.2.4.57', tool: 'dcmcjpeg', args: ['+el'], bits: 16 },
  { name: 'JPEG Lossless SV1', syntax: '1.2.840.10008.1.2.4.70', tool: 'dcmcjpeg', args: ['+e1'], bits: 16 },
  { name: 'JPEG-LS Lossless', syntax: '1.2.840.10008.1.2.4.80', tool: 'dcmcjpls', args: ['+el'], bits: 16 },
  { name: 'JPEG-LS Near-Lossless', syntax: '1.2.840.10008.1.2.4.81', tool: 'dcmcjpls', args: ['+en', '+md', '2'], bits: 16, lossy: { decompress: ['dcmdjpls', []], meanTolerance: 2 } },
  { name: 'JPEG 2000 Lossless', syntax: '1.2.840.10008.1.2.4.90', tool: 'gdcmconv', args: ['--j2k'], bits: 16 },
  { name: 'JPEG 2000 (lossy)', syntax: '1.2.840.10008.1.2.4.91', tool: 'gdcmconv', args: ['--j2k', '--lossy', '-r', '10'], bits: 16, lossy: { decompress: ['gdcmconv', ['--raw']], meanTolerance: 200 } },
  { name: 'RLE Lossless', syntax: '1.2.840.10008.1.2.5', tool: 'dcmcrle', args: [], bits: 16 },
  { name: 'RLE Lossless (8-bit, gdcm)', syntax: '1.2.840.10008.1.2.5', tool: 'gdcmconv', args: ['--rle'], bits: 8 },
  { name: 'JPEG-LS Lossless (gdcm)', syntax: '1.2.840.10008.1.2.4.80', tool: 'gdcmconv', args: ['--jpegls'], bits: 16 },
];

test('Explicit VR Little Endian (the base file) decodes exactly, with patient tags kept apart', async () => {
  const { image, protectedTags } = await decodeDicom(base16);
  assert.is(image.transferSyntax, '1.2.840.10008.1.2.1');
  assert.is(image.width, W);
  assert.is(image.height, H);
  assert.is(image.bitsStored, 12);
  assert.ok(image.pixels instanceof Uint16Array);
  assert.is(maxDiff(image.pixels, px12), 0);
  assert.is(image.windowCenter, 2048); // first of the multi-valued 2048\2049
  assert.is(image.windowWidth, 4096);
  assert.equal({ ...protectedTags }, {
    patientName: SYNTHETIC_PATIENT.patientName, patientId: SYNTHETIC_PATIENT.patientId,
    patientBirthDate: SYNTHETIC_PATIENT.patientBirthDate, patientSex: SYNTHETIC_PATIENT.patientSex,
    accessionNumber: SYNTHETIC_PATIENT.accessionNumber, institutionName: SYNTHETIC_PATIENT.institutionName,
    studyInstanceUid: SYNTHETIC_PATIENT.studyInstanceUid, seriesInstanceUid: '1.2.826.0.1.3680043.8.498.3',
    sopInstanceUid: '1.2.826.0.1.3680043.8.498.2',
  });
  assert.not.ok(JSON.stringify(image).includes('DOE'), 'no patient data in the image object');
});

for (const c of CASES) {
  test(`${c.name} (${c.syntax}) via ${c.tool} ${c.args.join(' ')}`, async () => {
    if (!haveTool(c.tool) || (c.lossy && !haveTool(c.lossy.decompress[0]))) {
      console.log(`  skipped ${c.name}: ${c.tool} not on PATH`);
      return;
    }
    const source = c.bits === 8 ? base8 : base16;
    const ref = c.bits === 8 ? px8 : px12;
    const file = runDicomTool(c.tool, c.args, source);
    const { image, protectedTags } = await decodeDicom(file);
    assert.is(image.transferSyntax, c.syntax);
    assert.is(protectedTags.patientId, SYNTHETIC_PATIENT.patientId);
    assert.is(image.pixels.length, W * H);
    if (!c.lossy) {
      assert.is(maxDiff(image.pixels, ref), 0, 'lossless: identical pixels');
      return;
    }
    // The tool's own decompression is the reference of what the codestream holds; ours may
    // differ only where it clamps an overshoot to the stored range.
    const [tool, args] = c.lossy.decompress;
    const theirs = (await decodeDicom(runDicomTool(tool, args, file))).image.pixels;
    const max = (1 << (c.bits === 8 ? 8 : 12)) - 1;
    const clamped = Array.from(theirs, (v) => Math.min(Math.max(v, 0), max));
    assert.ok(maxDiff(image.pixels, clamped) <= 1, `matches ${tool}'s decompression (max diff ${maxDiff(image.pixels, clamped)})`);
    const mean = meanDiff(image.pixels, ref);
    assert.ok(mean < c.lossy.meanTolerance, `close to the original (mean abs diff ${mean.toFixed(2)})`);
  });
}

test('HTJ2K lossless (1.2.840.10008.1.2.4.201) via dcmjs-codecs encoder', async () => {
  const { NativeCodecs, Transcoder, constants } = codecs;
  await NativeCodecs.initializeAsync();
  const t = new Transcoder(base16.slice().buffer);
  t.transcode(constants.TransferSyntax.HtJpeg2000Lossless);
  const { image } = await decodeDicom(new Uint8Array(t.getDicomPart10()));
  assert.is(image.transferSyntax, '1.2.840.10008.1.2.4.201');
  assert.is(maxDiff(image.pixels, px12), 0);
});

test('signed 16-bit pixels (12 stored) come back sign-extended, in every lossless native syntax', async () => {
  const signed = Int16Array.from(px12, (v) => v - 2048);
  const file = writeSyntheticDicom({ width: W, height: H, bitsAllocated: 16, bitsStored: 12, pixelRepresentation: 1, pixels: signed });
  const files = [file];
  if (haveTool('dcmconv')) files.push(runDicomTool('dcmconv', ['+tb'], file), runDicomTool('dcmconv', ['+ti'], file));
  if (haveTool('dcmcjpls')) files.push(runDicomTool('dcmcjpls', ['+el'], file));
  for (const f of files) {
    const { image } = await decodeDicom(f);
    assert.ok(image.pixels instanceof Int16Array, image.transferSyntax);
    assert.is(maxDiff(image.pixels, signed), 0, image.transferSyntax);
  }
});

test('bits above the high bit (overlay garbage) are masked off in native data', async () => {
  const dirty = Uint16Array.from(px12, (v) => v | 0xf000);
  const { image } = await decodeDicom(writeSyntheticDicom({ width: W, height: H, bitsAllocated: 16, bitsStored: 12, pixels: dirty }));
  assert.is(maxDiff(image.pixels, px12), 0);
});

test('MONOCHROME1 with inverted stored values shows the same image as MONOCHROME2', async () => {
  const inverted = Uint16Array.from(px12, (v) => 4095 - v);
  const m2 = await decodeDicom(writeSyntheticDicom({ width: W, height: H, bitsAllocated: 16, bitsStored: 12, pixels: px12, windowCenter: 1800, windowWidth: 3000 }));
  let m1File = writeSyntheticDicom({ width: W, height: H, bitsAllocated: 16, bitsStored: 12, pixels: inverted, photometric: 'MONOCHROME1', windowCenter: 4095 - 1800 + 1, windowWidth: 3000 });
  if (haveTool('gdcmconv')) m1File = runDicomTool('gdcmconv', ['--j2k'], m1File);
  const m1 = await decodeDicom(m1File);
  assert.is(m1.image.photometric, 'MONOCHROME1');
  const a = applyWindow(m2.image, W, H).data;
  const b = applyWindow(m1.image, W, H).data;
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  assert.ok(worst < 1e-6, `max difference ${worst}`);
  const am = applyWindow(m2.image, W, H, 'minmax').data;
  const bm = applyWindow(m1.image, W, H, 'minmax').data;
  for (let i = 0; i < am.length; i++) worst = Math.max(worst, Math.abs(am[i] - bm[i]));
  assert.ok(worst < 1e-6, `min-max: max difference ${worst}`);
});

test('RGB is reduced to grey luminance; multi-frame takes frame 1', async () => {
  const rgb = new Uint8Array(W * H * 3);
  for (let i = 0; i < W * H; i++) { rgb[3 * i] = px8[i]; rgb[3 * i + 1] = px8[i]; rgb[3 * i + 2] = px8[i]; }
  const { image } = await decodeDicom(writeSyntheticDicom({ width: W, height: H, bitsAllocated: 8, bitsStored: 8, samplesPerPixel: 3, pixels: rgb }));
  assert.is(image.photometric, 'RGB');
  assert.is(maxDiff(image.pixels, px8), 0);
  const two = new Uint16Array(W * H * 2);
  two.set(px12);
  two.fill(7, W * H);
  const multi = writeSyntheticDicom({ width: W, height: H, bitsAllocated: 16, bitsStored: 12, pixels: two, numberOfFrames: 2 });
  const files = [multi];
  if (haveTool('dcmcjpls')) files.push(runDicomTool('dcmcjpls', ['+el'], multi));
  if (haveTool('dcmcrle')) files.push(runDicomTool('dcmcrle', [], multi));
  for (const f of files) {
    const d = await decodeDicom(f);
    assert.is(d.image.numberOfFrames, 2);
    assert.is(maxDiff(d.image.pixels, px12), 0, d.image.transferSyntax);
  }
});

test('a raw dataset without preamble and meta header decodes (implicit VR guessed)', async () => {
  if (!haveTool('dcmconv')) return;
  const raw = runDicomTool('dcmconv', ['+ti', '-F'], base16); // -F: dataset only
  assert.is.not(String.fromCharCode(...raw.subarray(128, 132)), 'DICM');
  const { image } = await decodeDicom(raw);
  assert.is(maxDiff(image.pixels, px12), 0);
});

async function refused(bytes: Uint8Array, pattern: RegExp): Promise<void> {
  try {
    await decodeDicom(bytes);
  } catch (err) {
    assert.instance(err, InvalidInput);
    assert.match((err as Error).message, pattern);
    return;
  }
  assert.unreachable(`accepted, expected ${pattern}`);
}

test('a file cut in the middle of the pixel data is refused as truncated', async () => {
  await refused(base16.subarray(0, base16.length - 20_000), /truncated DICOM pixel data: 300 × 200 × 1 samples need 120000 bytes, found \d+/);
  if (haveTool('gdcmconv')) {
    const j2k = runDicomTool('gdcmconv', ['--j2k'], base16);
    await refused(j2k.subarray(0, j2k.length - 5000), /truncated DICOM file/);
  }
  await refused(base16.subarray(0, 300), /truncated DICOM file|no Pixel Data/);
});

test('an unsupported transfer syntax is named in the refusal', async () => {
  // A file whose meta header names MPEG2 (what a mis-routed video object looks like).
  const mpeg = writeSyntheticDicom({ width: W, height: H, bitsAllocated: 16, bitsStored: 12, pixels: px12, transferSyntax: '1.2.840.10008.1.2.4.100' });
  await refused(mpeg, /^unsupported DICOM transfer syntax 1\.2\.840\.10008\.1\.2\.4\.100 \(MPEG2\)$/);
  if (haveTool('dcmcjpls')) {
    // Same-length rewrite of the meta header's UID, by hand: JPEG-LS (.4.80) → JPEG 2000 Part 2 (.4.92).
    const jls = runDicomTool('dcmcjpls', ['+el'], base16);
    const text = new TextDecoder('latin1').decode(jls.subarray(0, 400));
    const at = text.indexOf('1.2.840.10008.1.2.4.80');
    assert.ok(at > 132);
    jls.set(new TextEncoder().encode('1.2.840.10008.1.2.4.92'), at);
    await refused(jls, /^unsupported DICOM transfer syntax 1\.2\.840\.10008\.1\.2\.4\.92 \(JPEG 2000 Part 2 Lossless\)$/);
  }
});

test('absurd dimensions are refused before any pixel is touched', async () => {
  const tiny = writeSyntheticDicom({ width: 2, height: 2, bitsAllocated: 16, bitsStored: 12, pixels: new Uint16Array(4), rows: 60000, columns: 60000 });
  const t0 = performance.now();
  await refused(tiny, /image of 60000 × 60000 pixels exceeds the limit of 50000000 pixels/);
  assert.ok(performance.now() - t0 < 50, 'fast');
  await decodeDicom(base16, { maxPixels: W * H });
  try {
    await decodeDicom(base16, { maxPixels: W * H - 1 });
    assert.unreachable();
  } catch (err) {
    assert.match((err as Error).message, /300 × 200 pixels exceeds the limit of 59999/);
  }
});

test('missing pixel data and bad headers are refused clearly', async () => {
  const noPixels = base16.subarray(0, base16.length - W * H * 2 - 12);
  await refused(noPixels, /no Pixel Data \(7FE0,0010\)/);
  await refused(new Uint8Array(200).fill(0).map((_, i) => (i >= 128 && i < 132 ? 'DICM'.charCodeAt(i - 128) : 0)), /no Pixel Data|truncated|malformed/);
});

test('the real JPEG 2000 radiographs in ../shared decode (skipped when absent)', async () => {
  const dir = fileURLToPath(new URL('../../../shared/data/dicom/', import.meta.url));
  if (!existsSync(dir)) return void console.log('  skipped: ../shared/data/dicom not found');
  const cases = [['RG1_J2KI.dcm', 1841, 1955, 15], ['RG3_J2KR.dcm', 1760, 1760, 10]] as const;
  for (const [name, w, h, bits] of cases) {
    const { image, protectedTags } = await decodeDicom(readFileSync(dir + name));
    assert.is(image.width, w);
    assert.is(image.height, h);
    assert.is(image.bitsStored, bits);
    assert.is(image.photometric, 'MONOCHROME1');
    assert.ok(protectedTags.patientName);
    const display = applyWindow(image, w, h);
    assert.is(display.windowing, 'window');
  }
});

test.run();
