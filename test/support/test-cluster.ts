// Test support: a real cluster (own nats-server on a free port, real service processes, the
// model repository's real models) and a promise-based gRPC client for it.
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { protoPath as HEALTH_PROTO } from 'grpc-health-check';
import { startCluster, type Cluster } from '../../services/launcher/cluster.ts';
import { loadProtos } from '../../services/common/proto.ts';

export interface TestCluster {
  cluster: Cluster;
  address: string;
  logs: string[];
  /** Calls a unary method; resolves with the response or the gRPC error (never rejects). */
  call<T = any>(service: 'Analysis' | 'Preprocessing' | 'Classification' | 'Detection', method: string, req: object, deadlineMs?: number): Promise<{ res?: T; err?: grpc.ServiceError; ms: number }>;
  health(service: string): Promise<string>;
  client(service: 'Analysis' | 'Preprocessing' | 'Classification' | 'Detection'): any;
  stop(): Promise<void>;
}

/**
 * @example const tc = await startTestCluster({ replicas: { preprocess: 1, classifier: 1, detector: 2 } });
 */
export async function startTestCluster(opts: { replicas?: Partial<Record<'preprocess' | 'classifier' | 'detector', number>>; env?: Record<string, string> } = {}): Promise<TestCluster> {
  const dataDir = await mkdtemp(join(tmpdir(), 'spinexr-e2e-'));
  const logs: string[] = [];
  const cluster = await startCluster({
    privateNats: true,
    dataDir,
    gatewayAddress: '127.0.0.1:0',
    replicas: { preprocess: 1, classifier: 1, detector: 1, ...opts.replicas },
    env: { LOG_LEVEL: 'info', INTRA_OP_THREADS: '1', ...opts.env },
    onLog: (role, line) => logs.push(`${role}: ${line}`),
  });
  const { pkg } = loadProtos();
  const clients = new Map<string, any>();
  const channelOptions = { 'grpc.max_send_message_length': 256 * 1024 * 1024, 'grpc.max_receive_message_length': 256 * 1024 * 1024 };
  const client = (service: keyof typeof pkg) => {
    if (!clients.has(service)) clients.set(service, new pkg[service](cluster.gatewayAddress, grpc.credentials.createInsecure(), channelOptions));
    return clients.get(service);
  };
  const healthDef = grpc.loadPackageDefinition(protoLoader.loadSync(HEALTH_PROTO, { enums: String })) as any;
  const healthClient = new healthDef.grpc.health.v1.Health(cluster.gatewayAddress, grpc.credentials.createInsecure());
  return {
    cluster,
    address: cluster.gatewayAddress,
    logs,
    client,
    call: (service, method, req, deadlineMs = 30_000) =>
      new Promise((resolve) => {
        const t0 = performance.now();
        client(service)[method](req, { deadline: Date.now() + deadlineMs }, (err: grpc.ServiceError | null, res: any) =>
          resolve({ res: err ? undefined : res, err: err ?? undefined, ms: performance.now() - t0 }),
        );
      }),
    health: (service) =>
      new Promise((resolve, reject) =>
        healthClient.Check({ service }, { deadline: Date.now() + 5000 }, (err: Error | null, res: { status: string }) => (err ? reject(err) : resolve(res.status))),
      ),
    stop: async () => {
      for (const c of clients.values()) c.close();
      healthClient.close();
      await cluster.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
