// Windowing by hand-computed numbers: linear window, LINEAR_EXACT, SIGMOID, rescale, VOI LUT,
// min–max fallback, MONOCHROME1 inversion, signed pixels, PNG normalisation.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { applyWindow, normalizeRaster, windowLinear, type WindowInput } from './windowing.ts';

const close = (a: ArrayLike<number>, b: readonly number[], eps = 1e-6) => {
  assert.is(a.length, b.length);
  for (let i = 0; i < b.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= eps, `[${i}] ${a[i]} vs ${b[i]}`);
};

function img(pixels: WindowInput['pixels'], extra: Partial<WindowInput> = {}): WindowInput {
  return { pixels, photometric: 'MONOCHROME2', rescaleSlope: 1, rescaleIntercept: 0, voiLutFunction: 'LINEAR', bitsStored: 12, pixelRepresentation: 0, ...extra };
}

test('the DICOM linear window: y = (x − (c − 0.5)) / (w − 1) + 0.5, clamped', () => {
  // c = 100, w = 51: x = 75 → (75 − 99.5)/50 + 0.5 = 0.01; x = 100 → 0.51; x = 124 → 0.99.
  close([windowLinear(75, 100, 51), windowLinear(100, 100, 51), windowLinear(124, 100, 51)], [0.01, 0.51, 0.99]);
  close([windowLinear(0, 100, 51), windowLinear(1000, 100, 51)], [0, 1]);
  close([windowLinear(99, 100, 1), windowLinear(100, 100, 1)], [0, 1]); // width 1: a threshold
  const out = applyWindow(img(new Uint16Array([75, 100, 124, 0, 4095]), { windowCenter: 100, windowWidth: 51 }), 5, 1);
  assert.is(out.windowing, 'window');
  close(out.data, [0.01, 0.51, 0.99, 0, 1]);
});

test('MONOCHROME1 is inverted after the window (1 − y)', () => {
  const out = applyWindow(img(new Uint16Array([75, 100, 124]), { windowCenter: 100, windowWidth: 51, photometric: 'MONOCHROME1' }), 3, 1);
  close(out.data, [0.99, 0.49, 0.01]);
});

test('rescale slope / intercept apply before the window', () => {
  // stored 0, 10, 20 → modality −1024, −1004, −984 (slope 2, intercept −1024); window c −1004, w 41.
  const out = applyWindow(img(new Uint16Array([0, 10, 20]), { rescaleSlope: 2, rescaleIntercept: -1024, windowCenter: -1004, windowWidth: 41 }), 3, 1);
  // (−1024 + 1004.5)/40 + 0.5 = 0.0125; (0.5)/40 + 0.5 = 0.5125; (20.5)/40 + 0.5 = 1.0125 → 1.
  close(out.data, [0.0125, 0.5125, 1]);
});

test('LINEAR_EXACT and SIGMOID VOI LUT functions', () => {
  const exact = applyWindow(img(new Uint16Array([75, 100, 125]), { windowCenter: 100, windowWidth: 50, voiLutFunction: 'LINEAR_EXACT' }), 3, 1);
  close(exact.data, [0, 0.5, 1]);
  const sig = applyWindow(img(new Uint16Array([100, 150]), { windowCenter: 100, windowWidth: 100, voiLutFunction: 'SIGMOID' }), 2, 1);
  close(sig.data, [0.5, 1 / (1 + Math.exp(-2))]);
});

test('a VOI LUT Sequence wins over the window; indices clamp at both ends', () => {
  const voiLut = { entries: 4, firstMapped: 10, bitsPerEntry: 8, data: new Uint16Array([0, 51, 102, 255]) };
  const out = applyWindow(img(new Uint16Array([5, 10, 11, 12, 13, 99]), { voiLut, windowCenter: 0, windowWidth: 2 }), 6, 1);
  assert.is(out.windowing, 'voi_lut');
  close(out.data, [0, 0, 0.2, 0.4, 1, 1]);
});

test('no VOI in the file → min–max of the modality values; a flat image → 0', () => {
  const out = applyWindow(img(new Uint16Array([100, 200, 300])), 3, 1);
  assert.is(out.windowing, 'minmax');
  close(out.data, [0, 0.5, 1]);
  close(applyWindow(img(new Uint16Array([7, 7])), 2, 1).data, [0, 0]);
  // The model may ask for min–max even when the file has a window.
  const forced = applyWindow(img(new Uint16Array([100, 200, 300]), { windowCenter: 0, windowWidth: 10 }), 3, 1, 'minmax');
  assert.is(forced.windowing, 'minmax');
  close(forced.data, [0, 0.5, 1]);
  // A negative slope flips the modality range; min–max still maps to [0, 1].
  close(applyWindow(img(new Uint16Array([100, 200, 300]), { rescaleSlope: -1 }), 3, 1).data, [1, 0.5, 0]);
});

test('signed pixels: negative stored values index the table correctly', () => {
  const out = applyWindow(img(new Int16Array([-2048, -1, 0, 2047]), { pixelRepresentation: 1, windowCenter: 0, windowWidth: 4096 }), 4, 1);
  // (x + 0.5)/4095 + 0.5
  close(out.data, [0.5 + (-2047.5) / 4095, 0.5 - 0.5 / 4095, 0.5 + 0.5 / 4095, 0.5 + 2047.5 / 4095]);
  const mm = applyWindow(img(new Int16Array([-100, 0, 100]), { pixelRepresentation: 1 }), 3, 1);
  close(mm.data, [0, 0.5, 1]);
  const s8 = applyWindow(img(new Int8Array([-128, 127]), { pixelRepresentation: 1 }), 2, 1);
  close(s8.data, [0, 1]);
});

test('PNG / JPEG: v / (2^bits − 1), no window; min–max on request', () => {
  const p16 = normalizeRaster(new Uint16Array([0, 32768, 65535]), 3, 1, 16);
  assert.is(p16.windowing, 'none');
  close(p16.data, [0, 32768 / 65535, 1]);
  close(normalizeRaster(new Uint8Array([0, 51, 255]), 3, 1, 8).data, [0, 0.2, 1]);
  const mm = normalizeRaster(new Uint8Array([10, 20, 30]), 3, 1, 8, 'minmax');
  assert.is(mm.windowing, 'minmax');
  close(mm.data, [0, 0.5, 1]);
});

test.run();
