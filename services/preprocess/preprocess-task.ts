// One preprocessing task as run inside a pool worker: decode + window + layout, with the tensors
// handed back by transfer (no copy) and domain errors turned into plain codes that cross threads.
import { move, transferableSymbol, valueSymbol } from 'piscina';
import type { ModelConfig } from '../common/model-config.ts';
import { ErrorCode, SpinexrError } from '../common/errors.ts';
import { preprocessImage, type ImageInfo, type PreprocessLimits } from './preprocess.ts';

export interface PreprocessTask {
  bytes: Uint8Array;
  targets: { key: string; config: ModelConfig }[];
  limits?: PreprocessLimits;
}

export interface TaskTensor {
  key: string;
  data: Float32Array;
  shape: number[];
  scaleX: number;
  scaleY: number;
}

export type PreprocessTaskResult =
  | { ok: true; info: ImageInfo; tensors: TaskTensor[] }
  | { ok: false; code: number; message: string; stack?: string };

/** Runs in a worker; the result's tensor buffers are transferred to the caller. */
export async function runPreprocessTask(task: PreprocessTask): Promise<PreprocessTaskResult> {
  try {
    const r = await preprocessImage(task.bytes, task.targets, task.limits);
    // r.protectedTags (patient data) is dropped here, inside the preprocessing stage.
    const tensors = [...r.tensors].map(([key, t]) => ({ key, data: t.data, shape: t.shape, scaleX: t.scaleX, scaleY: t.scaleY }));
    const result: PreprocessTaskResult = { ok: true, info: r.info, tensors };
    const buffers = [...new Set(tensors.map((t) => t.data.buffer))];
    // Piscina's transferable protocol: the value travels with its tensor buffers moved, not copied.
    const movable = { get [transferableSymbol]() { return buffers; }, get [valueSymbol]() { return result; } };
    return move(movable as never) as unknown as PreprocessTaskResult;
  } catch (err) {
    if (err instanceof SpinexrError) return { ok: false, code: err.code, message: err.message };
    return { ok: false, code: ErrorCode.Internal, message: (err as Error)?.message ?? String(err), stack: (err as Error)?.stack };
  }
}
