// Process settings from environment variables, validated once at start (zod).
import { hostname } from 'node:os';
import { z } from 'zod';
import type { PayloadTransportOptions } from './payload-transport.ts';

export const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';
export const DEFAULT_GATEWAY_ADDRESS = '127.0.0.1:50051';
/** Largest encoded image the gateway accepts (a 30 MB DICOM fits with room). */
export const DEFAULT_MAX_IMAGE_BYTES = 64 * 1024 * 1024;
/** Deadline applied when a gRPC caller sets none. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

const int = (def: number) => z.coerce.number().int().positive().default(def);

const SettingsSchema = z.object({
  NATS_URL: z.string().default(DEFAULT_NATS_URL),
  GATEWAY_ADDRESS: z.string().default(DEFAULT_GATEWAY_ADDRESS),
  MODEL_REPOSITORY: z.string().default(new URL('../../models', import.meta.url).pathname),
  MAX_IMAGE_BYTES: int(DEFAULT_MAX_IMAGE_BYTES),
  REQUEST_TIMEOUT_MS: int(DEFAULT_REQUEST_TIMEOUT_MS),
  /** Models and versions a replica serves, e.g. `spine-classifier` or `spine-classifier:1,spine-classifier:2`. */
  REPLICA_MODELS: z.string().optional(),
  /** `cpu` or `cuda:N`. */
  REPLICA_DEVICE: z.string().regex(/^(cpu|cuda:\d+)$/, 'REPLICA_DEVICE must be "cpu" or "cuda:N"').default('cpu'),
  INTRA_OP_THREADS: int(1),
  /** Worker threads decoding images in a preprocess replica. */
  PREPROCESS_THREADS: int(1),
  /** Large payloads (images, tensors) go process to process over TCP; `off` keeps everything on NATS. */
  DIRECT_TRANSFER: z.enum(['on', 'off']).default('on'),
  /** Where a process serves its large payloads; 0.0.0.0 when replicas run on other machines. */
  DIRECT_TRANSFER_HOST: z.string().default('127.0.0.1'),
  /** The address other processes use to reach it (default: DIRECT_TRANSFER_HOST, or the host name for 0.0.0.0). */
  DIRECT_TRANSFER_ADVERTISE: z.string().optional(),
  /** Payloads from this many bytes on take the direct path (default: DEFAULT_DIRECT_MIN_BYTES). */
  DIRECT_TRANSFER_MIN_BYTES: z.coerce.number().int().positive().optional(),
  /** Replicas per stage started by `spinexr start`. */
  PREPROCESS_REPLICAS: int(1),
  CLASSIFIER_REPLICAS: int(1),
  DETECTOR_REPLICAS: int(1),
});
export type Settings = z.infer<typeof SettingsSchema>;

/** The payload transport's options from the settings. */
export function transportOptions(s: Settings): PayloadTransportOptions {
  if (s.DIRECT_TRANSFER === 'off') return {};
  const advertise = s.DIRECT_TRANSFER_ADVERTISE ?? (s.DIRECT_TRANSFER_HOST === '0.0.0.0' ? hostname() : s.DIRECT_TRANSFER_HOST);
  return { direct: { listenHost: s.DIRECT_TRANSFER_HOST, advertiseHost: advertise, minBytes: s.DIRECT_TRANSFER_MIN_BYTES } };
}

/**
 * Reads and validates the settings; a bad value stops the process with a message naming it.
 * @example const { NATS_URL } = loadSettings();
 */
export function loadSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  const parsed = SettingsSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`invalid settings:\n${lines.join('\n')}`);
  }
  return parsed.data;
}
