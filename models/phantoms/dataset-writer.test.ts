// Tests of the phantom dataset files: annotations.csv / images.csv schema, DICOM tags, 16-bit PNG display round trip.
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FINDINGS, NO_FINDING } from '../../services/common/model-config.ts';
import { ANNOTATIONS_HEADER, IMAGES_HEADER, toDisplayPng, writeDataset } from './dataset-writer.ts';
import { toDicom } from './dicom-writer.ts';
import { toDisplay, toDisplayUint16, windowLinear } from './display.ts';
import { generateImage } from './phantom-generator.ts';

const dcmjs = createRequire(import.meta.url)('dcmjs');
const SMALL = { width: 400, height: 512 };

test('writeDataset writes the CSV contract, DICOM and PNG files', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'phantoms-'));
  try {
    const s = await writeDataset({ outDir: dir, count: 5, seed: 3, png: true, profile: 'portable-lowdose' });
    assert.is(s.images, 5);
    const ann = (await readFile(join(dir, 'annotations.csv'), 'utf8')).trim().split('\n');
    assert.is(ann[0], ANNOTATIONS_HEADER.join(','));
    assert.is(ann[0], 'study_id,series_id,image_id,rad_id,lesion_type,xmin,ymin,xmax,ymax');
    const imgs = (await readFile(join(dir, 'images.csv'), 'utf8')).trim().split('\n');
    assert.is(imgs[0], IMAGES_HEADER.join(','));
    assert.is(imgs[0], 'study_id,series_id,image_id,view,width,height,photometric,profile');
    assert.is(imgs.length, 6);
    const ids = imgs.slice(1).map((l) => l.split(',')[2]);
    const byImage = new Map<string, string[][]>();
    for (const line of ann.slice(1)) {
      const cells = line.split(',');
      assert.is(cells.length, 9);
      assert.match(cells[3], /^rad[1-3]$/);
      assert.ok([...FINDINGS, NO_FINDING].includes(cells[4]), cells[4]);
      if (cells[4] === NO_FINDING) assert.equal(cells.slice(5), ['', '', '', '']);
      else assert.ok(cells.slice(5).every((c) => /^\d+$/.test(c)));
      byImage.set(cells[2], [...(byImage.get(cells[2]) ?? []), cells]);
    }
    for (const id of ids) {
      const rows = byImage.get(id) ?? [];
      assert.ok(rows.length >= 1);
      if (rows.some((r) => r[4] === NO_FINDING)) assert.is(rows.length, 1, 'a normal image has exactly one row');
    }
    assert.equal((await readdir(join(dir, 'dicom'))).sort(), ids.map((i) => `${i}.dcm`).sort());
    assert.equal((await readdir(join(dir, 'png'))).sort(), ids.map((i) => `${i}.png`).sort());
    const meta = await sharp(join(dir, 'png', `${ids[0]}.png`)).metadata();
    assert.is(meta.depth, 'ushort');
    assert.is(meta.channels, 1);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

for (const seed of [1, 2, 3, 4]) {
  test(`DICOM (seed ${seed}) reads back with dcmjs: tags and pixels`, async () => {
    const img = generateImage({ seed, ...SMALL });
    const bytes = toDicom(img);
    const parsed = dcmjs.data.DicomMessage.readFile(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    const ds = dcmjs.data.DicomMetaDictionary.naturalizeDataset(parsed.dict);
    assert.is(parsed.meta['00020010'].Value[0], '1.2.840.10008.1.2.1');
    assert.is(ds.SOPClassUID, '1.2.840.10008.5.1.4.1.1.1.1');
    assert.is(ds.Modality, 'DX');
    assert.is(ds.PhotometricInterpretation, img.photometric);
    assert.is(ds.Rows, img.height);
    assert.is(ds.Columns, img.width);
    assert.is(ds.BitsAllocated, 16);
    assert.is(ds.BitsStored, 12);
    assert.is(ds.HighBit, 11);
    assert.is(ds.PixelRepresentation, 0);
    assert.is(Number(ds.WindowCenter), img.windowCenter);
    assert.is(Number(ds.WindowWidth), img.windowWidth);
    assert.is(Number(ds.RescaleSlope), img.rescaleSlope);
    assert.is(Number(ds.RescaleIntercept), img.rescaleIntercept);
    assert.equal(ds.PixelSpacing.map(Number), img.pixelSpacing);
    for (const tag of ['PatientName', 'PatientID', 'PatientBirthDate', 'PatientSex', 'InstitutionName', 'AccessionNumber', 'StudyDate']) {
      assert.ok(ds[tag] !== undefined && String(typeof ds[tag] === 'object' ? JSON.stringify(ds[tag]) : ds[tag]).length > 0, tag);
    }
    assert.is(ds.StudyInstanceUID, img.ids.studyInstanceUid);
    assert.is(ds.SOPInstanceUID, img.ids.sopInstanceUid);
    const px = new Uint16Array(ds.PixelData[0]);
    assert.ok(Buffer.from(px.buffer).equals(Buffer.from(img.pixels.buffer)));
  });
}

test('dcmdump accepts the file (when dcmtk is installed)', async () => {
  const img = generateImage({ seed: 11, ...SMALL });
  const dir = await mkdtemp(join(tmpdir(), 'phantoms-'));
  try {
    const file = join(dir, 'a.dcm');
    await (await import('node:fs/promises')).writeFile(file, toDicom(img));
    const r = spawnSync('dcmdump', ['+E', file], { encoding: 'utf8' });
    if (r.error) return; // dcmtk not installed
    assert.is(r.status, 0, r.stderr);
    assert.match(r.stdout, /DigitalXRayImageStorageForPresentation/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('toDisplay follows the DICOM linear window and inverts MONOCHROME1', () => {
  assert.is(windowLinear(0, 100, 1), 0);
  assert.ok(Math.abs(windowLinear(99.5, 100, 201) - 0.5) < 1e-12);
  const base = { windowCenter: 2048, windowWidth: 4096, rescaleSlope: 1, rescaleIntercept: 0 };
  const m2 = toDisplay({ ...base, pixels: new Uint16Array([0, 2047, 4095]), photometric: 'MONOCHROME2' });
  const m1 = toDisplay({ ...base, pixels: new Uint16Array([0, 2047, 4095]), photometric: 'MONOCHROME1' });
  for (let i = 0; i < 3; i++) assert.ok(Math.abs(m1[i] - (1 - m2[i])) < 1e-6);
  const scaled = toDisplay({ pixels: new Uint16Array([1536]), photometric: 'MONOCHROME2', windowCenter: 2048, windowWidth: 8191, rescaleSlope: 2, rescaleIntercept: -1024 });
  assert.ok(Math.abs(scaled[0] - windowLinear(2048, 2048, 8191)) < 1e-6);
});

test('bone is bright after display mapping, whatever the photometric interpretation', () => {
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    const img = generateImage({ seed, view: 'ap', normal: true, ...SMALL });
    const y = toDisplay(img);
    // Centre column (spine) brighter than the image corners on average.
    let centre = 0;
    let edge = 0;
    for (let r = Math.floor(img.height * 0.3); r < img.height * 0.6; r++) {
      centre += y[r * img.width + Math.floor(img.width / 2)];
      edge += y[r * img.width + 2];
    }
    assert.ok(centre > edge, `seed ${seed} (${img.photometric}) centre ${centre} <= edge ${edge}`);
  }
});

test('16-bit PNG round trip equals round(toDisplay × 65535)', async () => {
  const img = generateImage({ seed: 21, ...SMALL });
  const png = await toDisplayPng(img);
  const { data, info } = await sharp(png).toColourspace('grey16').raw({ depth: 'ushort' }).toBuffer({ resolveWithObject: true });
  assert.is(info.channels, 1);
  const back = new Uint16Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
  const expected = toDisplayUint16(img);
  assert.is(back.length, expected.length);
  assert.ok(Buffer.from(back.buffer).equals(Buffer.from(expected.buffer)));
  const y = toDisplay(img);
  assert.ok(Math.abs(back[1000] / 65535 - y[1000]) <= 0.5 / 65535 + 1e-7);
});

test.run();
