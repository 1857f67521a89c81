// A small typed gRPC client of spinexr.v1.Analysis (the gateway's public service), used by
// `spinexr eval --images` and `spinexr analyze`.
import * as grpc from '@grpc/grpc-js';
import { loadProtos } from '../common/proto.ts';

/** Where the gateway listens by default. */
export const DEFAULT_ADDRESS = '127.0.0.1:50051';
/** Per-call deadline when none is given. */
export const DEFAULT_DEADLINE_MS = 60_000;
/** Largest response accepted (responses are small; requests carry the image and are not capped here). */
export const DEFAULT_MAX_RECEIVE_BYTES = 16 * 1024 * 1024;

/** One image to analyze. */
export interface AnalyzeRequest {
  /** DICOM Part 10, PNG or JPEG bytes. */
  image: Uint8Array;
  studyId?: string;
  imageId?: string;
  /** Apply the decision rule on the server (default true); false returns every detector box. */
  fusion?: boolean;
}

export interface Box { xmin: number; ymin: number; xmax: number; ymax: number }
export interface Finding { label: string; score: number; box: Box | null }
export interface ModelRef { name: string; version: number }
export interface StageTiming { stage: string; ms: number; computeMs: number; batchSize: number }
export interface ImageInfo { width: number; height: number; format: string; transferSyntax: string; photometric: string; bitsStored: number; windowing: string }

/** spinexr.v1.AnalyzeResponse with proto-loader's camelCase field names (int64 as numbers). */
export interface AnalyzeResponse {
  imageId: string;
  studyId: string;
  abnormalProbability: number;
  abnormal: boolean;
  operatingPoint: number;
  findings: Finding[];
  classifier: ModelRef | null;
  detector: ModelRef | null;
  timings: StageTiming[];
  requestId: string;
  image: ImageInfo | null;
  error: { code: string; message: string } | null;
}

/** Per-call options. */
export interface CallOptions {
  /** Milliseconds from now (default {@link DEFAULT_DEADLINE_MS}). */
  deadlineMs?: number;
}

/** A failed Analyze call: the gRPC status is kept as `code` (number) and `codeName`. */
export class AnalysisCallError extends Error {
  readonly code: grpc.status;
  readonly codeName: string;
  constructor(code: grpc.status, details: string, options?: { cause?: unknown }) {
    const codeName = grpc.status[code] ?? String(code);
    super(`Analyze failed: ${codeName}: ${details}`, options);
    this.name = new.target.name;
    this.code = code;
    this.codeName = codeName;
  }
}

/** The typed client. */
export interface AnalysisClient {
  /** One image through the pipeline. Rejects with {@link AnalysisCallError}. */
  analyze(request: AnalyzeRequest, options?: CallOptions): Promise<AnalyzeResponse>;
  /** Closes the channel. */
  close(): void;
}

/** Options of {@link createAnalysisClient}. */
export interface AnalysisClientOptions {
  credentials?: grpc.ChannelCredentials;
  maxReceiveBytes?: number;
}

type UnaryMethod = (req: object, meta: grpc.Metadata, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res?: AnalyzeResponse) => void) => void;

/**
 * spinexr.v1.Analysis from the repository's protos (camelCase fields, longs as numbers, defaults filled in).
 * @example const Service = loadAnalysisService(); new Service('127.0.0.1:50051', grpc.credentials.createInsecure())
 */
export function loadAnalysisService(): grpc.ServiceClientConstructor {
  return loadProtos().pkg.Analysis;
}

/**
 * Creates a client of the gateway's Analysis service.
 * @example
 * const client = createAnalysisClient('127.0.0.1:50051');
 * const res = await client.analyze({ image: await readFile('a.dcm'), imageId: 'a' }, { deadlineMs: 30_000 });
 * console.log(res.abnormalProbability, res.findings);
 * client.close();
 */
export function createAnalysisClient(address: string = DEFAULT_ADDRESS, options: AnalysisClientOptions = {}): AnalysisClient {
  const Service = loadAnalysisService();
  const client = new Service(address, options.credentials ?? grpc.credentials.createInsecure(), {
    'grpc.max_send_message_length': -1,
    'grpc.max_receive_message_length': options.maxReceiveBytes ?? DEFAULT_MAX_RECEIVE_BYTES,
  });
  const analyzeMethod = (client as unknown as { Analyze: UnaryMethod }).Analyze.bind(client);
  return {
    analyze(request, callOptions = {}) {
      const deadline = new Date(Date.now() + (callOptions.deadlineMs ?? DEFAULT_DEADLINE_MS));
      const message = {
        image: Buffer.from(request.image.buffer, request.image.byteOffset, request.image.byteLength),
        studyId: request.studyId ?? '',
        imageId: request.imageId ?? '',
        ...(request.fusion === undefined ? {} : { fusion: request.fusion }),
      };
      return new Promise<AnalyzeResponse>((resolve, reject) => {
        analyzeMethod(message, new grpc.Metadata(), { deadline }, (err, res) => {
          if (err) return reject(new AnalysisCallError(err.code, err.details || err.message, { cause: err }));
          if (!res) return reject(new AnalysisCallError(grpc.status.INTERNAL, 'empty response'));
          resolve(res);
        });
      });
    },
    close() {
      client.close();
    },
  };
}
