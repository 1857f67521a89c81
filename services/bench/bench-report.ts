// Runs the bench cases in order and collects them into one report (the JSON written by --json).
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { currentLoadAverage, machineInfo, type MachineInfo } from './machine-info.ts';
import { phantomImages } from './bench-inputs.ts';
import { startBenchCluster, type BenchContext, type BenchSettings, type Figure } from './bench-context.ts';
import { runLimit, type LimitResult } from './cases/limit.ts';
import { runEndToEnd, type EndToEndResult } from './cases/end-to-end.ts';
import { runLargeInputs, type LargeInputsResult } from './cases/large-inputs.ts';
import { runPreprocessing, type PreprocessingResult } from './cases/preprocessing.ts';
import { runBatchingAndScaling, type BatchingResult, type ScalingResult } from './cases/batching-and-scaling.ts';
import { runMemory, type MemoryResult } from './cases/memory.ts';

export const CASES = ['limit', 'end-to-end', 'large-inputs', 'preprocessing', 'memory', 'batching', 'replica-scaling'] as const;
export type CaseName = (typeof CASES)[number];

/** Cheap-to-preprocess input for the limit, end-to-end and soak: small 16-bit PNG phantoms. */
export const CHEAP_INPUT = { width: 320, height: 400, format: 'png' } as const;

export interface BenchReport {
  /** Version of this JSON layout. */
  schema: 1;
  date: string;
  command: string;
  quick: boolean;
  twins: boolean;
  settings: BenchSettings;
  machine: MachineInfo;
  elapsedS: number;
  cases: {
    limit?: LimitResult;
    endToEnd?: EndToEndResult;
    largeInputs?: LargeInputsResult;
    preprocessing?: PreprocessingResult;
    memory?: MemoryResult;
    batching?: BatchingResult;
    scaling?: ScalingResult;
  };
  figures: Figure[];
}

/** Whether a model repository folder holds a served version of both default models. */
export function hasBothModels(root: string): boolean {
  const has = (model: string) => {
    try {
      return readdirSync(join(root, model)).some((v) => /^\d+$/.test(v) && existsSync(join(root, model, v, 'model.onnx')));
    } catch {
      return false;
    }
  };
  return has('spine-classifier') && has('spine-detector');
}

export async function runBench(settings: BenchSettings, opts: { cases: readonly CaseName[]; command: string; log: (line: string) => void }): Promise<BenchReport> {
  const t0 = performance.now();
  const machine = machineInfo();
  const ctx: BenchContext = { settings, figures: [], log: opts.log };
  const want = (c: CaseName) => opts.cases.includes(c);
  const report: BenchReport = { schema: 1, date: new Date().toISOString(), command: opts.command, quick: settings.quick, twins: settings.twins, settings, machine, elapsedS: 0, cases: {}, figures: ctx.figures };
  const cheap = await phantomImages({ count: 4, ...CHEAP_INPUT, seed: 3 });

  // The limit runs first, while no cluster competes for the cores.
  if (want('limit') || want('end-to-end')) report.cases.limit = await runLimit(ctx, cheap[0]);

  if (want('end-to-end') || want('large-inputs') || want('preprocessing') || want('memory')) {
    const bc = await startBenchCluster({ repository: settings.repository, replicas: { preprocess: 1, classifier: 1, detector: 1 }, intraOpThreads: settings.intraOpThreads });
    try {
      if (want('end-to-end')) report.cases.endToEnd = await runEndToEnd(ctx, bc.address, cheap, report.cases.limit!);
      if (want('large-inputs')) report.cases.largeInputs = await runLargeInputs(ctx, bc.address);
      if (want('preprocessing')) report.cases.preprocessing = await runPreprocessing(ctx, bc.cluster.natsUrl);
      if (want('memory')) report.cases.memory = await runMemory(ctx, bc, cheap);
    } finally {
      await bc.stop();
    }
  }
  if (want('batching') || want('replica-scaling')) {
    const r = await runBatchingAndScaling(ctx);
    report.cases.batching = r.batching;
    report.cases.scaling = r.scaling;
  }
  machine.loadAverageEnd = currentLoadAverage();
  report.elapsedS = (performance.now() - t0) / 1000;
  return report;
}
