// Format detection from magic bytes, and the refusals of empty and unknown inputs.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import sharp from 'sharp';
import { InvalidInput } from '../common/errors.ts';
import { detectImageFormat } from './image-format.ts';
import { syntheticPixels, writeSyntheticDicom } from './testing/synthetic-dicom.ts';

const dicom = writeSyntheticDicom({ width: 4, height: 3, bitsAllocated: 16, bitsStored: 12, pixels: syntheticPixels(4, 3, 12) });

function refusal(bytes: Uint8Array): string {
  try {
    detectImageFormat(bytes);
  } catch (err) {
    assert.instance(err, InvalidInput);
    return (err as Error).message;
  }
  return assert.unreachable('accepted') as never;
}

test('DICOM Part 10, PNG and JPEG are told apart by magic bytes', async () => {
  assert.is(detectImageFormat(dicom), 'dicom');
  const raw = { raw: { width: 4, height: 3, channels: 1 as const } };
  const png = await sharp(Buffer.alloc(12, 128), raw).png().toBuffer();
  const jpeg = await sharp(Buffer.alloc(12, 128), raw).jpeg().toBuffer();
  assert.is(detectImageFormat(png), 'png');
  assert.is(detectImageFormat(jpeg), 'jpeg');
});

test('a raw dataset without preamble is recognised by its first element', () => {
  // Explicit VR: (0008,0016) UI; implicit VR: (0008,0016) with a small 4-byte length.
  assert.is(detectImageFormat(dicom.subarray(132 + 0)), 'dicom'); // starts with the (0002) meta group
  const explicit = new Uint8Array([0x08, 0x00, 0x16, 0x00, 0x55, 0x49, 0x1a, 0x00, ...new Array(26).fill(0x31)]);
  assert.is(detectImageFormat(explicit), 'dicom');
  const implicit = new Uint8Array([0x08, 0x00, 0x16, 0x00, 0x1a, 0x00, 0x00, 0x00, ...new Array(26).fill(0x31)]);
  assert.is(detectImageFormat(implicit), 'dicom');
});

test('zero bytes and anything else are refused with a clear message', () => {
  assert.is(refusal(new Uint8Array(0)), 'empty image: zero bytes received');
  assert.is(refusal(new TextEncoder().encode('GIF89a......')), 'not a DICOM, PNG or JPEG image (first bytes: 47 49 46 38 39 61 2e 2e)');
  let seed = 7;
  const random = Uint8Array.from({ length: 4096 }, () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) >> 16);
  assert.match(refusal(random), /^not a DICOM, PNG or JPEG image \(first bytes: /);
  assert.match(refusal(new Uint8Array([0x89, 0x50])), /first bytes: 89 50\)$/);
});

test.run();
