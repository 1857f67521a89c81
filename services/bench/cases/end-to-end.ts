// Case "end-to-end": Analyze through the whole cluster at closed-loop concurrency 1, 4, 16 and 64.
// Reports latency and throughput per level, saturation throughput ÷ the limit, the latency the
// cluster adds at concurrency 1, and where it goes per stage (gateway wall time − replica compute).
import type { LatencySummary } from '../latency-histogram.ts';
import type { StageTiming } from '../grpc-target.ts';
import { Goal, closedLoad, figure, median, requireNoErrors, type BenchContext } from '../bench-context.ts';
import type { LimitResult } from './limit.ts';

export const CONCURRENCY_LEVELS = [1, 4, 16, 64] as const;
/** Targets from the issue. */
export const SATURATION_RATIO_TARGET = 0.9;
export const ADDED_LATENCY_TARGET_MS = 3;

export interface EndToEndLevel {
  concurrency: number;
  requests: number;
  throughput: number;
  latencyMs: LatencySummary;
  errors: Record<string, number>;
}

/** Medians over the concurrency-1 requests, per stage of `timings[]`. */
export interface StageBreakdown {
  stage: string;
  msP50: number;
  computeMsP50: number;
  /** median(ms − computeMs): queueing, transfer, (de)serialisation and the NATS hops. */
  overheadMsP50: number;
}

export interface EndToEndResult {
  levels: EndToEndLevel[];
  saturationThroughput: number;
  saturationRatio: number;
  addedLatencyMs: number;
  preprocessComputeMsP50: number;
  stages: StageBreakdown[];
}

export async function runEndToEnd(ctx: BenchContext, address: string, images: Uint8Array[], limit: LimitResult): Promise<EndToEndResult> {
  const { quick, durationS } = ctx.settings;
  const levels: EndToEndLevel[] = [];
  const perStage = new Map<string, { ms: number[]; compute: number[]; overhead: number[] }>();
  for (const c of CONCURRENCY_LEVELS) {
    const r = await closedLoad(ctx, address, 'Analyze', images, {
      concurrency: c,
      ...(quick ? { requests: Math.max(4, c) } : { durationS }),
      onResponse:
        c === 1
          ? (res) => {
              for (const t of (res.timings ?? []) as StageTiming[]) {
                const s = perStage.get(t.stage) ?? { ms: [], compute: [], overhead: [] };
                s.ms.push(t.ms);
                s.compute.push(t.computeMs);
                s.overhead.push(t.ms - t.computeMs);
                perStage.set(t.stage, s);
              }
            }
          : undefined,
    });
    requireNoErrors(r, `Analyze at concurrency ${c}`);
    const latencyMs = r.latency.summary();
    levels.push({ concurrency: c, requests: r.ok, throughput: r.throughput, latencyMs, errors: r.errors });
    ctx.log(`end-to-end c=${c}: ${r.throughput.toFixed(2)} req/s, p50 ${latencyMs.p50.toFixed(1)} p95 ${latencyMs.p95.toFixed(1)} p99 ${latencyMs.p99.toFixed(1)} ms`);
  }
  const stages = [...perStage].map(([stage, s]) => ({ stage, msP50: median(s.ms), computeMsP50: median(s.compute), overheadMsP50: median(s.overhead) }));
  const saturationThroughput = Math.max(...levels.map((l) => l.throughput));
  const preprocessComputeMsP50 = stages.find((s) => s.stage === 'preprocess')?.computeMsP50 ?? 0;
  const addedLatencyMs = levels[0].latencyMs.p50 - preprocessComputeMsP50 - limit.pipeline.latencyMs.p50;

  for (const l of levels) {
    ctx.figures.push(
      figure({ case: 'end-to-end', name: `Analyze c=${l.concurrency} throughput`, value: l.throughput, unit: 'req/s', goal: Goal.Report }),
      figure({ case: 'end-to-end', name: `Analyze c=${l.concurrency} p50 / p95 / p99`, value: l.latencyMs.p50, unit: `ms (p95 ${l.latencyMs.p95.toFixed(1)}, p99 ${l.latencyMs.p99.toFixed(1)})`, goal: Goal.Report }),
    );
  }
  ctx.figures.push(
    figure({
      case: 'end-to-end',
      name: 'throughput at saturation ÷ limit',
      value: saturationThroughput,
      unit: 'req/s',
      baseline: limit.pipeline.throughput,
      baselineName: 'limit throughput',
      goal: Goal.AtLeast,
      target: SATURATION_RATIO_TARGET,
    }),
    figure({
      case: 'end-to-end',
      name: 'added latency at c=1 (e2e p50 − preprocess compute p50 − limit p50)',
      value: addedLatencyMs,
      unit: 'ms',
      goal: Goal.AtMost,
      target: ADDED_LATENCY_TARGET_MS,
    }),
  );
  for (const s of stages) {
    if (s.stage === 'total' || s.stage === 'fuse') continue;
    ctx.figures.push(figure({ case: 'end-to-end', name: `c=1 ${s.stage}: wall − compute (p50)`, value: s.overheadMsP50, unit: `ms (wall ${s.msP50.toFixed(1)}, compute ${s.computeMsP50.toFixed(1)})`, goal: Goal.Report }));
  }
  return { levels, saturationThroughput, saturationRatio: saturationThroughput / limit.pipeline.throughput, addedLatencyMs, preprocessComputeMsP50, stages };
}
