// The cluster's NATS wire format: subjects, header names and the deadline header.
// Payloads are raw bytes (encoded images, float32 tensors); metadata rides in headers.
import { headers as natsHeaders, type MsgHdrs } from '@nats-io/transport-node';
import { DEFAULT_REQUEST_TIMEOUT_MS } from './settings.ts';

/** Subjects. Stages are reached only through these, with queue groups for load spreading. */
export const Subject = {
  /** Preprocessing replicas (queue group `preprocess`). */
  preprocess: 'spinexr.v1.preprocess',
  /** Inference replicas serving one model version (queue group = the subject). */
  infer: (model: string, version: number) => `spinexr.v1.infer.${model}.${version}`,
  /** Chunks of one large payload, served by the process that holds it. */
  blob: (owner: string, id: string) => `spinexr.v1.blob.${owner}.${id}`,
} as const;

export const QueueGroup = { preprocess: 'preprocess' } as const;

/** Header names. Errors use the NATS services framework's own headers. */
export const Header = {
  RequestId: 'Spinexr-Request-Id',
  /** Absolute deadline, Unix epoch milliseconds. */
  Deadline: 'Spinexr-Deadline',
  /** `working`: a replica's heartbeat for a request it holds (sent to the reply subject). */
  Status: 'Spinexr-Status',
  /** `<subject> <bytes>`: the payload is too large to travel inline; fetch it in chunks there. */
  Blob: 'Spinexr-Blob',
  /** `<offset> <length>` asked of a blob subject; `done` releases the blob. */
  Range: 'Spinexr-Range',
  /** Small JSON metadata describing the binary payload (shapes, image info). Never patient data. */
  Meta: 'Spinexr-Meta',
  ErrorCode: 'Nats-Service-Error-Code',
  Error: 'Nats-Service-Error',
} as const;

export const HEARTBEAT = 'working';

/** Model names become subject tokens: keep them to safe characters. */
export const MODEL_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]*$/;

export function newHeaders(entries: Record<string, string | undefined> = {}): MsgHdrs {
  const h = natsHeaders();
  for (const [k, v] of Object.entries(entries)) if (v !== undefined) h.set(k, v);
  return h;
}

/** Milliseconds left before `deadline` (epoch ms); negative when past. */
export function remainingMs(deadline: number): number {
  return deadline - Date.now();
}

export function readDeadline(h: MsgHdrs | undefined): number {
  const v = h?.get(Header.Deadline);
  const n = v ? Number(v) : NaN;
  return Number.isFinite(n) ? n : Date.now() + DEFAULT_REQUEST_TIMEOUT_MS;
}
