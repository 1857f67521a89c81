// grpc.health.v1 statuses that follow whether each stage has a reachable replica, found with the
// NATS services framework's $SRV.PING.
import type { NatsConnection, RequestManyOptions } from '@nats-io/transport-node';
import { Svcm } from '@nats-io/services';
import { HealthImplementation, type ServingStatus } from 'grpc-health-check';

export const HEALTH_POLL_MS = 2_000;
export const SERVICE_NAMES = {
  analysis: 'spinexr.v1.Analysis',
  preprocessing: 'spinexr.v1.Preprocessing',
  classification: 'spinexr.v1.Classification',
  detection: 'spinexr.v1.Detection',
} as const;

/** Counts replicas per stage (by service name) that answer a ping within `timeoutMs`. */
export async function pingReplicas(nc: NatsConnection, timeoutMs = 500): Promise<Record<string, number>> {
  const client = new Svcm(nc).client({ strategy: 'timer', maxWait: timeoutMs } as RequestManyOptions);
  const counts: Record<string, number> = {};
  try {
    for await (const id of await client.ping()) counts[id.name] = (counts[id.name] ?? 0) + 1;
  } catch {
    // no responders: nothing is running
  }
  return counts;
}

/**
 * Keeps a HealthImplementation up to date; stop with the returned function.
 * @example const stop = trackHealth(nc, health);
 */
export function trackHealth(nc: NatsConnection, health: HealthImplementation): () => void {
  const update = async () => {
    const c = await pingReplicas(nc);
    const pre = (c['spinexr-preprocess'] ?? 0) > 0;
    const cls = (c['spinexr-classifier'] ?? 0) > 0;
    const det = (c['spinexr-detector'] ?? 0) > 0;
    const s = (ok: boolean): ServingStatus => (ok ? 'SERVING' : 'NOT_SERVING');
    health.setStatus(SERVICE_NAMES.preprocessing, s(pre));
    health.setStatus(SERVICE_NAMES.classification, s(pre && cls));
    health.setStatus(SERVICE_NAMES.detection, s(pre && det));
    health.setStatus(SERVICE_NAMES.analysis, s(pre && cls && det));
    health.setStatus('', s(pre && cls && det));
  };
  let stopped = false;
  const loop = async () => {
    while (!stopped) {
      await update().catch(() => undefined);
      await new Promise((r) => setTimeout(r, HEALTH_POLL_MS).unref());
    }
  };
  void loop();
  return () => {
    stopped = true;
  };
}
