// Smoke test of `npm run bench -- --quick`: it completes and writes JSON with the documented keys.
// No timing is asserted, ever: performance is measured by the bench, not tested.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasBothModels } from './bench-report.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
// The shipped models by default; BENCH_MODEL_REPOSITORY points the smoke run elsewhere.
const repository = process.env.BENCH_MODEL_REPOSITORY ?? join(ROOT, 'models');

test('bench --quick completes and writes JSON with every case and figure key', async () => {
  if (!hasBothModels(repository)) {
    console.log(`  skipped: ${repository} has no spine-classifier and spine-detector versions yet (npm run models:train)`);
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), 'spinexr-bench-test-'));
  try {
    const json = join(dir, 'bench.json');
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'services/bench/main.ts', '--quick', '--models', repository, '--json', json, '--soak', '100'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 600_000,
    });
    assert.is(r.status, 0, `bench exited with ${r.status}:\n${r.stdout}\n${r.stderr}`);
    const report = JSON.parse(await readFile(json, 'utf8'));
    assert.is(report.schema, 1);
    assert.is(report.quick, true);
    for (const k of ['cpuModel', 'cores', 'memoryGiB', 'node', 'onnxruntimeNode', 'natsServer', 'loadAverageStart', 'loadAverageEnd']) assert.ok(k in report.machine, `machine.${k}`);
    const c = report.cases;
    for (const k of ['limit', 'endToEnd', 'largeInputs', 'preprocessing', 'memory', 'batching', 'scaling']) assert.ok(c[k], `cases.${k}`);
    for (const k of ['p50', 'p99']) assert.type(c.limit.pipeline.latencyMs[k], 'number');
    assert.type(c.limit.pipeline.throughput, 'number');
    assert.equal(c.endToEnd.levels.map((l: { concurrency: number }) => l.concurrency), [1, 4, 16, 64]);
    for (const k of ['p50', 'p95', 'p99']) assert.type(c.endToEnd.levels[0].latencyMs[k], 'number');
    for (const k of ['saturationThroughput', 'saturationRatio', 'addedLatencyMs', 'preprocessComputeMsP50']) assert.type(c.endToEnd[k], 'number');
    assert.is(c.largeInputs.cluster.length, 2);
    assert.equal([...new Set(c.largeInputs.raw.map((r: { maxPayload: string }) => r.maxPayload))], ['1MB', '8MB']);
    assert.type(c.largeInputs.cluster[0].transferMsP50, 'number');
    assert.type(c.preprocessing.ratio, 'number');
    assert.ok(Object.keys(c.memory.peakRssMiB).includes('gateway'));
    assert.type(c.memory.soak.maxGrowthPct, 'number');
    assert.type(c.batching.c16.ratio, 'number');
    assert.type(c.batching.c1.p99Ratio, 'number');
    assert.type(c.scaling.ratio, 'number');
    assert.ok(report.figures.length > 10);
    for (const f of report.figures) for (const k of ['case', 'name', 'value', 'unit', 'goal']) assert.ok(k in f, `figure.${k}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test.run();
