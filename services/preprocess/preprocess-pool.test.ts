import { test } from 'uvu';
import * as assert from 'uvu/assert';
import sharp from 'sharp';
import { PreprocessPool } from './preprocess-pool.ts';
import { InvalidInput } from '../common/errors.ts';
import { ModelConfigSchema } from '../common/model-config.ts';

const config = ModelConfigSchema.parse({
  name: 'toy',
  task: 'classification',
  input: { name: 'image', dtype: 'float32', layout: 'NCHW', channels: 1, height: 32, width: 32 },
  preprocessing: { mean: [0], std: [1] },
  output: { name: 'logit', kind: 'logit' },
  labels: ['abnormal'],
});
const pool = new PreprocessPool(2);

test.after(() => pool.close());

test('a worker decodes and lays out an image; tensors come back whole', async () => {
  const png = await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 255, g: 255, b: 255 } } }).png().toBuffer();
  const { info, tensors } = await pool.run({ bytes: new Uint8Array(png), targets: [{ key: 'toy:1', config }] });
  assert.is(info.width, 64);
  assert.is(info.height, 48);
  assert.is(tensors[0].key, 'toy:1');
  assert.equal(tensors[0].shape, [1, 1, 32, 32]);
  assert.is(tensors[0].data.length, 32 * 32);
  assert.ok(Math.abs(tensors[0].data[100] - 1) < 1e-6, 'white stays white');
  assert.is(tensors[0].scaleX, 2);
});

test('domain errors cross the thread boundary as the same classes and messages', async () => {
  const err = await pool.run({ bytes: new TextEncoder().encode('not an image at all'), targets: [{ key: 'toy:1', config }] }).catch((e) => e);
  assert.instance(err, InvalidInput);
  assert.match(err.message, /not a DICOM, PNG or JPEG image/);
});

test('several images at once on two threads', async () => {
  const png = await sharp({ create: { width: 300, height: 200, channels: 3, background: '#808080' } }).png().toBuffer();
  const all = await Promise.all(Array.from({ length: 6 }, () => pool.run({ bytes: new Uint8Array(png), targets: [{ key: 'k', config }] })));
  assert.is(all.length, 6);
  for (const r of all) assert.is(r.info.width, 300);
});

test.run();
