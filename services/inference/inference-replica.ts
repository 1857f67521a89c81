// A classifier or detector replica: ONNX Runtime sessions for the model versions it serves,
// each behind a dynamic batcher and a NATS services endpoint (queue group per model version).
import type { NatsConnection } from '@nats-io/transport-node';
import { Svcm, type Service } from '@nats-io/services';
import type { ModelRepository, ModelVersion } from '../model-repository/model-repository.ts';
import { Task, type ClassificationOutput, type DetectionOutput } from '../common/model-config.ts';
import { InvalidInput } from '../common/errors.ts';
import { Header, Subject } from '../common/wire.ts';
import { PayloadTransport, type PayloadTransportOptions } from '../common/payload-transport.ts';
import { serveEndpoint } from '../common/stage-server.ts';
import type { Logger } from '../common/logger.ts';
import { DynamicBatcher } from './dynamic-batcher.ts';
import { SessionThread, type PlainTensor } from './session-thread.ts';
import { perClassNms, type ScoredBox } from './nms.ts';
import { mapBoxToOriginal } from '../preprocess/tensor-layout.ts';

/** What an inference request carries besides the tensor (in the `Spinexr-Meta` header). */
export interface InferMeta {
  /** original width / model input width, to map boxes back to original pixels. */
  scaleX?: number;
  scaleY?: number;
  /** Original image size: boxes are clamped to it. */
  width?: number;
  height?: number;
}

/** The JSON reply of a classification endpoint. */
export interface ClassificationResult {
  probability: number;
  logit: number | null;
  operatingPoint: number;
  batchSize: number;
  computeMs: number;
}

export interface DetectedBox {
  label: string;
  score: number;
  xmin: number;
  ymin: number;
  xmax: number;
  ymax: number;
}

/** The JSON reply of a detection endpoint: boxes in original pixels, best first. */
export interface DetectionResult {
  boxes: DetectedBox[];
  batchSize: number;
  computeMs: number;
}

interface Job {
  tensor: Float32Array;
  meta: InferMeta;
}

export const Role = { Classifier: 'classifier', Detector: 'detector' } as const;
export type Role = (typeof Role)[keyof typeof Role];

/**
 * Starts a replica serving `versions` on `device` until `stop()`.
 * @example const r = await startInferenceReplica({ nc, repo, role: 'classifier', device: 'cpu', intraOpThreads: 1, logger });
 */
export async function startInferenceReplica(opts: {
  nc: NatsConnection;
  repo: ModelRepository;
  role: Role;
  /** e.g. ["spine-classifier:2"] or ["spine-classifier"] (all served versions); default: every model of the role's task. */
  models?: string[];
  device: string;
  intraOpThreads: number;
  logger: Logger;
  transport?: PayloadTransportOptions;
}): Promise<{ service: Service; versions: ModelVersion[]; stop: () => Promise<void> }> {
  const task = opts.role === Role.Classifier ? Task.Classification : Task.Detection;
  const versions = selectVersions(opts.repo, task, opts.models);
  if (!versions.length) throw new Error(`no ${task} model in the model repository ${opts.repo.root}`);
  const transport = new PayloadTransport(opts.nc, opts.transport);
  await transport.start();

  const loaded: { v: ModelVersion; session: SessionThread; batcher: DynamicBatcher<Job, ClassificationResult | DetectionResult> }[] = [];
  for (const v of versions) {
    // Each session runs on its own thread: the event loop stays free for NATS while the model runs.
    const session = await SessionThread.open(v.onnxPath, { device: opts.device, intraOpThreads: opts.intraOpThreads });
    const runner = task === Task.Classification ? classificationRunner(v, session) : detectionRunner(v, session);
    const batcher = new DynamicBatcher<Job, ClassificationResult | DetectionResult>(
      { maxBatchSize: v.config.batching.maxBatchSize, maxQueueDelayMs: v.config.batching.maxQueueDelayMs },
      runner as (jobs: Job[]) => Promise<(ClassificationResult | DetectionResult)[]>,
    );
    loaded.push({ v, session, batcher });
  }

  const service = await new Svcm(opts.nc).add({
    name: `spinexr-${opts.role}`,
    version: '0.1.0',
    description: `SpineXR ${opts.role} replica`,
    metadata: {
      device: opts.device,
      pid: String(process.pid),
      intra_op_threads: String(opts.intraOpThreads),
      models: versions.map((v) => `${v.name}:${v.version}`).join(','),
    },
    statsHandler: async (endpoint) => {
      const l = loaded.find((x) => Subject.infer(x.v.name, x.v.version) === endpoint.subject);
      if (!l) return null;
      const b = l.batcher;
      return { queue_depth: b.queueDepth, batches: b.batches, items: b.items, dropped: b.dropped, mean_batch_size: b.batches ? b.items / b.batches : 0 };
    },
  });

  const endpoints = loaded.map(({ v, batcher }) => {
    const subject = Subject.infer(v.name, v.version);
    const elems = v.config.input.channels * v.config.input.height * v.config.input.width;
    return serveEndpoint({
      service,
      nc: opts.nc,
      transport,
      logger: opts.logger.child({ model: v.name, version: v.version }),
      name: `${v.name}-${v.version}`,
      subject,
      queue: subject,
      metadata: { model: v.name, version: String(v.version), task },
      handler: async (req) => {
        if (req.data.byteLength !== elems * 4) {
          throw new InvalidInput(
            `${v.name}:${v.version} expects a float32 tensor of ${v.config.input.channels}x${v.config.input.height}x${v.config.input.width} (${elems * 4} bytes), got ${req.data.byteLength} bytes`,
          );
        }
        // One copy: NATS payloads sit at arbitrary offsets, and the batch needs its own buffer anyway.
        const tensor = new Float32Array(elems);
        new Uint8Array(tensor.buffer).set(req.data);
        const metaText = req.headers?.get(Header.Meta);
        const meta = metaText ? (JSON.parse(metaText) as InferMeta) : {};
        const out = await batcher.submit({ tensor, meta }, req.deadline);
        return { data: new TextEncoder().encode(JSON.stringify(out)) };
      },
    });
  });

  await opts.nc.flush(); // subscribed on the server before we say we serve
  opts.logger.info({ role: opts.role, device: opts.device, models: versions.map((v) => `${v.name}:${v.version}`) }, 'replica serving');
  return {
    service,
    versions,
    stop: async () => {
      endpoints.forEach((e) => e.stop());
      await service.stop();
      transport.stop();
      for (const l of loaded) await l.session.release();
    },
  };
}

function selectVersions(repo: ModelRepository, task: Task, models?: string[]): ModelVersion[] {
  const specs = models?.length ? models : repo.byTask(task);
  const out: ModelVersion[] = [];
  for (const spec of specs) {
    const [name, version] = spec.split(':');
    const vs = version ? [repo.resolve(name, Number(version))] : repo.versions(name);
    for (const v of vs) {
      if (v.config.task !== task) throw new Error(`${v.name}:${v.version} is a ${v.config.task} model, not ${task}`);
      out.push(v);
    }
  }
  return out;
}

/** The batch's input; a lone job's own tensor goes as is (it is transferred to the session thread). */
function batchTensor(v: ModelVersion, jobs: Job[]): PlainTensor {
  const { channels, height, width } = v.config.input;
  const dims = [jobs.length, channels, height, width];
  if (jobs.length === 1) return { type: 'float32', data: jobs[0].tensor, dims };
  const per = channels * height * width;
  const data = new Float32Array(per * jobs.length);
  jobs.forEach((j, i) => data.set(j.tensor, i * per));
  return { type: 'float32', data, dims };
}

function classificationRunner(v: ModelVersion, session: SessionThread) {
  const out = v.config.output as ClassificationOutput;
  const operatingPoint = v.config.thresholds.operatingPoint ?? 0.5;
  return async (jobs: Job[]): Promise<Omit<ClassificationResult, 'batchSize' | 'computeMs'>[]> => {
    const result = await session.run({ [v.config.input.name]: batchTensor(v, jobs) });
    const values = result[out.name].data as Float32Array;
    return jobs.map((_, i) => {
      const x = values[i];
      const probability = out.kind === 'logit' ? 1 / (1 + Math.exp(-x)) : x;
      return { probability, logit: out.kind === 'logit' ? x : null, operatingPoint };
    });
  };
}

function detectionRunner(v: ModelVersion, session: SessionThread) {
  const out = v.config.output as DetectionOutput;
  const { scoreThreshold, nmsIou, maxDetections } = v.config.thresholds;
  const labels = v.config.labels;
  return async (jobs: Job[]): Promise<Omit<DetectionResult, 'batchSize' | 'computeMs'>[]> => {
    const result = await session.run({ [v.config.input.name]: batchTensor(v, jobs) });
    const boxes = result[out.boxes];
    const scores = result[out.scores].data as Float32Array;
    const classes = result[out.labels].data as BigInt64Array | Float32Array | Int32Array;
    const k = boxes.dims[1];
    const b = boxes.data as Float32Array;
    return jobs.map((job, i) => {
      const { scaleX = 1, scaleY = 1, width, height } = job.meta;
      const clamp = width && height ? { width, height } : undefined;
      const found: ScoredBox[] = [];
      for (let j = 0; j < k; j++) {
        const score = scores[i * k + j];
        if (!(score >= scoreThreshold)) continue;
        const o = (i * k + j) * 4;
        const [xmin, ymin, xmax, ymax] = mapBoxToOriginal(b.subarray(o, o + 4), scaleX, scaleY, clamp);
        found.push({ label: Number(classes[i * k + j]), score, xmin, ymin, xmax, ymax });
      }
      const kept = out.nmsInGraph ? found.sort((p, q) => q.score - p.score).slice(0, maxDetections) : perClassNms(found, nmsIou, maxDetections);
      return {
        boxes: kept.map((x) => ({ label: labels[x.label] ?? `class ${x.label}`, score: x.score, xmin: x.xmin, ymin: x.ymin, xmax: x.xmax, ymax: x.ymax })),
      };
    });
  };
}
