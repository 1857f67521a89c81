import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, mkdir, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ModelRepository, deepMerge } from './model-repository.ts';
import { ModelNotFound } from '../common/errors.ts';

const config = (over: object = {}) => ({
  name: 'toy-classifier',
  task: 'classification',
  input: { name: 'image', dtype: 'float32', layout: 'NCHW', channels: 1, height: 8, width: 8 },
  preprocessing: { mean: [0.5], std: [0.25] },
  output: { name: 'logit', kind: 'logit' },
  labels: ['abnormal'],
  ...over,
});

async function repoWith(model: object, versions: Record<string, object | null>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'spinexr-repo-'));
  await mkdir(join(root, 'toy-classifier'));
  await writeFile(join(root, 'toy-classifier', 'config.json'), JSON.stringify(model));
  for (const [v, override] of Object.entries(versions)) {
    await mkdir(join(root, 'toy-classifier', v));
    await writeFile(join(root, 'toy-classifier', v, 'model.onnx'), 'not read by the repository');
    if (override) await writeFile(join(root, 'toy-classifier', v, 'config.json'), JSON.stringify(override));
  }
  return root;
}

test('deepMerge merges objects key by key and replaces arrays', () => {
  assert.equal(deepMerge({ a: { b: 1, c: [1, 2] }, d: 1 }, { a: { c: [3] }, e: 2 }), { a: { b: 1, c: [3] }, d: 1, e: 2 });
});

test('versions get their overrides; resolve() defaults to the highest', async () => {
  const root = await repoWith(config(), { '1': { thresholds: { operatingPoint: 0.3 } }, '2': { thresholds: { operatingPoint: 0.4 }, input: { channels: 3 } } });
  const repo = await ModelRepository.load(root);
  assert.equal(repo.names(), ['toy-classifier']);
  assert.is(repo.resolve('toy-classifier').version, 2);
  assert.is(repo.resolve('toy-classifier').config.input.channels, 3);
  assert.is(repo.resolve('toy-classifier', 1).config.thresholds.operatingPoint, 0.3);
  assert.is(repo.resolve('toy-classifier', 1).config.input.channels, 1);
  assert.is(repo.resolve('toy-classifier', 1).config.batching.maxBatchSize, 8, 'defaults applied');
  await rm(root, { recursive: true });
});

test('version policy latest: 1 serves only the newest version', async () => {
  const root = await repoWith(config({ versionPolicy: { latest: 1 } }), { '1': null, '3': null });
  const repo = await ModelRepository.load(root);
  assert.equal(repo.versions('toy-classifier').map((v) => v.version), [3]);
  await rm(root, { recursive: true });
});

test('unknown models and versions are ModelNotFound with a helpful message', async () => {
  const root = await repoWith(config(), { '1': null });
  const repo = await ModelRepository.load(root);
  assert.throws(() => repo.resolve('nope'), (e: unknown) => e instanceof ModelNotFound && /have: toy-classifier/.test((e as Error).message));
  assert.throws(() => repo.resolve('toy-classifier', 7), (e: unknown) => e instanceof ModelNotFound && /served: 1/.test((e as Error).message));
  await rm(root, { recursive: true });
});

test('an invalid config names the model, version and field', async () => {
  const root = await repoWith(config({ input: { name: 'image' } }), { '1': null });
  const err = await ModelRepository.load(root).catch((e) => e);
  assert.match(err.message, /invalid config for toy-classifier version 1: input\./);
  await rm(root, { recursive: true });
});

test.run();
