// The one-call API: PNG/JPEG decoding, the DICOM ↔ PNG phantom contract, tensor layout (shape,
// mean/std, channels, scale factors, box mapping) and the resize matching Pillow's BILINEAR.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import sharp from 'sharp';
import { InvalidInput } from '../common/errors.ts';
import { ModelConfigSchema, type ModelConfig } from '../common/model-config.ts';
import { preprocessImage } from './preprocess.ts';
import { decodeRaster } from './raster-decoder.ts';
import { mapBoxToOriginal, resizeStretch } from './tensor-layout.ts';
import { windowLinear } from './windowing.ts';
import { SYNTHETIC_PATIENT, syntheticPixels, writeSyntheticDicom } from './testing/synthetic-dicom.ts';

const W = 300;
const H = 200;
const px12 = syntheticPixels(W, H, 12);

function config(name: string, task: 'classification' | 'detection', channels: 1 | 3, width: number, height: number, extra: object = {}): ModelConfig {
  return ModelConfigSchema.parse({
    name, task, labels: ['abnormal'],
    input: { name: 'input', dtype: 'float32', layout: 'NCHW', channels, width, height },
    preprocessing: { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], ...extra },
    output: { name: 'logit', kind: 'logit' },
  });
}
const classifier = config('spine-classifier', 'classification', 3, 224, 224);
const detector = config('spine-detector', 'detection', 3, 128, 96);

async function png16(values: Uint16Array, width: number, height: number): Promise<Uint8Array> {
  return sharp(values, { raw: { width, height, channels: 1, premultiplied: false } })
    .toColourspace('grey16').png().toBuffer();
}

async function refusal(p: Promise<unknown>): Promise<string> {
  try { await p; } catch (err) { assert.instance(err, InvalidInput); return (err as Error).message; }
  return assert.unreachable('accepted') as never;
}

test('16-bit grey PNG decodes exactly; 8-bit PNG, colour PNG and JPEG to grey', async () => {
  const v16 = Uint16Array.from(px12, (v) => v * 16);
  const r16 = await decodeRaster(await png16(v16, W, H), 'png');
  assert.is(r16.bits, 16);
  assert.equal(Array.from(r16.pixels.subarray(0, 50)), Array.from(v16.subarray(0, 50)));
  assert.ok(r16.pixels.every((v, i) => v === v16[i]));
  const g8 = Uint8Array.from(px12, (v) => v >> 4);
  const r8 = await decodeRaster(await sharp(g8, { raw: { width: W, height: H, channels: 1 } }).png().toBuffer(), 'png');
  assert.is(r8.bits, 8);
  assert.ok(r8.pixels.every((v, i) => v === g8[i]));
  const rgb = new Uint8Array(W * H * 3).map((_, i) => g8[Math.floor(i / 3)]);
  const rc = await decodeRaster(await sharp(rgb, { raw: { width: W, height: H, channels: 3 } }).png().toBuffer(), 'png');
  assert.ok(rc.colour);
  assert.ok(rc.pixels.every((v, i) => Math.abs(v - g8[i]) <= 1), 'grey RGB stays grey');
  const jpg = await decodeRaster(await sharp(g8, { raw: { width: W, height: H, channels: 1 } }).jpeg({ quality: 95 }).toBuffer(), 'jpeg');
  let mean = 0;
  for (let i = 0; i < g8.length; i++) mean += Math.abs(jpg.pixels[i] - g8[i]);
  assert.ok(mean / g8.length < 2, 'JPEG close to the original');
});

test('corrupt, truncated and oversized PNG / JPEG are refused', async () => {
  const png = await png16(Uint16Array.from(px12), W, H);
  assert.match(await refusal(preprocessImage(png.subarray(0, png.length / 2), [])), /^corrupt or truncated PNG image/);
  const jpg = await sharp(Buffer.alloc(W * H, 100), { raw: { width: W, height: H, channels: 1 } }).jpeg().toBuffer();
  assert.match(await refusal(preprocessImage(jpg.subarray(0, jpg.length / 2), [])), /^corrupt or truncated JPEG image/);
  assert.match(await refusal(preprocessImage(png.subarray(0, 30), [])), /^corrupt PNG image/);
  assert.match(await refusal(preprocessImage(png, [], { maxPixels: 1000 })), /image of 300 × 200 pixels exceeds the limit of 1000 pixels/);
});

test('the same phantom as DICOM (MONOCHROME1, window) and as PNG round(65535·y) gives the same [0, 1] image', async () => {
  // The phantom generator's contract: PNG = round(65535 × y), y = DICOM linear window then 1 − y
  // for MONOCHROME1. (models/phantoms exports no renderer yet, so the pair is made here.)
  const c = 2100;
  const w = 3500;
  const stored = Uint16Array.from(px12, (v) => 4095 - v);
  const dicom = writeSyntheticDicom({ width: W, height: H, bitsAllocated: 16, bitsStored: 12, pixels: stored, photometric: 'MONOCHROME1', windowCenter: c, windowWidth: w });
  const y = Uint16Array.from(stored, (v) => Math.round(65535 * (1 - windowLinear(v, c, w))));
  const png = await png16(y, W, H);
  const one = config('one', 'classification', 1, W, H, { mean: [0], std: [1] }); // identity layout
  const a = await preprocessImage(dicom, [{ key: 'x', config: one }]);
  const b = await preprocessImage(png, [{ key: 'x', config: one }]);
  assert.is(a.info.windowing, 'window');
  assert.is(b.info.windowing, 'none');
  const da = a.tensors.get('x')!.data;
  const db = b.tensors.get('x')!.data;
  let worst = 0;
  for (let i = 0; i < da.length; i++) worst = Math.max(worst, Math.abs(da[i] - db[i]));
  assert.ok(worst <= 0.5 / 65535 + 1e-6, `max difference ${worst}`);
});

test('phantoms from models/phantoms: toDicom and toDisplayPng give the same [0, 1] image (skipped when absent)', async () => {
  // Imported by a computed path so this file type-checks even where the generator is absent.
  interface PhantomApi {
    generateImage(o: { seed: number; width: number; height: number }): { width: number; height: number; photometric: string };
    toDicom(image: unknown): Uint8Array;
    toDisplayPng(image: unknown): Promise<Uint8Array>;
  }
  const modulePath = '../../models/phantoms/index.ts';
  let phantoms: PhantomApi;
  try {
    phantoms = (await import(modulePath)) as PhantomApi;
  } catch (err) {
    return void console.log(`  skipped: models/phantoms not importable (${(err as Error).message.split('\n')[0]})`);
  }
  const seen = new Set<string>();
  for (let seed = 1; seed <= 40 && seen.size < 2; seed++) {
    const image = phantoms.generateImage({ seed, width: 160, height: 200 });
    if (seen.has(image.photometric)) continue;
    seen.add(image.photometric);
    const one = config('one', 'classification', 1, image.width, image.height, { mean: [0], std: [1] });
    const a = await preprocessImage(phantoms.toDicom(image), [{ key: 'x', config: one }]);
    const b = await preprocessImage(await phantoms.toDisplayPng(image), [{ key: 'x', config: one }]);
    assert.is(a.info.photometric, image.photometric);
    const da = a.tensors.get('x')!.data;
    const db = b.tensors.get('x')!.data;
    let worst = 0;
    for (let i = 0; i < da.length; i++) worst = Math.max(worst, Math.abs(da[i] - db[i]));
    assert.ok(worst <= 0.5 / 65535 + 1e-6, `${image.photometric}: max difference ${worst}`);
  }
  assert.is(seen.size, 2, 'both MONOCHROME1 and MONOCHROME2 phantoms compared');
});

test('preprocessImage: info, protected tags, NCHW tensors with mean/std, scale factors', async () => {
  const dicom = writeSyntheticDicom({ width: W, height: H, bitsAllocated: 16, bitsStored: 12, pixels: px12, windowCenter: 2048, windowWidth: 4096 });
  const grey = config('grey', 'classification', 1, 224, 224, { mean: [0.5], std: [0.25] });
  const r = await preprocessImage(dicom, [
    { key: 'spine-classifier:1', config: classifier },
    { key: 'spine-detector:1', config: detector },
    { key: 'grey:1', config: grey },
    { key: 'minmax:1', config: config('mm', 'classification', 1, 64, 64, { mean: [0], std: [1], window: 'minmax' }) },
  ]);
  assert.equal(r.info, { width: W, height: H, format: 'dicom', transferSyntax: '1.2.840.10008.1.2.1', photometric: 'MONOCHROME2', bitsStored: 12, windowing: 'window' });
  assert.is(r.protectedTags.patientName, SYNTHETIC_PATIENT.patientName);
  assert.not.ok(JSON.stringify({ info: r.info, shapes: [...r.tensors.values()].map((t) => t.shape) }).includes('DOE'));
  assert.equal([...r.tensors.keys()], ['spine-classifier:1', 'spine-detector:1', 'grey:1', 'minmax:1']);
  const cls = r.tensors.get('spine-classifier:1')!;
  assert.equal(cls.shape, [1, 3, 224, 224]);
  assert.is(cls.data.length, 3 * 224 * 224);
  assert.is(cls.scaleX, W / 224);
  assert.is(cls.scaleY, H / 224);
  // Channel c = (g − mean[c]) / std[c] of the same grey plane g.
  const g = r.tensors.get('grey:1')!.data; // (g − 0.5) / 0.25
  for (const i of [0, 1000, 30000, 224 * 224 - 1]) {
    const plane = g[i] * 0.25 + 0.5;
    assert.ok(Math.abs(cls.data[i] - (plane - 0.485) / 0.229) < 1e-4);
    assert.ok(Math.abs(cls.data[224 * 224 + i] - (plane - 0.456) / 0.224) < 1e-4);
    assert.ok(Math.abs(cls.data[2 * 224 * 224 + i] - (plane - 0.406) / 0.225) < 1e-4);
  }
  const det = r.tensors.get('spine-detector:1')!;
  assert.equal(det.shape, [1, 3, 96, 128]);
  assert.is(det.scaleX, W / 128);
  const mm = r.tensors.get('minmax:1')!.data;
  assert.ok(Math.min(...mm) < 0.01 && Math.max(...mm) > 0.99, 'min–max stretches to [0, 1]');
  assert.ok(r.timings.total >= r.timings.decode);
});

test('mapBoxToOriginal scales each axis and clamps', () => {
  assert.equal(mapBoxToOriginal([10, 20, 30, 40], 2, 0.5), [20, 10, 60, 20]);
  assert.equal(mapBoxToOriginal([-5, 0, 600, 40], 1, 1, { width: 500, height: 30 }), [0, 0, 500, 30]);
});

test('resizeStretch: identity, constant images stay constant, and it matches Pillow BILINEAR (mode F)', () => {
  const src = Float32Array.from(px12, (v) => v / 4095);
  assert.is(resizeStretch(src, W, H, W, H), src);
  const flat = resizeStretch(new Float32Array(W * H).fill(0.25), W, H, 37, 91);
  assert.ok(flat.every((v) => Math.abs(v - 0.25) < 1e-6));
  const py = spawnSync('/usr/bin/python3', ['-c', `
import sys, numpy as np
from PIL import Image
a = np.frombuffer(sys.stdin.buffer.read(), dtype=np.float32).reshape(${H}, ${W})
out = [np.asarray(Image.fromarray(a, mode='F').resize((w, h), Image.BILINEAR), dtype=np.float32) for (w, h) in [(64, 48), (224, 224), (77, 150), (600, 90)]]
sys.stdout.buffer.write(b''.join(o.tobytes() for o in out))
`], { input: Buffer.from(src.buffer), maxBuffer: 1 << 24 });
  if (py.status !== 0) return void console.log('  skipped the Pillow comparison: /usr/bin/python3 with numpy and Pillow not available');
  const theirs = new Float32Array(py.stdout.buffer, py.stdout.byteOffset, py.stdout.byteLength / 4);
  let off = 0;
  for (const [w, h] of [[64, 48], [224, 224], [77, 150], [600, 90]]) {
    const ours = resizeStretch(src, W, H, w, h);
    let worst = 0;
    for (let i = 0; i < ours.length; i++) worst = Math.max(worst, Math.abs(ours[i] - theirs[off + i]));
    off += w * h;
    assert.ok(worst < 1e-5, `${w}×${h}: max difference from Pillow ${worst}`);
  }
});

test.run();
