// Worker-thread entry of SessionThread (plain JS: it registers the TypeScript loader itself, since
// workers do not inherit the main thread's). Opens one session and runs it on request.
import { parentPort, workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { openSession, ort } = await import('./onnx-session.ts');

const errorOf = (err) => ({ name: err?.name ?? 'Error', message: err?.message ?? String(err), stack: err?.stack });
let session;
let opening;
try {
  opening = openSession(workerData.path, workerData.opts);
  session = await opening;
} catch (err) {
  opening = Promise.reject(err);
  opening.catch(() => undefined);
}

parentPort.on('message', async (m) => {
  if (m.op === 'ready') {
    return opening.then(
      () => parentPort.postMessage({ id: m.id, outputs: {} }),
      (err) => parentPort.postMessage({ id: m.id, error: errorOf(err) }),
    );
  }
  if (m.op === 'release') {
    await session?.release().catch(() => undefined);
    return parentPort.postMessage({ id: m.id, outputs: {} });
  }
  try {
    const feeds = {};
    for (const [name, t] of Object.entries(m.feeds)) feeds[name] = new ort.Tensor(t.type, t.data, t.dims);
    const result = await session.run(feeds);
    // Outputs are small (a logit, 100 boxes) and their buffers may belong to the binding: copied.
    const outputs = {};
    for (const [name, t] of Object.entries(result)) outputs[name] = { type: t.type, data: t.data, dims: t.dims };
    parentPort.postMessage({ id: m.id, outputs });
  } catch (err) {
    parentPort.postMessage({ id: m.id, error: errorOf(err) });
  }
});
