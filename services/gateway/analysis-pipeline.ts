// The pipeline behind the gRPC API: preprocess -> (classify || detect) -> fuse, each stage a NATS
// call to its replicas, with the request's deadline carried through every hop.
import { nuid } from '@nats-io/transport-node';
import type { StageClient } from '../common/stage-client.ts';
import { Header, Subject, remainingMs } from '../common/wire.ts';
import type { BlobRef, PayloadTransport } from '../common/payload-transport.ts';
import { InvalidInput, PayloadTooLarge } from '../common/errors.ts';
import type { ModelVersion } from '../model-repository/model-repository.ts';
import type { PreprocessReplyMeta, PreprocessRequestMeta } from '../preprocess/preprocess-service.ts';
import type { ClassificationResult, DetectionResult, DetectedBox } from '../inference/inference-replica.ts';
import { applyDecisionRule } from '../quality/decision-rule.ts';
import type { ModelRouter } from './model-router.ts';

export interface Timing {
  stage: string;
  ms: number;
  computeMs: number;
  batchSize: number;
  attempts: number;
}

export interface RequestContext {
  requestId: string;
  /** Absolute, epoch ms. */
  deadline: number;
}

/** One model's input: a range of the preprocess replica's held reply, or bytes here when it came inline. */
export interface TensorInput {
  data: Uint8Array;
  ref?: BlobRef;
  scaleX: number;
  scaleY: number;
  shape: number[];
}

export interface Preprocessed {
  meta: PreprocessReplyMeta;
  tensors: Map<string, TensorInput>;
  /** The held reply; released by `release()` once the request is done. */
  held?: BlobRef;
  timing: Timing;
}

export interface AnalyzeInput {
  image: Uint8Array;
  studyId: string;
  imageId: string;
  fusion: boolean;
}

export interface AnalyzeResult {
  imageId: string;
  studyId: string;
  abnormalProbability: number;
  abnormal: boolean;
  operatingPoint: number;
  findings: { label: string; score: number; box: { xmin: number; ymin: number; xmax: number; ymax: number } }[];
  classifier: { name: string; version: number };
  detector: { name: string; version: number };
  timings: Timing[];
  requestId: string;
  image: PreprocessReplyMeta['info'];
}

const key = (v: ModelVersion) => `${v.name}:${v.version}`;

export class AnalysisPipeline {
  constructor(
    private readonly stages: StageClient,
    private readonly transport: PayloadTransport,
    readonly router: ModelRouter,
    private readonly opts: { maxImageBytes: number },
  ) {}

  newContext(deadline: number): RequestContext {
    return { requestId: nuid.next(), deadline };
  }

  checkImage(image: Uint8Array | undefined): Uint8Array {
    if (!image || image.byteLength === 0) throw new InvalidInput('empty image: the request carries zero bytes in `image`');
    if (image.byteLength > this.opts.maxImageBytes) {
      throw new PayloadTooLarge(
        `image is ${(image.byteLength / 1048576).toFixed(1)} MiB, above this gateway's limit of ${(this.opts.maxImageBytes / 1048576).toFixed(1)} MiB (MAX_IMAGE_BYTES)`,
      );
    }
    return image;
  }

  async preprocess(image: Uint8Array, targets: ModelVersion[], ctx: RequestContext): Promise<Preprocessed> {
    this.checkImage(image);
    const meta: PreprocessRequestMeta = { targets: targets.map(key) };
    const t0 = performance.now();
    const reply = await this.stages.call({
      subject: Subject.preprocess,
      payload: image,
      deadline: ctx.deadline,
      requestId: ctx.requestId,
      headers: { [Header.Meta]: JSON.stringify(meta) },
      stage: 'preprocessing',
      // The tensors stay with the preprocess replica: each inference replica reads its own range.
      fetch: false,
    });
    const ms = performance.now() - t0;
    const replyMeta = JSON.parse(reply.headers?.get(Header.Meta) ?? '{}') as PreprocessReplyMeta;
    const tensors = new Map<string, TensorInput>();
    for (const t of replyMeta.tensors) {
      const ref = reply.ref ? { ...reply.ref, offset: reply.ref.offset + t.offset, length: t.length } : undefined;
      tensors.set(t.target, { data: reply.data.subarray(t.offset, t.offset + t.length), ref, scaleX: t.scaleX, scaleY: t.scaleY, shape: t.shape });
    }
    return { meta: replyMeta, tensors, held: reply.ref, timing: { stage: 'preprocess', ms, computeMs: replyMeta.computeMs, batchSize: 0, attempts: reply.attempts } };
  }

  /** The bytes of a tensor (read from the preprocess replica when it holds them). */
  async tensorBytes(t: TensorInput, ctx: RequestContext): Promise<Uint8Array> {
    return t.ref ? this.transport.fetch(t.ref, remainingMs(ctx.deadline)) : t.data;
  }

  /** Frees the preprocess replica's held reply; call once the request no longer needs it. */
  release(pre: Preprocessed | undefined): void {
    if (pre?.held) this.transport.releaseRemote(pre.held);
  }

  async classify(v: ModelVersion, pre: Preprocessed, ctx: RequestContext): Promise<{ result: ClassificationResult; timing: Timing }> {
    const t = pre.tensors.get(key(v))!;
    const t0 = performance.now();
    const reply = await this.stages.call({ subject: Subject.infer(v.name, v.version), payload: t.data, payloadRef: t.ref, deadline: ctx.deadline, requestId: ctx.requestId, stage: `${v.name}:${v.version} classifier` });
    const result = JSON.parse(new TextDecoder().decode(reply.data)) as ClassificationResult;
    return { result, timing: { stage: 'classify', ms: performance.now() - t0, computeMs: result.computeMs, batchSize: result.batchSize, attempts: reply.attempts } };
  }

  async detect(v: ModelVersion, pre: Preprocessed, ctx: RequestContext): Promise<{ result: DetectionResult; timing: Timing }> {
    const t = pre.tensors.get(key(v))!;
    const t0 = performance.now();
    const reply = await this.stages.call({
      subject: Subject.infer(v.name, v.version),
      payload: t.data,
      payloadRef: t.ref,
      deadline: ctx.deadline,
      requestId: ctx.requestId,
      headers: { [Header.Meta]: JSON.stringify({ scaleX: t.scaleX, scaleY: t.scaleY, width: pre.meta.info.width, height: pre.meta.info.height }) },
      stage: `${v.name}:${v.version} detector`,
    });
    const result = JSON.parse(new TextDecoder().decode(reply.data)) as DetectionResult;
    return { result, timing: { stage: 'detect', ms: performance.now() - t0, computeMs: result.computeMs, batchSize: result.batchSize, attempts: reply.attempts } };
  }

  /** One image through the whole pipeline. */
  async analyze(input: AnalyzeInput, ctx: RequestContext): Promise<AnalyzeResult> {
    const t0 = performance.now();
    const cls = this.router.classifier();
    const det = this.router.detector();
    const pre = await this.preprocess(input.image, [cls, det], ctx);
    let c: Awaited<ReturnType<AnalysisPipeline['classify']>>;
    let d: Awaited<ReturnType<AnalysisPipeline['detect']>>;
    try {
      [c, d] = await Promise.all([this.classify(cls, pre, ctx), this.detect(det, pre, ctx)]);
    } finally {
      this.release(pre);
    }
    const tf = performance.now();
    const operatingPoint = c.result.operatingPoint;
    const boxes = input.fusion
      ? applyDecisionRule(c.result.probability, d.result.boxes, { operatingPoint })
      : d.result.boxes;
    const fuseMs = performance.now() - tf;
    return {
      imageId: input.imageId,
      studyId: input.studyId,
      abnormalProbability: c.result.probability,
      abnormal: c.result.probability >= operatingPoint,
      operatingPoint,
      findings: boxes.map(toFinding),
      classifier: { name: cls.name, version: cls.version },
      detector: { name: det.name, version: det.version },
      timings: [pre.timing, c.timing, d.timing, { stage: 'fuse', ms: fuseMs, computeMs: fuseMs, batchSize: 0, attempts: 0 }, { stage: 'total', ms: performance.now() - t0, computeMs: 0, batchSize: 0, attempts: 0 }],
      requestId: ctx.requestId,
      image: pre.meta.info,
    };
  }
}

export function toFinding(b: DetectedBox) {
  return { label: b.label, score: b.score, box: { xmin: b.xmin, ymin: b.ymin, xmax: b.xmax, ymax: b.ymax } };
}
