// What the load generator calls: one unary method of the gateway's gRPC API (Analyze, Classify,
// Detect or Preprocess) with an image, resolving with the response or rejecting with the gRPC error.
import * as grpc from '@grpc/grpc-js';
import { loadProtos } from '../common/proto.ts';

export const Method = { Analyze: 'Analyze', Classify: 'Classify', Detect: 'Detect', Preprocess: 'Preprocess' } as const;
export type Method = (typeof Method)[keyof typeof Method];

const SERVICE_OF: Record<Method, 'Analysis' | 'Classification' | 'Detection' | 'Preprocessing'> = {
  Analyze: 'Analysis',
  Classify: 'Classification',
  Detect: 'Detection',
  Preprocess: 'Preprocessing',
};

/** Per-stage timing as the gateway reports it (`timings[]` of Analyze, Classify and Detect). */
export interface StageTiming {
  stage: string;
  ms: number;
  computeMs: number;
  batchSize: number;
  attempts: number;
}

/** The fields of a response the bench reads; the rest is left as is. */
export interface TargetResponse {
  timings?: StageTiming[];
  computeMs?: number;
  [field: string]: unknown;
}

export interface GrpcTarget {
  method: Method;
  /** Sends one image; rejects with the grpc-js ServiceError (its `code` is the gRPC status). */
  send(image: Uint8Array, imageId?: string): Promise<TargetResponse>;
  close(): void;
}

/**
 * @example const t = createGrpcTarget('127.0.0.1:50051', 'Analyze'); await t.send(bytes); t.close();
 */
export function createGrpcTarget(address: string, method: Method, opts: { deadlineMs?: number; channels?: number } = {}): GrpcTarget {
  if (!(method in SERVICE_OF)) throw new Error(`unknown method ${method}: use ${Object.keys(SERVICE_OF).join(', ')}`);
  const Service = loadProtos().pkg[SERVICE_OF[method]];
  // Distinct channel options keep grpc-js from sharing one subchannel between the clients.
  const clients = Array.from(
    { length: Math.max(1, opts.channels ?? 1) },
    (_, i) => new Service(address, grpc.credentials.createInsecure(), { 'grpc.max_send_message_length': -1, 'grpc.max_receive_message_length': -1, 'spinexr.channel': i }),
  );
  const deadlineMs = opts.deadlineMs ?? 60_000;
  let n = 0;
  return {
    method,
    send(image, imageId = '') {
      const client = clients[n++ % clients.length] as unknown as Record<string, (req: object, md: grpc.Metadata, o: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res: TargetResponse) => void) => void>;
      const req = { image, imageId };
      return new Promise((resolve, reject) => {
        client[method](req, new grpc.Metadata(), { deadline: Date.now() + deadlineMs }, (err, res) => (err ? reject(err) : resolve(res)));
      });
    },
    close() {
      for (const c of clients) c.close();
    },
  };
}
