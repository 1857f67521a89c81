// The preprocessing replica: decodes radiographs arriving over NATS and replies with the model
// input tensors the caller asked for. Patient tags are read here and never leave this process.
import type { NatsConnection } from '@nats-io/transport-node';
import { Svcm, type Service } from '@nats-io/services';
import type { ModelRepository } from '../model-repository/model-repository.ts';
import type { ModelConfig } from '../common/model-config.ts';
import { Header, QueueGroup, Subject, newHeaders } from '../common/wire.ts';
import { PayloadTransport, type PayloadTransportOptions } from '../common/payload-transport.ts';
import { serveEndpoint } from '../common/stage-server.ts';
import type { Logger } from '../common/logger.ts';
import { PreprocessPool } from './preprocess-pool.ts';

/** `Spinexr-Meta` of a preprocess request. */
export interface PreprocessRequestMeta {
  /** Model versions to lay the image out for, as `name:version`. */
  targets: string[];
}

/** One tensor inside the reply payload. */
export interface TensorSlice {
  target: string;
  /** Byte offset and length in the payload. */
  offset: number;
  length: number;
  shape: number[];
  /** original size / model input size, per axis. */
  scaleX: number;
  scaleY: number;
}

/** `Spinexr-Meta` of a preprocess reply: image facts (no patient data) and where each tensor lies. */
export interface PreprocessReplyMeta {
  info: {
    width: number;
    height: number;
    format: string;
    transferSyntax: string;
    photometric: string;
    bitsStored: number;
    windowing: string;
  };
  tensors: TensorSlice[];
  computeMs: number;
}

/**
 * Starts a preprocessing replica until `stop()`.
 * @example const r = await startPreprocessReplica({ nc, repo, logger });
 */
export async function startPreprocessReplica(opts: {
  nc: NatsConnection;
  repo: ModelRepository;
  logger: Logger;
  maxPixels?: number;
  /** Worker threads decoding images (default 1). */
  threads?: number;
  transport?: PayloadTransportOptions;
}): Promise<{ service: Service; stop: () => Promise<void> }> {
  const pool = new PreprocessPool(opts.threads);
  const transport = new PayloadTransport(opts.nc, opts.transport);
  await transport.start();
  const service = await new Svcm(opts.nc).add({
    name: 'spinexr-preprocess',
    version: '0.1.0',
    description: 'SpineXR preprocessing replica: DICOM/PNG/JPEG to model input tensors',
    metadata: { device: 'cpu', pid: String(process.pid), threads: String(opts.threads ?? 1) },
    statsHandler: async () => ({ in_flight: endpoint.inFlight(), queue_depth: pool.queueSize }),
  });
  const endpoint = serveEndpoint({
    service,
    nc: opts.nc,
    transport,
    logger: opts.logger,
    name: 'preprocess',
    subject: Subject.preprocess,
    queue: QueueGroup.preprocess,
    handler: async (req) => {
      const metaText = req.headers?.get(Header.Meta);
      const meta = metaText ? (JSON.parse(metaText) as PreprocessRequestMeta) : { targets: [] };
      const targets: { key: string; config: ModelConfig }[] = meta.targets.map((t) => {
        const [name, version] = t.split(':');
        return { key: t, config: opts.repo.resolve(name, Number(version ?? 0)).config };
      });
      const t0 = performance.now();
      // Patient tags are read and dropped inside the worker: they never reach this thread.
      const result = await pool.run({ bytes: req.data, targets, limits: opts.maxPixels ? { maxPixels: opts.maxPixels } : undefined });
      const slices: TensorSlice[] = [];
      let total = 0;
      for (const t of result.tensors) {
        slices.push({ target: t.key, offset: total, length: t.data.byteLength, shape: t.shape, scaleX: t.scaleX, scaleY: t.scaleY });
        total += t.data.byteLength;
      }
      const payload = new Uint8Array(total);
      result.tensors.forEach((t, i) => payload.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), slices[i].offset));
      const replyMeta: PreprocessReplyMeta = { info: result.info, tensors: slices, computeMs: performance.now() - t0 };
      // Shared: the gateway forwards each tensor's range to its inference replica, which reads it
      // from here; the gateway releases it when the request ends.
      return { data: payload, headers: newHeaders({ [Header.Meta]: JSON.stringify(replyMeta) }), shared: true };
    },
  });
  await opts.nc.flush(); // subscribed on the server before we say we serve
  opts.logger.info('preprocess replica serving');
  return {
    service,
    stop: async () => {
      endpoint.stop();
      await service.stop();
      transport.stop();
      await pool.close();
    },
  };
}
