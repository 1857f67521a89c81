// Case "preprocessing": a 2500 × 3000 16-bit DICOM to both models' input tensors, through the
// preprocessing service (directly over NATS with the gateway's StageClient, so neither gRPC nor
// inference is counted) ÷ the same preprocessImage in this process.
import { connectNats } from '../../launcher/nats-server.ts';
import { PayloadTransport } from '../../common/payload-transport.ts';
import { StageClient } from '../../common/stage-client.ts';
import { Header, Subject } from '../../common/wire.ts';
import { ModelRepository } from '../../model-repository/model-repository.ts';
import { ModelRouter } from '../../gateway/model-router.ts';
import { preprocessImage } from '../../preprocess/preprocess.ts';
import { phantomImages } from '../bench-inputs.ts';
import { Goal, figure, type BenchContext } from '../bench-context.ts';

export const PREPROCESS_RATIO_TARGET = 0.85;
/** Requests in flight through the service: two, so the replica never waits for the next image's bytes. */
export const SERVICE_CONCURRENCY = 2;

export interface PreprocessingResult {
  bytes: number;
  targets: string[];
  inProcess: { throughput: number; msP50: number };
  service: { throughput: number; via: 'nats'; concurrency: number };
  ratio: number;
}

export async function runPreprocessing(ctx: BenchContext, natsUrl: string): Promise<PreprocessingResult> {
  const { quick, durationS } = ctx.settings;
  const [image] = await phantomImages({ count: 1, width: quick ? 1250 : 2500, height: quick ? 1500 : 3000, format: 'dicom', seed: 11 });
  const repo = await ModelRepository.load(ctx.settings.repository);
  const router = new ModelRouter(repo);
  const versions = [router.classifier(), router.detector()];
  const targets = versions.map((v) => `${v.name}:${v.version}`);
  const forLocal = versions.map((v, i) => ({ key: targets[i], config: v.config }));
  const windowMs = (quick ? 1 : Math.min(durationS, 10)) * 1000;

  // In-process: sequential, one core, the same work the replica does.
  await preprocessImage(image, forLocal);
  const local: number[] = [];
  let t0 = performance.now();
  while (performance.now() - t0 < windowMs || local.length < 2) {
    const s = performance.now();
    await preprocessImage(image, forLocal);
    local.push(performance.now() - s);
  }
  const inProcessThroughput = local.length / ((performance.now() - t0) / 1000);

  const nc = await connectNats(natsUrl, 'bench-preprocess');
  const transport = new PayloadTransport(nc);
  await transport.start();
  const stages = new StageClient(nc, transport);
  stages.start();
  const call = () =>
    stages.call({ subject: Subject.preprocess, payload: image, deadline: Date.now() + 120_000, requestId: 'bench', headers: { [Header.Meta]: JSON.stringify({ targets }) }, stage: 'preprocessing' });
  await call();
  let done = 0;
  t0 = performance.now();
  let last = t0;
  await Promise.all(
    Array.from({ length: SERVICE_CONCURRENCY }, async () => {
      while (performance.now() - t0 < windowMs || done < 2) {
        await call();
        done++;
        last = performance.now();
      }
    }),
  );
  const serviceThroughput = done / ((last - t0) / 1000);
  stages.stop();
  transport.stop();
  await nc.close();

  const sorted = [...local].sort((a, b) => a - b);
  const result: PreprocessingResult = {
    bytes: image.byteLength,
    targets,
    inProcess: { throughput: inProcessThroughput, msP50: sorted[sorted.length >> 1] },
    service: { throughput: serviceThroughput, via: 'nats', concurrency: SERVICE_CONCURRENCY },
    ratio: serviceThroughput / inProcessThroughput,
  };
  ctx.figures.push(
    figure({
      case: 'preprocessing',
      name: `${quick ? '1250 × 1500' : '2500 × 3000'} 16-bit DICOM → tensors: service (NATS, c=${SERVICE_CONCURRENCY}) ÷ in-process`,
      value: serviceThroughput,
      unit: 'img/s',
      baseline: inProcessThroughput,
      baselineName: 'in-process preprocessImage',
      goal: Goal.AtLeast,
      target: PREPROCESS_RATIO_TARGET,
    }),
  );
  ctx.log(`preprocessing: service ${serviceThroughput.toFixed(2)}/s, in-process ${inProcessThroughput.toFixed(2)}/s (p50 ${result.inProcess.msP50.toFixed(0)} ms)`);
  return result;
}
