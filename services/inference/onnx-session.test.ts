import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { ModelRepository } from '../model-repository/model-repository.ts';
import { loadSettings } from '../common/settings.ts';
import { DeviceUnavailable, cudaProviderInstalled, openSession } from './onnx-session.ts';

const repoRoot = loadSettings().MODEL_REPOSITORY;

test('a cpu session opens with the configured threads and runs', async () => {
  const repo = await ModelRepository.load(repoRoot);
  const v = repo.resolve('spine-classifier');
  const session = await openSession(v.onnxPath, { device: 'cpu', intraOpThreads: 1 });
  assert.ok(session.inputNames.includes(v.config.input.name));
  await session.release();
});

test('an unknown device is refused by name', async () => {
  const err = await openSession('x.onnx', { device: 'tpu:0', intraOpThreads: 1 }).catch((e) => e);
  assert.instance(err, DeviceUnavailable);
  assert.match(err.message, /unknown device "tpu:0"/);
});

test('cuda:N without the CUDA provider fails with instructions, and a replica exits at start', async () => {
  if (cudaProviderInstalled()) {
    console.log('  (CUDA provider installed here: the missing-provider path is not reachable)');
    return;
  }
  const repo = await ModelRepository.load(repoRoot);
  const err = await openSession(repo.resolve('spine-classifier').onnxPath, { device: 'cuda:0', intraOpThreads: 1 }).catch((e) => e);
  assert.instance(err, DeviceUnavailable);
  assert.match(err.message, /CUDA execution provider, which is not installed/);
  assert.match(err.message, /ONNXRUNTIME_NODE_INSTALL=cuda12 npm ci/);
  // The whole replica process: a clear message and a non-zero exit, before it joins NATS.
  const bin = new URL('../../bin/spinexr.js', import.meta.url).pathname;
  const r = spawnSync(process.execPath, [bin, 'serve', 'classifier'], {
    env: { ...process.env, REPLICA_DEVICE: 'cuda:0', NATS_URL: 'nats://127.0.0.1:1', LOG_LEVEL: 'silent' },
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.is.not(r.status, 0);
  assert.match(r.stderr, /CUDA execution provider/);
});

test.run();
