import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DynamicBatcher } from './dynamic-batcher.ts';
import { DeadlineExceeded } from '../common/errors.ts';

const later = (ms: number) => Date.now() + ms;

test('an idle batcher runs a lone request at once (no added latency)', async () => {
  const sizes: number[] = [];
  const b = new DynamicBatcher<number, { y: number }>({ maxBatchSize: 8, maxQueueDelayMs: 50 }, async (xs) => {
    sizes.push(xs.length);
    return xs.map((x) => ({ y: x * 2 }));
  });
  const t0 = performance.now();
  const out = await b.submit(21, later(1000));
  assert.is(out.y, 42);
  assert.is(out.batchSize, 1);
  assert.ok(performance.now() - t0 < 40, 'did not wait for the queue delay');
});

test('requests arriving while the model is busy run together, in order, up to maxBatchSize', async () => {
  const sizes: number[] = [];
  const b = new DynamicBatcher<number, { y: number }>({ maxBatchSize: 4, maxQueueDelayMs: 0 }, async (xs) => {
    sizes.push(xs.length);
    await new Promise((r) => setTimeout(r, 20));
    return xs.map((x) => ({ y: x + 1 }));
  });
  const outs = await Promise.all(Array.from({ length: 9 }, (_, i) => b.submit(i, later(5000))));
  assert.equal(outs.map((o) => o.y), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.equal(sizes, [1, 4, 4]);
  assert.is(b.items, 9);
});

test('expired requests are dropped before inference, not run', async () => {
  const seen: number[] = [];
  const b = new DynamicBatcher<number, { y: number }>({ maxBatchSize: 8, maxQueueDelayMs: 0 }, async (xs) => {
    seen.push(...xs);
    await new Promise((r) => setTimeout(r, 30));
    return xs.map((x) => ({ y: x }));
  });
  const first = b.submit(1, later(1000));
  const doomed = b.submit(2, later(5)); // expires while request 1 runs
  await first;
  const err = await doomed.catch((e) => e);
  assert.instance(err, DeadlineExceeded);
  assert.equal(seen, [1]);
  assert.is(b.dropped, 1);
});

test('a failing batch rejects each of its requests and the batcher keeps serving', async () => {
  let fail = true;
  const b = new DynamicBatcher<number, { y: number }>({ maxBatchSize: 2, maxQueueDelayMs: 0 }, async (xs) => {
    if (fail) {
      fail = false;
      throw new Error('boom');
    }
    return xs.map((x) => ({ y: x }));
  });
  const err = await b.submit(1, later(1000)).catch((e) => e);
  assert.is(err.message, 'boom');
  assert.is((await b.submit(2, later(1000))).y, 2);
});

test.run();
