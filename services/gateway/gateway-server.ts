// The gateway: the only process speaking gRPC to the outside. Serves spinexr.v1 Analysis,
// Preprocessing, Classification and Detection, grpc.health.v1 and server reflection, and runs
// every request through the stage replicas over NATS.
import * as grpc from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation } from 'grpc-health-check';
import type { NatsConnection } from '@nats-io/transport-node';
import type { ModelRepository } from '../model-repository/model-repository.ts';
import { PayloadTransport, type PayloadTransportOptions } from '../common/payload-transport.ts';
import { StageClient } from '../common/stage-client.ts';
import { InvalidInput, SpinexrError } from '../common/errors.ts';
import type { Logger } from '../common/logger.ts';
import { loadProtos } from '../common/proto.ts';
import { toGrpcError, statusName } from './status-map.ts';
import { callDeadline } from './deadline.ts';
import { AnalysisPipeline, toFinding, type AnalyzeResult, type RequestContext } from './analysis-pipeline.ts';
import { ModelRouter } from './model-router.ts';
import { trackHealth } from './health.ts';

/** gRPC overhead allowed on top of the image byte limit (other fields, framing). */
export const MESSAGE_OVERHEAD_BYTES = 1024 * 1024;
/** Images per AnalyzeStudy call. */
export const MAX_STUDY_IMAGES = 16;
/** Requests of one AnalyzeStream processed at once; the stream is paused beyond that. */
export const STREAM_CONCURRENCY = 16;

export interface GatewayOptions {
  nc: NatsConnection;
  repo: ModelRepository;
  logger: Logger;
  /** host:port to listen on; port 0 picks a free one. */
  address: string;
  maxImageBytes: number;
  requestTimeoutMs: number;
  transport?: PayloadTransportOptions;
}

type Unary<Req, Res> = (call: grpc.ServerUnaryCall<Req, Res>, callback: grpc.sendUnaryData<Res>) => void;

/**
 * Starts the gateway; resolves once it listens.
 * @example const gw = await startGateway({ nc, repo, logger, address: '127.0.0.1:50051', maxImageBytes, requestTimeoutMs }); gw.port
 */
export async function startGateway(opts: GatewayOptions): Promise<{ port: number; stop: () => Promise<void> }> {
  const { definition, pkg } = loadProtos();
  const transport = new PayloadTransport(opts.nc, opts.transport);
  await transport.start();
  const stages = new StageClient(opts.nc, transport);
  stages.start();
  const pipeline = new AnalysisPipeline(stages, transport, new ModelRouter(opts.repo), { maxImageBytes: opts.maxImageBytes });
  const log = opts.logger;

  const server = new grpc.Server({
    'grpc.max_receive_message_length': opts.maxImageBytes * 4 + MESSAGE_OVERHEAD_BYTES,
    'grpc.max_send_message_length': 64 * 1024 * 1024,
  });

  /** Wraps a handler: deadline, request id, error mapping, one log line per request. */
  function unary<Req, Res>(method: string, fn: (req: Req, ctx: RequestContext) => Promise<Res>): Unary<Req, Res> {
    return (call, callback) => {
      const ctx = pipeline.newContext(callDeadline(call, opts.requestTimeoutMs));
      const t0 = performance.now();
      fn(call.request, ctx).then(
        (res) => {
          log.debug({ method, requestId: ctx.requestId, ms: performance.now() - t0 }, 'ok');
          callback(null, res);
        },
        (err) => {
          const g = toGrpcError(err);
          const entry = { method, requestId: ctx.requestId, code: statusName(g.code), ms: performance.now() - t0 };
          if (err instanceof SpinexrError) log.info({ ...entry, reason: g.details }, 'request failed');
          else log.error({ ...entry, err }, 'request failed');
          callback(g);
        },
      );
    };
  }

  const analyzeOne = (r: AnalyzeRequestMsg, ctx: RequestContext, studyId = r.studyId): Promise<AnalyzeResult> =>
    pipeline.analyze({ image: r.image, studyId, imageId: r.imageId, fusion: r.fusion ?? true }, ctx);

  server.addService(pkg.Analysis.service, {
    Analyze: unary<AnalyzeRequestMsg, AnalyzeResult>('Analyze', (req, ctx) => analyzeOne(req, ctx)),
    AnalyzeStudy: unary<{ studyId: string; images: AnalyzeRequestMsg[] }, object>('AnalyzeStudy', async (req, ctx) => {
      if (!req.images.length) throw new InvalidInput('AnalyzeStudy needs at least one image');
      if (req.images.length > MAX_STUDY_IMAGES) throw new InvalidInput(`AnalyzeStudy takes at most ${MAX_STUDY_IMAGES} images, got ${req.images.length}`);
      const t0 = performance.now();
      const images = await Promise.all(req.images.map((img) => analyzeOne(img, pipeline.newContext(ctx.deadline), req.studyId)));
      const p = Math.max(...images.map((i) => i.abnormalProbability));
      return { studyId: req.studyId, images, abnormalProbability: p, abnormal: images.some((i) => i.abnormal), totalMs: performance.now() - t0 };
    }),
    AnalyzeStream: (call: grpc.ServerDuplexStream<AnalyzeRequestMsg, object>) => {
      let inFlight = 0;
      let ended = false;
      const deadline = callDeadline(call, 24 * 3600_000);
      const maybeEnd = () => {
        if (ended && inFlight === 0) call.end();
      };
      call.on('data', (req: AnalyzeRequestMsg) => {
        inFlight++;
        if (inFlight >= STREAM_CONCURRENCY) call.pause();
        const ctx = pipeline.newContext(Math.min(deadline, Date.now() + opts.requestTimeoutMs));
        analyzeOne(req, ctx)
          .then(
            (res) => call.write(res),
            (err) => {
              const g = toGrpcError(err);
              log.info({ method: 'AnalyzeStream', requestId: ctx.requestId, code: statusName(g.code), reason: g.details }, 'stream item failed');
              call.write({ imageId: req.imageId, studyId: req.studyId, requestId: ctx.requestId, error: { code: statusName(g.code), message: g.details } });
            },
          )
          .finally(() => {
            inFlight--;
            if (inFlight < STREAM_CONCURRENCY) call.resume();
            maybeEnd();
          });
      });
      call.on('end', () => {
        ended = true;
        maybeEnd();
      });
      call.on('error', () => undefined);
    },
  });

  server.addService(pkg.Preprocessing.service, {
    Preprocess: unary<{ image: Uint8Array; imageId: string; models: string[] }, object>('Preprocess', async (req, ctx) => {
      const targets = req.models.length
        ? req.models.map((m) => {
            const [name, version] = m.split(':');
            return opts.repo.resolve(name, Number(version ?? 0));
          })
        : [pipeline.router.classifier(), pipeline.router.detector()];
      const pre = await pipeline.preprocess(req.image, targets, ctx);
      try {
        const inputs = await Promise.all(
          targets.map(async (v) => {
            const t = pre.tensors.get(`${v.name}:${v.version}`)!;
            const data = await pipeline.tensorBytes(t, ctx);
            return { model: { name: v.name, version: v.version }, tensor: { shape: t.shape, dtype: 'float32', data: Buffer.from(data.buffer, data.byteOffset, data.byteLength) } };
          }),
        );
        return { imageId: req.imageId, image: pre.meta.info, inputs, computeMs: pre.meta.computeMs, requestId: ctx.requestId };
      } finally {
        pipeline.release(pre);
      }
    }),
  });

  server.addService(pkg.Classification.service, {
    Classify: unary<{ image: Uint8Array; imageId: string; model: string; version: number }, object>('Classify', async (req, ctx) => {
      const v = pipeline.router.classifier(req.model, req.version);
      const pre = await pipeline.preprocess(req.image, [v], ctx);
      const c = await pipeline.classify(v, pre, ctx).finally(() => pipeline.release(pre));
      return {
        imageId: req.imageId,
        abnormalProbability: c.result.probability,
        abnormal: c.result.probability >= c.result.operatingPoint,
        operatingPoint: c.result.operatingPoint,
        model: { name: v.name, version: v.version },
        timings: [pre.timing, c.timing],
        requestId: ctx.requestId,
        image: pre.meta.info,
      };
    }),
  });

  server.addService(pkg.Detection.service, {
    Detect: unary<{ image: Uint8Array; imageId: string; model: string; version: number }, object>('Detect', async (req, ctx) => {
      const v = pipeline.router.detector(req.model, req.version);
      const pre = await pipeline.preprocess(req.image, [v], ctx);
      const d = await pipeline.detect(v, pre, ctx).finally(() => pipeline.release(pre));
      return {
        imageId: req.imageId,
        findings: d.result.boxes.map(toFinding),
        model: { name: v.name, version: v.version },
        timings: [pre.timing, d.timing],
        requestId: ctx.requestId,
        image: pre.meta.info,
      };
    }),
  });

  const health = new HealthImplementation({ '': 'NOT_SERVING' });
  health.addToServer(server);
  new ReflectionService(definition).addToServer(server);
  const stopHealth = trackHealth(opts.nc, health);

  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(opts.address, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  log.info({ address: opts.address.replace(/:\d+$/, `:${port}`) }, 'gateway listening');
  return {
    port,
    stop: async () => {
      stopHealth();
      await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
      stages.stop();
      transport.stop();
    },
  };
}

interface AnalyzeRequestMsg {
  image: Uint8Array;
  studyId: string;
  imageId: string;
  fusion?: boolean;
}
