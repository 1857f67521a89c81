// Cases "batching" and "replica-scaling" on the classifier (the cost twin when present): Classify
// with a cheap 224 × 224 PNG so the classifier dominates. Batching: maxBatchSize from the model's
// config ÷ maxBatchSize 1 at concurrency 16, and p99 at concurrency 1 with and without. Scaling:
// 2 replicas ÷ 1 replica at concurrency 16 with maxBatchSize 1, one intra-op thread each, so the
// ratio is about replicas and not batch sizes.
import { mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { phantomImages } from '../bench-inputs.ts';
import { Goal, closedLoad, figure, requireNoErrors, startBenchCluster, type BenchContext } from '../bench-context.ts';
import type { LatencySummary } from '../latency-histogram.ts';

export const BATCHING_CONCURRENCY = 16;
export const SCALING_CONCURRENCY = 16;
export const SCALING_RATIO_TARGET = 1.7;
const CLASSIFIER = 'spine-classifier';

export interface BatchingResult {
  model: string;
  maxBatchSize: number;
  maxQueueDelayMs: number;
  c16: { batched: number; unbatched: number; ratio: number };
  c1: { batched: LatencySummary; unbatched: LatencySummary; p99Ratio: number };
}

export interface ScalingResult {
  model: string;
  oneReplica: number;
  twoReplicas: number;
  ratio: number;
}

/**
 * A model repository holding only `model`, its config's batching replaced, version folders linked
 * to the originals (config is read from the repository, so this is how the batch size changes).
 */
async function repositoryWithBatching(source: string, model: string, batching: { maxBatchSize: number; maxQueueDelayMs?: number } | undefined): Promise<{ dir: string; batching: { maxBatchSize: number; maxQueueDelayMs: number } }> {
  const dir = await mkdtemp(join(tmpdir(), 'spinexr-bench-repo-'));
  const config = JSON.parse(await readFile(join(source, model, 'config.json'), 'utf8'));
  if (batching) config.batching = { ...config.batching, ...batching };
  await mkdir(join(dir, model));
  await writeFile(join(dir, model, 'config.json'), JSON.stringify(config, null, 2));
  for (const entry of await readdir(join(source, model), { withFileTypes: true })) {
    if (entry.isDirectory() && /^\d+$/.test(entry.name)) await symlink(join(source, model, entry.name), join(dir, model, entry.name));
  }
  return { dir, batching: { maxBatchSize: config.batching?.maxBatchSize ?? 1, maxQueueDelayMs: config.batching?.maxQueueDelayMs ?? 0 } };
}

export async function runBatchingAndScaling(ctx: BenchContext): Promise<{ batching: BatchingResult; scaling: ScalingResult }> {
  const { quick, durationS, intraOpThreads } = ctx.settings;
  const source = ctx.settings.twinsRepository ?? ctx.settings.repository;
  const model = `${CLASSIFIER} (${ctx.settings.twinsRepository ? 'cost twin' : 'shipped: no cost twins here'})`;
  const images = await phantomImages({ count: 4, width: 224, height: 224, format: 'png', seed: 21 });
  const load = (address: string, concurrency: number) =>
    closedLoad(ctx, address, 'Classify', images, quick ? { concurrency, requests: Math.max(8, concurrency * 2) } : { concurrency, durationS });

  const batchedRepo = await repositoryWithBatching(source, CLASSIFIER, undefined);
  const unbatchedRepo = await repositoryWithBatching(source, CLASSIFIER, { maxBatchSize: 1 });
  const replicas = { preprocess: 1, classifier: 1, detector: 0 };
  try {
    const batched = await startBenchCluster({ repository: batchedRepo.dir, replicas, intraOpThreads });
    let b16, b1;
    try {
      b1 = await load(batched.address, 1);
      b16 = await load(batched.address, BATCHING_CONCURRENCY);
    } finally {
      await batched.stop();
    }
    const unbatched = await startBenchCluster({ repository: unbatchedRepo.dir, replicas, intraOpThreads });
    let u16, u1, two;
    try {
      u1 = await load(unbatched.address, 1);
      u16 = await load(unbatched.address, SCALING_CONCURRENCY);
      unbatched.cluster.spawnRole('classifier');
      await unbatched.cluster.waitForReplicas({ classifier: 2 });
      two = await load(unbatched.address, SCALING_CONCURRENCY);
    } finally {
      await unbatched.stop();
    }
    for (const [r, what] of [[b1, 'batched c=1'], [b16, 'batched c=16'], [u1, 'unbatched c=1'], [u16, 'unbatched c=16'], [two, '2 replicas c=16']] as const) requireNoErrors(r, `Classify ${what}`);

    const batching: BatchingResult = {
      model,
      ...batchedRepo.batching,
      c16: { batched: b16.throughput, unbatched: u16.throughput, ratio: b16.throughput / u16.throughput },
      c1: { batched: b1.latency.summary(), unbatched: u1.latency.summary(), p99Ratio: b1.latency.summary().p99 / u1.latency.summary().p99 },
    };
    const scaling: ScalingResult = { model, oneReplica: u16.throughput, twoReplicas: two.throughput, ratio: two.throughput / u16.throughput };
    ctx.figures.push(
      figure({
        case: 'batching',
        name: `Classify c=16 throughput, maxBatchSize ${batching.maxBatchSize} ÷ 1`,
        value: b16.throughput,
        unit: 'req/s',
        baseline: u16.throughput,
        baselineName: 'maxBatchSize 1',
        goal: Goal.Report,
      }),
      figure({
        case: 'batching',
        name: `Classify c=1 p99, maxBatchSize ${batching.maxBatchSize} ÷ 1 (must not be worse)`,
        value: batching.c1.batched.p99,
        unit: 'ms',
        baseline: batching.c1.unbatched.p99,
        baselineName: 'maxBatchSize 1',
        goal: Goal.AtMost,
        // Two runs of the same work differ by noise on a shared machine; 10 % is "not worse".
        target: 1.1,
      }),
      figure({
        case: 'replica-scaling',
        name: 'Classify c=16 throughput, 2 replicas ÷ 1 (1 thread each)',
        value: two.throughput,
        unit: 'req/s',
        baseline: u16.throughput,
        baselineName: '1 replica',
        goal: Goal.AtLeast,
        target: SCALING_RATIO_TARGET,
      }),
    );
    ctx.log(`batching: c=16 ${b16.throughput.toFixed(1)} vs ${u16.throughput.toFixed(1)} req/s; c=1 p99 ${batching.c1.batched.p99.toFixed(1)} vs ${batching.c1.unbatched.p99.toFixed(1)} ms`);
    ctx.log(`scaling: 2 replicas ${two.throughput.toFixed(1)} vs 1 replica ${u16.throughput.toFixed(1)} req/s`);
    return { batching, scaling };
  } finally {
    await rm(batchedRepo.dir, { recursive: true, force: true });
    await rm(unbatchedRepo.dir, { recursive: true, force: true });
  }
}
