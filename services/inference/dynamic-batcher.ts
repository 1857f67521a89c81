// Dynamic batching: requests for one model version queue up while its session is busy and run
// together as one batch. An idle session runs at once (greedy), so batching never adds latency
// at low load; `maxQueueDelayMs` optionally holds a partial batch a little longer under load.
import { DeadlineExceeded } from '../common/errors.ts';

export interface BatchItem<I, O> {
  input: I;
  /** Epoch ms; items past it are dropped before they reach the model. */
  deadline: number;
  resolve(out: O & { batchSize: number; computeMs: number }): void;
  reject(err: unknown): void;
}

export interface BatcherOptions {
  maxBatchSize: number;
  /** Extra wait for more items, only when a batch forms under load (0: none). */
  maxQueueDelayMs: number;
}

/**
 * @example
 * const b = new DynamicBatcher({ maxBatchSize: 8, maxQueueDelayMs: 0 }, async (inputs) => model.run(inputs));
 * const out = await b.submit(tensor, deadline);
 */
export class DynamicBatcher<I, O> {
  private readonly queue: BatchItem<I, O>[] = [];
  private running = false;
  private holdTimer?: NodeJS.Timeout;
  /** Totals for stats. */
  batches = 0;
  items = 0;
  dropped = 0;

  constructor(
    private readonly opts: BatcherOptions,
    private readonly runBatch: (inputs: I[]) => Promise<O[]>,
  ) {}

  get queueDepth(): number {
    return this.queue.length;
  }

  submit(input: I, deadline: number): Promise<O & { batchSize: number; computeMs: number }> {
    return new Promise((resolve, reject) => {
      this.queue.push({ input, deadline, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    if (this.running || this.holdTimer || !this.queue.length) return;
    const underLoad = this.batches > 0 && this.queue.length < this.opts.maxBatchSize && this.opts.maxQueueDelayMs > 0 && this.items > this.batches;
    if (underLoad) {
      this.holdTimer = setTimeout(() => {
        this.holdTimer = undefined;
        void this.runNext();
      }, this.opts.maxQueueDelayMs);
      return;
    }
    void this.runNext();
  }

  private async runNext(): Promise<void> {
    if (this.running) return;
    const now = Date.now();
    const batch: BatchItem<I, O>[] = [];
    while (this.queue.length && batch.length < this.opts.maxBatchSize) {
      const item = this.queue.shift()!;
      if (item.deadline <= now) {
        this.dropped++;
        item.reject(new DeadlineExceeded('deadline passed while queued for inference; dropped'));
        continue;
      }
      batch.push(item);
    }
    if (!batch.length) return;
    this.running = true;
    const t0 = performance.now();
    try {
      const outs = await this.runBatch(batch.map((b) => b.input));
      const computeMs = performance.now() - t0;
      this.batches++;
      this.items += batch.length;
      batch.forEach((b, i) => b.resolve({ ...outs[i], batchSize: batch.length, computeMs }));
    } catch (err) {
      for (const b of batch) b.reject(err);
    } finally {
      this.running = false;
      this.pump();
    }
  }
}
