// Runs one role of the cluster (gateway, preprocess, classifier or detector) in this process.
import { loadSettings, transportOptions, type Settings } from '../common/settings.ts';
import { rootLogger } from '../common/logger.ts';
import { ModelRepository } from '../model-repository/model-repository.ts';
import { startGateway } from '../gateway/gateway-server.ts';
import { startPreprocessReplica } from '../preprocess/preprocess-service.ts';
import { startInferenceReplica, Role } from '../inference/inference-replica.ts';
import { connectNats } from './nats-server.ts';
import { checkDevice } from '../inference/onnx-session.ts';

export const ROLES = ['gateway', 'preprocess', 'classifier', 'detector'] as const;
export type ServeRole = (typeof ROLES)[number];

/**
 * Starts a role and returns a stopper that drains NATS.
 * @example const r = await serveRole('classifier', loadSettings()); await r.stop();
 */
export async function serveRole(role: ServeRole, settings: Settings = loadSettings()): Promise<{ stop: () => Promise<void>; port?: number }> {
  const logger = rootLogger(role);
  if (role === 'classifier' || role === 'detector') checkDevice(settings.REPLICA_DEVICE);
  const nc = await connectNats(settings.NATS_URL, `spinexr-${role}-${process.pid}`);
  const repo = await ModelRepository.load(settings.MODEL_REPOSITORY);
  let stopRole: () => Promise<void>;
  let port: number | undefined;
  if (role === 'gateway') {
    const gw = await startGateway({
      nc,
      repo,
      logger,
      address: settings.GATEWAY_ADDRESS,
      maxImageBytes: settings.MAX_IMAGE_BYTES,
      requestTimeoutMs: settings.REQUEST_TIMEOUT_MS,
      transport: transportOptions(settings),
    });
    port = gw.port;
    stopRole = gw.stop;
  } else if (role === 'preprocess') {
    stopRole = (await startPreprocessReplica({ nc, repo, logger, threads: settings.PREPROCESS_THREADS, transport: transportOptions(settings) })).stop;
  } else {
    const r = await startInferenceReplica({
      nc,
      repo,
      role: role === 'classifier' ? Role.Classifier : Role.Detector,
      models: settings.REPLICA_MODELS?.split(',').map((s) => s.trim()).filter(Boolean),
      device: settings.REPLICA_DEVICE,
      intraOpThreads: settings.INTRA_OP_THREADS,
      logger,
      transport: transportOptions(settings),
    });
    stopRole = r.stop;
  }
  return {
    port,
    stop: async () => {
      await stopRole();
      await nc.drain();
    },
  };
}
