// Runs preprocessing on worker threads so that a replica's event loop stays free for NATS
// (heartbeats, new requests) while a large JPEG 2000 decodes, and so one replica can use several cores.
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { errorFromCode } from '../common/errors.ts';
import type { PreprocessTask, PreprocessTaskResult, TaskTensor } from './preprocess-task.ts';
import type { ImageInfo } from './preprocess.ts';

/** Worker threads per preprocess replica unless PREPROCESS_THREADS says otherwise. */
export const DEFAULT_PREPROCESS_THREADS = 1;

/**
 * @example
 * const pool = new PreprocessPool(2);
 * const { info, tensors } = await pool.run({ bytes, targets });
 */
export class PreprocessPool {
  private readonly piscina: Piscina<PreprocessTask, PreprocessTaskResult>;

  constructor(threads = DEFAULT_PREPROCESS_THREADS) {
    const n = Math.max(1, Math.min(threads, availableParallelism() * 2));
    this.piscina = new Piscina({
      filename: new URL('./preprocess-worker.mjs', import.meta.url).href,
      minThreads: n,
      maxThreads: n,
      idleTimeout: Infinity,
    });
  }

  get queueSize(): number {
    return this.piscina.queueSize;
  }

  /** Decodes and lays out one image; rejects with the same domain errors as preprocessImage. */
  async run(task: PreprocessTask): Promise<{ info: ImageInfo; tensors: TaskTensor[] }> {
    const own = task.bytes.byteOffset === 0 && task.bytes.byteLength === task.bytes.buffer.byteLength;
    const bytes = own ? task.bytes : task.bytes.slice();
    const result = await this.piscina.run({ ...task, bytes }, { transferList: [bytes.buffer as ArrayBuffer] });
    if (!result.ok) throw errorFromCode(result.code, result.message);
    return result;
  }

  close(): Promise<void> {
    return this.piscina.destroy();
  }
}
