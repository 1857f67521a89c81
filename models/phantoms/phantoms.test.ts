// Tests of the phantom generator: determinism, boxes on the drawn lesions, profiles.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FINDINGS, type Finding } from '../../services/common/model-config.ts';
import { generateImage, generateStudy, InvalidPhantomRequest } from './phantom-generator.ts';
import { VISIBLE_IN } from './patient.ts';
import { InvalidScannerProfile, parseScannerProfile, resolveScannerProfile, SCANNER_PROFILES } from './scanner-profile.ts';
import { Rng } from './prng.ts';

// Small images keep the suite fast; the anatomy is the same in mm, only coarser.
const SMALL = { width: 640, height: 800 };

test('same seed gives identical pixels and boxes; another seed differs', () => {
  const a = generateImage({ seed: 42, ...SMALL });
  const b = generateImage({ seed: 42, ...SMALL });
  const c = generateImage({ seed: 43, ...SMALL });
  assert.ok(Buffer.from(a.pixels.buffer).equals(Buffer.from(b.pixels.buffer)));
  assert.equal(a.boxes, b.boxes);
  assert.equal(a.ids, b.ids);
  assert.not.ok(Buffer.from(a.pixels.buffer).equals(Buffer.from(c.pixels.buffer)));
  assert.is.not(a.ids.imageId, c.ids.imageId);
});

test('the PRNG is the reference mulberry32 sequence (seed 1: 0.62707394..., 0.00273572...)', () => {
  const r = new Rng(1);
  assert.equal([r.nextU32(), r.nextU32()], [2693262067, 11749833]);
});

test('stored values stay within 12 bits; ids are 32 hex digits; UIDs under 2.25', () => {
  const img = generateImage({ seed: 5, ...SMALL });
  let max = 0;
  for (const v of img.pixels) if (v > max) max = v;
  assert.ok(max <= 4095);
  for (const id of [img.ids.studyId, img.ids.seriesId, img.ids.imageId]) assert.match(id, /^[0-9a-f]{32}$/);
  for (const uid of [img.ids.studyInstanceUid, img.ids.seriesInstanceUid, img.ids.sopInstanceUid]) {
    assert.match(uid, /^2\.25\.\d+$/);
    assert.ok(uid.length <= 64);
  }
});

function meanAbsDiffInBox(a: Uint16Array, b: Uint16Array, width: number, box: { xmin: number; ymin: number; xmax: number; ymax: number }): number {
  let s = 0;
  let n = 0;
  for (let y = box.ymin; y <= box.ymax; y++) {
    for (let x = box.xmin; x <= box.xmax; x++) {
      s += Math.abs(a[y * width + x] - b[y * width + x]);
      n++;
    }
  }
  return s / n;
}

for (const finding of FINDINGS) {
  test(`forced "${finding}" is boxed, inside the image, and on the drawn lesion`, () => {
    const views = VISIBLE_IN[finding as Finding];
    for (const view of views) {
      const opts = { seed: 7, view, ...SMALL };
      const img = generateImage({ ...opts, forceFindings: [finding] });
      const normal = generateImage({ ...opts, normal: true });
      assert.equal(normal.boxes, []);
      const boxes = img.boxes.filter((b) => b.lesionType === finding);
      assert.ok(boxes.length >= 1, `${finding} on ${view}: no box`);
      assert.ok(img.boxes.every((b) => b.lesionType === finding), 'only the forced finding');
      for (const b of boxes) {
        assert.ok(b.xmin >= 0 && b.ymin >= 0 && b.xmax < img.width && b.ymax < img.height, 'box inside the image');
        assert.ok(b.xmax > b.xmin && b.ymax > b.ymin);
        // Same anatomy and noise without the finding: the box must cover a real change.
        const d = meanAbsDiffInBox(img.pixels, normal.pixels, img.width, b);
        assert.ok(d > 60, `${finding} on ${view}: mean |diff| in box only ${d.toFixed(1)}`);
      }
    }
  });
}

test('lateral-only findings are refused on an AP view', () => {
  assert.throws(() => generateImage({ seed: 1, view: 'ap', forceFindings: ['Foraminal stenosis'] }), (e: unknown) => e instanceof InvalidPhantomRequest);
  // Without a view, a lateral one is chosen.
  assert.is(generateImage({ seed: 1, forceFindings: ['Spondylolysthesis'], ...SMALL }).view, 'lateral');
});

test('a study shares ids and patient across its images', () => {
  const s = generateStudy({ seed: 9, imageCount: 3, profile: 'portable-lowdose' });
  assert.is(s.images.length, 3);
  assert.equal(s.images.map((i) => i.view), ['ap', 'lateral', 'lateral']);
  assert.ok(s.images.every((i) => i.ids.studyId === s.studyId && i.patient.patientId === s.images[0].patient.patientId));
  assert.is(new Set(s.images.map((i) => i.ids.imageId)).size, 3);
  for (const i of s.images) {
    assert.ok(i.height >= 2000 && i.height <= 2500 && i.width >= 1400 && i.width <= 2000);
    assert.ok(i.pixelSpacing[0] >= 0.1 && i.pixelSpacing[0] <= 0.2);
  }
});

test('about half of the images are abnormal; both photometric interpretations occur', () => {
  let abnormal = 0;
  const photometric = new Set<string>();
  const n = 60;
  const profile = resolveScannerProfile('default');
  for (let seed = 0; seed < n; seed++) {
    const img = generateImage({ seed, profile, width: 256, height: 320 });
    if (img.boxes.length) abnormal++;
    photometric.add(img.photometric);
  }
  assert.ok(abnormal > n * 0.3 && abnormal < n * 0.7, `abnormal ${abnormal}/${n}`);
  assert.equal([...photometric].sort(), ['MONOCHROME1', 'MONOCHROME2']);
});

test('profiles validate; bad ones fail with InvalidScannerProfile', () => {
  for (const name of Object.keys(SCANNER_PROFILES)) resolveScannerProfile(name);
  assert.throws(() => resolveScannerProfile('no-such-scanner'), (e: unknown) => e instanceof InvalidScannerProfile && /known: default/.test((e as Error).message));
  assert.throws(() => parseScannerProfile({ ...SCANNER_PROFILES.default, noise: -1 }), (e: unknown) => e instanceof InvalidScannerProfile && /noise/.test((e as Error).message));
  assert.throws(() => parseScannerProfile({ ...SCANNER_PROFILES.default, rows: [3000, 2000] }), /rows/);
  assert.throws(() => parseScannerProfile({ ...SCANNER_PROFILES.default, prevalence: { Osteophytes: 0.5 } }), (e: unknown) => e instanceof InvalidScannerProfile);
  const custom = parseScannerProfile({ ...SCANNER_PROFILES.default, name: 'mine', noise: 0.03 });
  assert.is(generateImage({ seed: 1, profile: custom, ...SMALL }).profile, 'mine');
});

test.run();
