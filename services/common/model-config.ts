// The model repository's config.json schema (Triton-style), shared by training export and serving.
import { z } from 'zod';

/** The 7 findings the detector localizes, in the class order of the VinDr-SpineXR public code. */
export const FINDINGS = [
  'Osteophytes',
  'Surgical implant',
  'Spondylolysthesis',
  'Foraminal stenosis',
  'Disc space narrowing',
  'Vertebral collapse',
  'Other lesions',
] as const;
export type Finding = (typeof FINDINGS)[number];

/** The label VinDr-SpineXR uses for the single row of a normal image. */
export const NO_FINDING = 'No finding';

export const Task = { Classification: 'classification', Detection: 'detection' } as const;
export type Task = (typeof Task)[keyof typeof Task];

export const DEFAULT_MAX_BATCH = 8;
export const DEFAULT_MAX_QUEUE_DELAY_MS = 2;

const InputSchema = z.object({
  /** ONNX graph input name. */
  name: z.string(),
  dtype: z.literal('float32'),
  layout: z.literal('NCHW'),
  /** 1 = grey; 3 = the grey image repeated on three channels (ImageNet-style backbones). */
  channels: z.union([z.literal(1), z.literal(3)]),
  height: z.number().int().positive(),
  width: z.number().int().positive(),
});

const PreprocessingSchema = z.object({
  /** `stretch`: resize to width × height, aspect ratio not kept (as the paper's classifier). */
  resize: z.literal('stretch').default('stretch'),
  /** `voi`: VOI LUT, else window center/width, else min–max of the stored values. */
  window: z.enum(['voi', 'minmax']).default('voi'),
  /** After windowing the image is in [0, 1]; then (x - mean) / std per channel. */
  mean: z.array(z.number()).min(1),
  std: z.array(z.number().positive()).min(1),
});

const ClassificationOutputSchema = z.object({
  /** Output tensor name, shape [N, 1] (or [N]). */
  name: z.string(),
  /** `logit`: the serving code applies the sigmoid; `probability`: already in [0, 1]. */
  kind: z.enum(['logit', 'probability']),
});

const DetectionOutputSchema = z.object({
  /** [N, K, 4] boxes as xmin, ymin, xmax, ymax in model-input pixels. */
  boxes: z.string(),
  /** [N, K] confidence in [0, 1]. */
  scores: z.string(),
  /** [N, K] class index into `labels` (int64 or float32). */
  labels: z.string(),
  /** Whether the graph already applied per-class NMS; if not, the serving code does. */
  nmsInGraph: z.boolean().default(false),
});

const ThresholdsSchema = z.object({
  /** Youden-J operating point on P(abnormal), found on validation (classification). */
  operatingPoint: z.number().min(0).max(1).optional(),
  /** Detections below this score are dropped (detection). */
  scoreThreshold: z.number().min(0).max(1).default(0.05),
  /** Per-class NMS IoU (detection). */
  nmsIou: z.number().min(0).max(1).default(0.5),
  /** At most this many boxes per image (detection), as in the paper's protocol. */
  maxDetections: z.number().int().positive().default(100),
});

const BatchingSchema = z.object({
  maxBatchSize: z.number().int().positive().default(DEFAULT_MAX_BATCH),
  maxQueueDelayMs: z.number().min(0).default(DEFAULT_MAX_QUEUE_DELAY_MS),
});

export const VersionPolicySchema = z.union([
  z.object({ latest: z.number().int().positive() }),
  z.object({ all: z.literal(true) }),
  z.object({ specific: z.array(z.number().int().positive()).min(1) }),
]);

export const ModelConfigSchema = z.object({
  name: z.string(),
  task: z.enum([Task.Classification, Task.Detection]),
  platform: z.literal('onnxruntime').default('onnxruntime'),
  versionPolicy: VersionPolicySchema.default({ all: true }),
  input: InputSchema,
  preprocessing: PreprocessingSchema,
  output: z.union([ClassificationOutputSchema, DetectionOutputSchema]),
  /** Class names in output order: `["abnormal"]` for the classifier, FINDINGS for the detector. */
  labels: z.array(z.string()).min(1),
  thresholds: ThresholdsSchema.default({ scoreThreshold: 0.05, nmsIou: 0.5, maxDetections: 100 }),
  batching: BatchingSchema.default({ maxBatchSize: DEFAULT_MAX_BATCH, maxQueueDelayMs: DEFAULT_MAX_QUEUE_DELAY_MS }),
});
export type ModelConfig = z.infer<typeof ModelConfigSchema>;
export type ClassificationOutput = z.infer<typeof ClassificationOutputSchema>;
export type DetectionOutput = z.infer<typeof DetectionOutputSchema>;
