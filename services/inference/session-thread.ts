// An ONNX Runtime session on its own worker thread. onnxruntime-node's `session.run` is synchronous
// on the calling thread (the Promise only defers it by a setImmediate), so a replica running a
// 2-second detector on its main thread could not answer NATS: no heartbeats (the gateway presumes
// it dead and retries), no new requests read while the model runs. Here the main thread only
// moves tensors (transferred, not copied) and the worker runs the model.
import { Worker } from 'node:worker_threads';
import type { SessionOptions } from './onnx-session.ts';

/** A tensor crossing threads: its buffer is transferred, so the sender must not use it afterwards. */
export interface PlainTensor {
  type: 'float32' | 'int64' | 'int32' | 'float64' | 'uint8' | 'bool';
  data: Float32Array | BigInt64Array | Int32Array | Float64Array | Uint8Array;
  dims: readonly number[];
}

/** What the worker answers: `outputs` on success, `error` (message, and DeviceUnavailable's name) otherwise. */
export interface SessionReply {
  id: number;
  outputs?: Record<string, PlainTensor>;
  error?: { name: string; message: string; stack?: string };
}

/**
 * @example
 * const s = await SessionThread.open('models/spine-detector/2/model.onnx', { device: 'cpu', intraOpThreads: 1 });
 * const out = await s.run({ image: { type: 'float32', data, dims: [1, 3, 512, 512] } });
 * await s.release();
 */
export class SessionThread {
  private readonly pending = new Map<number, { resolve: (o: Record<string, PlainTensor>) => void; reject: (e: Error) => void }>();
  private seq = 0;
  private failure?: Error;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (m: SessionReply) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.error) p.reject(Object.assign(new Error(m.error.message), { name: m.error.name, stack: m.error.stack }));
      else p.resolve(m.outputs!);
    });
    const fail = (err: Error) => {
      this.failure = err;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the ONNX Runtime worker thread exited (code ${code})`)));
  }

  /** Starts the worker and opens the session there; rejects as openSession would. */
  static async open(path: string, opts: SessionOptions): Promise<SessionThread> {
    const worker = new Worker(new URL('./session-worker.mjs', import.meta.url), { workerData: { path, opts } });
    const thread = new SessionThread(worker);
    try {
      await thread.call({ op: 'ready' });
    } catch (err) {
      await worker.terminate();
      throw err;
    }
    return thread;
  }

  /** Runs the model; input buffers are transferred to the worker (detached here afterwards). */
  run(feeds: Record<string, PlainTensor>): Promise<Record<string, PlainTensor>> {
    const transfer = [...new Set(Object.values(feeds).map((t) => t.data.buffer as ArrayBuffer))];
    return this.call({ op: 'run', feeds }, transfer);
  }

  async release(): Promise<void> {
    await this.call({ op: 'release' }).catch(() => undefined);
    await this.worker.terminate();
  }

  private call(msg: object, transfer: ArrayBuffer[] = []): Promise<Record<string, PlainTensor>> {
    if (this.failure) return Promise.reject(this.failure);
    const id = ++this.seq;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...msg, id }, transfer);
    });
  }
}
