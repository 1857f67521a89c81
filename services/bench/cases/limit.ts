// Case "limit": the physical limit on this machine. ONNX Runtime in this process (openSession, the
// replicas' thread count) runs the classifier and the detector on the same input tensors the
// cluster would produce, without NATS, gRPC, preprocessing or post-processing. Each session runs
// on its own worker thread (SessionThread): onnxruntime-node's run() blocks its thread, and the
// cluster's classifier and detector replicas run in parallel as separate processes.
import { ModelRepository } from '../../model-repository/model-repository.ts';
import { ModelRouter } from '../../gateway/model-router.ts';
import { SessionThread, type PlainTensor } from '../../inference/session-thread.ts';
import { preprocessImage } from '../../preprocess/preprocess.ts';
import { LatencyHistogram, type LatencySummary } from '../latency-histogram.ts';
import { Goal, figure, type BenchContext } from '../bench-context.ts';

export interface LimitResult {
  classifier: { model: string; latencyMs: LatencySummary; throughput: number };
  detector: { model: string; latencyMs: LatencySummary; throughput: number };
  /** Both models started together, as the gateway does: time until both are done. */
  pipeline: { latencyMs: LatencySummary; throughput: number };
  intraOpThreads: number;
}

/**
 * Latency: `runs` sequential runs (each model alone, then both at once). Throughput: each session
 * in its own loop for `durationS`, both at once (the cluster's one classifier and one detector
 * replica run in parallel too); pipeline throughput = the slower model's rate.
 */
export async function runLimit(ctx: BenchContext, image: Uint8Array): Promise<LimitResult> {
  const { settings } = ctx;
  const repo = await ModelRepository.load(settings.repository);
  const router = new ModelRouter(repo);
  const versions = [router.classifier(), router.detector()];
  const key = (v: (typeof versions)[number]) => `${v.name}:${v.version}`;
  const pre = await preprocessImage(image, versions.map((v) => ({ key: key(v), config: v.config })));
  const sessions = await Promise.all(versions.map((v) => SessionThread.open(v.onnxPath, { device: 'cpu', intraOpThreads: settings.intraOpThreads })));
  // Inputs are transferred to the worker on every run: each run gets its own copy, made outside the timing.
  const feeds = versions.map((v) => {
    const t = pre.tensors.get(key(v))!;
    return () => ({ [v.config.input.name]: { type: 'float32', data: t.data.slice(), dims: [1, v.config.input.channels, v.config.input.height, v.config.input.width] } as PlainTensor });
  });
  const run = async (i: number, feed = feeds[i]()) => {
    await sessions[i].run(feed);
  };
  const runs = settings.quick ? 3 : 30;
  for (let w = 0; w < 3; w++) await Promise.all([run(0), run(1)]);

  const alone = [new LatencyHistogram(), new LatencyHistogram()];
  for (const i of [0, 1]) {
    for (let r = 0; r < runs; r++) {
      const feed = feeds[i]();
      const t0 = performance.now();
      await run(i, feed);
      alone[i].record(performance.now() - t0);
    }
  }
  const both = new LatencyHistogram();
  for (let r = 0; r < runs; r++) {
    const [f0, f1] = [feeds[0](), feeds[1]()];
    const t0 = performance.now();
    await Promise.all([run(0, f0), run(1, f1)]);
    both.record(performance.now() - t0);
  }

  // Throughput: both sessions busy at once for the same wall time.
  const durationMs = (settings.quick ? 1 : Math.min(settings.durationS, 10)) * 1000;
  const counts = [0, 0];
  const t0 = performance.now();
  const loop = async (i: number) => {
    while (performance.now() - t0 < durationMs || counts[i] === 0) {
      await run(i);
      counts[i]++;
    }
    return performance.now() - t0;
  };
  const ends = await Promise.all([loop(0), loop(1)]);
  const rates = counts.map((n, i) => n / (ends[i] / 1000));
  for (const s of sessions) await s.release();

  const result: LimitResult = {
    classifier: { model: key(versions[0]), latencyMs: alone[0].summary(), throughput: rates[0] },
    detector: { model: key(versions[1]), latencyMs: alone[1].summary(), throughput: rates[1] },
    pipeline: { latencyMs: both.summary(), throughput: Math.min(rates[0], rates[1]) },
    intraOpThreads: settings.intraOpThreads,
  };
  const p = result.pipeline;
  ctx.figures.push(
    figure({ case: 'limit', name: 'inference p50 (classifier ∥ detector)', value: p.latencyMs.p50, unit: 'ms', goal: Goal.Report }),
    figure({ case: 'limit', name: 'inference p99 (classifier ∥ detector)', value: p.latencyMs.p99, unit: 'ms', goal: Goal.Report }),
    figure({ case: 'limit', name: 'throughput (slower of the two, both busy)', value: p.throughput, unit: 'req/s', goal: Goal.Report }),
  );
  ctx.log(
    `limit: classifier p50 ${result.classifier.latencyMs.p50.toFixed(1)} ms (${rates[0].toFixed(1)}/s), detector p50 ${result.detector.latencyMs.p50.toFixed(1)} ms (${rates[1].toFixed(1)}/s), both p50 ${p.latencyMs.p50.toFixed(1)} ms`,
  );
  return result;
}
